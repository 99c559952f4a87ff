"""The worker keeps the workflows' bytecode where Python may not write it beside the sources, so
the sandbox does not compile them from source for every workflow run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pathlib import Path
from config.bytecode import keep_workflow_bytecode
folder = keep_workflow_bytecode()
import workflows.outgoing
print(folder)
print(any(folder.rglob("outgoing.*.pyc")) if folder else "-")
print(keep_workflow_bytecode())
"""


def probe(**env: str) -> list[str]:
    variables = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env={**variables, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_without_bytecode_beside_the_sources_it_is_kept_in_a_folder_of_the_process_and_removed_at_exit():
    folder, compiled, second = probe(PYTHONDONTWRITEBYTECODE="1")
    assert folder != "None" and compiled == "True"
    assert second == "None"  # once is enough: the second call changes nothing
    assert not Path(folder).exists()


def test_where_python_writes_bytecode_beside_the_sources_nothing_changes():
    if not os.access(ROOT / "workflows", os.W_OK):
        pytest.skip("a read-only checkout takes the other branch, tested above")
    folder, compiled, _ = probe()
    assert (folder, compiled) == ("None", "-")

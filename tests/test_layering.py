"""The DESIGN.md import arrows: models -> stdlib, pydantic; rules -> models. No I/O libraries."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "models": {"pydantic", "models"},
    "rules": {"pydantic", "models", "rules"},
}
IO_MODULES = {"socket", "subprocess", "sqlite3", "urllib", "http", "asyncio", "threading", "os", "shutil"}


def imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_follow_the_design(package):
    for path in sorted((ROOT / package).glob("*.py")):
        for name in imported_top_levels(path):
            is_stdlib = name in sys.stdlib_module_names
            assert (is_stdlib and name not in IO_MODULES) or name in ALLOWED[package], f"{path.name} imports {name}"

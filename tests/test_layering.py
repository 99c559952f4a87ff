"""The DESIGN.md import arrows, for every package: which of the project's own packages each may
import, and for the pure layers (models, rules, workflows) which outside libraries too.

One deviation, written in the README: `config` may read `models` and `rules` (pure, no I/O), so
that settings hand out typed values (thresholds, the working-day calendar, the actuarial basis).
Two more, for the HTTP services: `stubs` and `inbound` answer field errors alike through
`config.http_errors`, and `inbound` reads `codec` (what it hands Temporal is encrypted), `config`
and `rules` (the legal date, the decree days) beside the models, store and temporalio of DESIGN.md.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {
    "models",
    "rules",
    "workflows",
    "activities",
    "register_client",
    "stubs",
    "store",
    "letters",
    "codec",
    "config",
    "sim",
    "inbound",
    "backoffice",
    "worker",
    "engine",
}
# The project's own packages each package may import (itself always).
OWN_ARROWS = {
    "models": set(),
    "rules": {"models"},
    "workflows": {"models", "rules"},
    "register_client": {"models"},
    "stubs": {"models", "config"},  # config.http_errors: field errors answered as the door answers them
    "store": {"models", "config"},
    "letters": {"models"},
    "codec": {"models", "config"},
    "config": {"models", "rules"},
    "activities": PROJECT,
    "sim": PROJECT - {"backoffice"},
    "backoffice": PROJECT,
    # DESIGN.md: models, store and temporalio; and codec (what it hands Temporal is encrypted),
    # config (its settings) and rules (the legal date, the decree days) beside them.
    "inbound": {"models", "rules", "store", "config", "codec"},
}
# Outside libraries, for the layers that must stay pure (deterministic, no I/O).
OUTSIDE = {
    "models": {"pydantic"},
    "rules": {"pydantic"},
    "workflows": {"pydantic", "temporalio"},
}
IO_MODULES = {"socket", "subprocess", "sqlite3", "urllib", "http", "asyncio", "threading", "os", "shutil"}
WORKFLOW_SAFE_STDLIB = {"asyncio"}  # workflows use asyncio.gather on Temporal's deterministic loop


def imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules_of(package: str) -> list[Path]:
    return sorted(path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("package", sorted(OWN_ARROWS))
def test_arrows_between_the_projects_packages_follow_the_design(package):
    allowed = OWN_ARROWS[package] | {package}
    for path in modules_of(package):
        wrong = {name for name in imported_top_levels(path) & PROJECT if name not in allowed}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


@pytest.mark.parametrize("package", sorted(OUTSIDE))
def test_pure_layers_import_no_io_and_no_other_library(package):
    safe_io = WORKFLOW_SAFE_STDLIB if package == "workflows" else set()
    for path in modules_of(package):
        for name in imported_top_levels(path) - PROJECT:
            if name in sys.stdlib_module_names:
                assert name not in IO_MODULES - safe_io, f"{path.relative_to(ROOT)} imports {name}"
            else:
                assert name in OUTSIDE[package], f"{path.relative_to(ROOT)} imports {name}"


def test_workflows_call_activities_only_through_the_steps_module():
    for path in modules_of("workflows"):
        if path.name != "steps.py":
            assert "execute_activity(" not in path.read_text(), f"{path.relative_to(ROOT)} calls an activity itself"


def test_workflow_modules_import_the_workflows_package_by_full_name():
    """`from workflows import steps` inside a workflow's sandbox finds the package the sandbox
    loaded afresh and runs steps.py anew for every run; `import workflows.steps as steps` is
    passed through (the module loaded once): some 2 % of the workflow worker's CPU (issue 14)."""
    for path in modules_of("workflows"):
        tree = ast.parse(path.read_text())
        relative = [
            node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "workflows"
        ]
        assert relative == [], f"{path.relative_to(ROOT)}: `from workflows import` on lines {relative}"


def test_the_command_line_holds_no_sql():
    for path in modules_of("backoffice"):
        assert "sqlalchemy" not in imported_top_levels(path), f"{path.relative_to(ROOT)} imports sqlalchemy"

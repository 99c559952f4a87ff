"""Record the golden histories: the all-paths scenario of tests/workflows/test_paths.py (one case
per path of RULES.md, and the incoming transfers) run through the real workflows, each case's
every run saved with its audit rows as a `wkp audit export` file in this folder.

Run only on purpose, when a change to workflow code is meant to change what new cases record
(and running cases are versioned, see README "Changing workflow code safely"):
    .venv/bin/python -m tests.golden.record
"""

import asyncio
import json
import secrets
import tempfile
from collections import defaultdict
from pathlib import Path

from backoffice.audit import export_document
from backoffice.simulate import simulate
from rules.basis import load_basis
from rules.scenario import validate_scenario
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from tests.conftest import TEST_CONVERTER
from tests.workflows.test_paths import SCENARIO

FOLDER = Path(__file__).parent


async def record() -> list[Path]:
    histories: list = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'administration.db'}"
        migrate(url)
        admin = Administration(make_async_engine(url), BsnProtector(secrets.token_bytes(32)))
        await simulate(
            validate_scenario(SCENARIO),
            load_basis(),
            histories=histories,
            converter=TEST_CONVERTER,
            administration=admin,
        )
        runs = defaultdict(list)
        for history in histories:
            runs[history.workflow_id].append(history)
        written = []
        for workflow_id, case_runs in runs.items():
            subject = workflow_id.removeprefix(f"wkp-out-{SCENARIO['provider']}-").removeprefix(
                f"wkp-in-{SCENARIO['provider']}-"
            )
            trail = await admin.audit_trail(subject)
            path = FOLDER / f"{workflow_id}.json"
            document = export_document(workflow_id, case_runs, trail)
            document["exported_at"] = "recorded by tests/golden/record.py"
            path.write_text(json.dumps(document, indent=None, separators=(",", ":")))
            written.append(path)
        await admin.engine.dispose()
    return written


if __name__ == "__main__":
    for path in asyncio.run(record()):
        print(path.name, path.stat().st_size)

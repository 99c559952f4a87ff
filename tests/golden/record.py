"""Record the golden histories: the all-paths scenario of tests/workflows/test_paths.py (one case
per path of RULES.md, and the incoming transfers, delivered at the inbound door) run through the
real workflows, each case's every run saved with its audit rows as a `wkp audit export` file in
`v6/<scenario>/` (v5: recorded before closing cases published with their close, code version
2; v4: before cases carried their bookkeeping with their outside calls, code version 1; v3:
before cases published only before waits); with the case that
waits for its threshold (tests/workflows/test_operator_data.py)
and the cases that listen (tests/workflows/test_listening.py: a case of each report kind and
state, PW 66.1, PW 220b).

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
from models.ids import case_workflow_id, incoming_workflow_id
from rules.basis import load_basis
from rules.scenario import validate_scenario
from sim import SimulationOptions, simulate
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from tests.conftest import TEST_CONVERTER
from tests.workflows.test_listening import SCENARIO as LISTENING
from tests.workflows.test_operator_data import THRESHOLD_SCENARIO
from tests.workflows.test_paths import SCENARIO

FOLDER = Path(__file__).parent
# Recorded by the current workflow code. The files directly in FOLDER were recorded before the
# operator-data changes (threshold waits, true dates, 17f.3), those in v2/ before cases listened
# (reports, PW 66.1 and 220b, the afkoopvoet): all must keep replaying, since they are what cases
# started then carry in their histories.
CURRENT = FOLDER / "v6"
# The listening scenario's cases kept (the others repeat these paths): a death while a query is
# awaited, each report kind with a buy-out offer open, 66.1 consent and silence before 2007, the
# later pension date, the 2017 leaver bought off under 220b.
LISTENING_KEPT = {f"C-{n}" for n in (1, 13, 14, 15, 16, 30, 33, 35, 40)}
SCENARIOS = [(SCENARIO, None), (THRESHOLD_SCENARIO, None), (LISTENING, LISTENING_KEPT)]


async def record(raw: dict, folder: Path, kept: set[str] | None = None) -> list[Path]:
    """Run one scenario and write every workflow's runs with its audit rows into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'administration.db'}"
        migrate(url)
        admin = Administration(make_async_engine(url), BsnProtector(secrets.token_bytes(32)))
        histories = (
            await simulate(
                validate_scenario(raw),
                load_basis(),
                SimulationOptions(converter=TEST_CONVERTER, administration=admin, keep_histories=True),
            )
        ).histories
        provider = raw["provider"]
        subjects = {case_workflow_id(provider, c["case_id"]): c["case_id"] for c in raw["cases"]}
        runs = defaultdict(list)
        for history in histories:
            runs[history.workflow_id].append(history)
        # Incoming transfers carry the id the inbound door gave them.
        incoming = incoming_workflow_id(provider, "")
        subjects |= {wid: wid.removeprefix(incoming) for wid in runs if wid.startswith(incoming)}
        if kept is not None:
            runs = defaultdict(list, {wid: r for wid, r in runs.items() if subjects[wid] in kept})
        written = []
        for workflow_id, case_runs in runs.items():
            trail = await admin.audit_trail(subjects[workflow_id])
            path = folder / f"{workflow_id}.json"
            document = export_document(workflow_id, case_runs, trail)
            document["exported_at"] = "recorded by tests/golden/record.py"
            path.write_text(json.dumps(document, indent=None, separators=(",", ":")))
            written.append(path)
        await admin.close()
    return written


async def record_all() -> list[Path]:
    return [path for raw, kept in SCENARIOS for path in await record(raw, CURRENT / raw["name"], kept)]


if __name__ == "__main__":
    for path in asyncio.run(record_all()):
        print(path.relative_to(FOLDER), path.stat().st_size)

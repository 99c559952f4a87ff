"""A provider's portfolio on today's date (embedded stack, dev server): cases that need data no
operator has recorded yet — the 2026 threshold, a fund's funding ratio — wait, visibly, and none
fails; once an operator records the data with `wkp admin`, they go on by themselves and pay."""

import json
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client

from rules.suspension import ratio_month
from tests.conftest import TEST_CONVERTER, nth_bsn
from tests.legal_day import working_legal_date
from tests.polling import eventually

WKP = str(Path(sys.executable).parent / "wkp")
NEW = [f"N-{i}" for i in range(5)]  # left in 2026: the 2026 threshold is not recorded yet
FUNDED = [f"F-{i}" for i in range(2)]  # accrue at a fund whose ratio for the month is not recorded


async def test_cases_wait_for_operator_data_and_pay_once_it_is_recorded(tmp_path, stack_env):
    ports, env = stack_env
    home = Path(env["WKP_HOME"])

    def wkp(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([WKP, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)

    rows = [f"{case_id},{nth_bsn(600 + i)},1980-01-01,2026-03-31,2047-01-01,250.00" for i, case_id in enumerate(NEW)]
    rows += [
        f"{case_id},{nth_bsn(700 + i)},1980-01-01,2024-06-30,2047-01-01,250.00" for i, case_id in enumerate(FUNDED)
    ]
    (tmp_path / "export.csv").write_text(
        "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n" + "\n".join(rows) + "\n"
    )
    home.mkdir(parents=True)
    spells = [{"bsn": nth_bsn(600 + i), "provider": "PF-C", "from": "2020-01-01", "to": None} for i in range(5)]
    spells += [{"bsn": nth_bsn(700 + i), "provider": "PF-B", "from": "2020-01-01", "to": None} for i in range(2)]
    (home / "register-spells.json").write_text(json.dumps(spells))
    on = working_legal_date()
    month = ratio_month(on)
    try:
        assert wkp("admin", "import", "export.csv", "--no-progress").returncode == 0
        for provider, kind in (("PF-A", "fund"), ("PF-B", "fund"), ("PF-C", "insurer")):
            added = wkp("admin", "provider", "add", provider, "--kind", kind)
            assert added.returncode == 0, added.stderr
        # Only the engine's own fund has this month's ratio: PF-B's is not published yet.
        assert wkp("admin", "funding-ratio", "set", "PF-A", month, "1.12", "--source", "DNB").returncode == 0
        up = wkp("up", "--detach")
        assert up.returncode == 0, up.stdout + up.stderr
        started = wkp("wave", "start", "M1", "--all", "--legal-date", str(on))
        assert started.returncode == 0, started.stderr

        async def phases() -> dict[str, set[str]]:
            client = await Client.connect(f"localhost:{ports['temporal']}", data_converter=TEST_CONVERTER)
            found: dict[str, set[str]] = {}
            for phase in ("awaiting_threshold", "awaiting_funding_ratio", "closed"):
                found[phase] = {
                    execution.id.rsplit("PF-A-", 1)[1]
                    async for execution in client.list_workflows(f'WkpPhase="{phase}"')
                }
            found["failed"] = {execution.id async for execution in client.list_workflows('ExecutionStatus="Failed"')}
            return found

        def waiting(found: dict[str, set[str]]) -> bool:
            return found["awaiting_threshold"] == set(NEW) and found["awaiting_funding_ratio"] == set(FUNDED)

        found = await eventually(phases, waiting, timeout=120)
        assert found["awaiting_threshold"] == set(NEW) and found["awaiting_funding_ratio"] == set(FUNDED), found
        assert not found["failed"] and not found["closed"]
        status = wkp("wave", "status", "M1").stdout
        assert "waiting for threshold for 2026 (PW 66): wkp admin threshold set 2026: 5" in status, status
        assert f"waiting for funding ratio of PF-B for {month}" in status, status
        shown = wkp("case", "show", "N-0").stdout
        assert "awaiting_threshold" in shown and "waiting for threshold for 2026" in shown, shown

        below = wkp("admin", "threshold", "set", "2025", "600.00", "--source", "typo")
        assert below.returncode == 2 and "below the statutory threshold for 2025" in below.stderr
        recorded = wkp("admin", "threshold", "set", "2026", "640.00", "--source", "Staatscourant 2025, 12345")
        # Every case waiting for operator data is told (the funded ones look again and wait on).
        assert recorded.returncode == 0 and "7 waiting case(s) told to look again" in recorded.stdout, recorded
        ratio = wkp("admin", "funding-ratio", "set", "PF-B", month, "1.05", "--source", "PF-B website")
        assert ratio.returncode == 0 and "waiting case(s) told to look again" in ratio.stdout, ratio

        found = await eventually(phases, lambda found: found["closed"] == set(NEW) | set(FUNDED), timeout=120)
        assert found["closed"] == set(NEW) | set(FUNDED) and not found["failed"], found
        listed = wkp("admin", "threshold", "list").stdout
        assert "2026  EUR   640.00  recorded" in listed and "2025  EUR   613.52  shipped" in listed, listed
        again = wkp("admin", "threshold", "set", "2026", "640.00", "--source", "Staatscourant 2025, 12345")
        assert "was recorded already; nothing changed" in again.stdout
    finally:
        wkp("down")

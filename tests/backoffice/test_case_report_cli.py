"""Reports to running cases as an operator and the administration give them (embedded stack, dev
server): `wkp case report` and `wkp admin events` reach the cases through their report update; a
death closes the case that day, a request is answered, what does not apply is refused with the
field and the reason, and a re-import delivers nothing twice."""

import subprocess
import sys
from pathlib import Path

from temporalio.client import Client

from tests.conftest import TEST_CONVERTER, nth_bsn
from tests.legal_day import working_legal_date
from tests.polling import eventually

WKP = str(Path(sys.executable).parent / "wkp")
CASES = [f"R-{i}" for i in range(4)]  # left in 2025, accruing nowhere: each awaits its next query
LEAVER = "B-0"  # left in 2017 (PW 220b), accruing nowhere: bought off with consent, at an afkoopvoet


async def test_reports_reach_running_cases_from_the_command_line_and_the_daily_batch(tmp_path, stack_env):
    ports, env = stack_env
    env = {**env, "WKP_AFKOOPVOET_FILE": "none"}  # no table configured: a buy-out waits for an operator

    def wkp(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([WKP, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)

    rows = [f"{case_id},{nth_bsn(800 + i)},1970-01-01,2025-06-30,2037-01-01,250.00" for i, case_id in enumerate(CASES)]
    rows.append(f"{LEAVER},{nth_bsn(810)},1970-01-01,2017-05-31,2037-01-01,250.00")
    (tmp_path / "export.csv").write_text(
        "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n" + "\n".join(rows) + "\n"
    )
    Path(env["WKP_HOME"]).mkdir(parents=True)
    (Path(env["WKP_HOME"]) / "register-spells.json").write_text("[]")
    client = None

    async def phases() -> dict[str, str]:
        nonlocal client
        client = client or await Client.connect(f"localhost:{ports['temporal']}", data_converter=TEST_CONVERTER)
        found = {}
        async for execution in client.list_workflows('WorkflowType="OutgoingSmallPensionTransfer"'):
            phase = execution.search_attributes.get("WkpPhase", ["?"])[0]
            outcome = execution.search_attributes.get("WkpOutcome", [""])
            found[execution.id.rsplit("PF-A-", 1)[1]] = f"{phase} {outcome[0] if outcome else ''}".strip()
        return found

    async def phase_of(case_id: str, expected: str) -> str:
        """The case's phase once it is `expected`, or the last one seen within a minute."""
        return (await eventually(phases, lambda found: found[case_id] == expected, timeout=60))[case_id]

    try:
        assert wkp("admin", "import", "export.csv", "--no-progress").returncode == 0
        assert wkp("admin", "provider", "add", "PF-A", "--kind", "fund").returncode == 0
        up = wkp("up", "--detach")
        assert up.returncode == 0, up.stdout + up.stderr
        assert wkp("wave", "start", "R", "--all", "--legal-date", str(working_legal_date())).returncode == 0
        waiting = {case_id: "awaiting_query" for case_id in CASES} | {LEAVER: "awaiting_afkoopvoet"}
        assert await eventually(phases, lambda found: found == waiting, timeout=120) == waiting

        died = wkp("case", "report", "R-0", "--death-date", "2026-11-20")
        assert died.returncode == 0 and "death recorded: the case closes on" in died.stdout, died
        future = wkp("case", "report", "R-1", "--death-date", "2099-01-01")
        assert future.returncode == 2 and "death_date: is in the future" in future.stderr, future
        asked = wkp("case", "report", "R-1", "--request", "individual-transfer")
        assert asked.returncode == 0 and "automatic transfer applies (PW 71)" in asked.stdout, asked
        twice = wkp("case", "report", "R-1", "--request", "individual-transfer", "--learned-on", "2026-12-01")
        again = wkp("case", "report", "R-1", "--request", "individual-transfer", "--learned-on", "2026-12-01")
        assert twice.returncode == again.returncode == 0 and again.stdout == twice.stdout, again  # the first answer
        unknown = wkp("case", "report", "NOPE", "--death-date", "2026-11-20")
        assert unknown.returncode == 2 and "no case under automatic transfer has this id" in unknown.stderr
        two = wkp("case", "report", "R-1", "--death-date", "2026-11-20", "--pension-date", "2030-01-01")
        assert two.returncode == 2 and "exactly one of" in two.stderr

        assert await phase_of("R-0", "closed deceased") == "closed deceased"
        closed = wkp("case", "report", "R-0", "--request", "individual-transfer")
        assert closed.returncode == 2 and "is closed" in closed.stderr, closed

        (tmp_path / "events.csv").write_text(
            "case_id,on,kind,value\n"
            "R-2,2026-11-30,death_date,2026-11-25\n"
            "R-3,2026-12-01,request,calculation_statement\n"
            "R-0,2026-12-01,pension_date,2030-01-01\n"  # closed: refused by the case
            "R-1,2026-12-01,marriage,2026-11-25\n"
        )
        batch = wkp("admin", "events", "events.csv")
        assert batch.returncode == 3, batch
        assert "4 rows: 2 delivered, 0 unchanged, 2 rejected" in batch.stdout, batch.stdout
        rejects = (tmp_path / "events.rejects.csv").read_text().splitlines()
        assert rejects[1].startswith("4,R-0,case,is closed") and rejects[2].startswith("5,R-1,kind,"), rejects
        rerun = wkp("admin", "events", "events.csv")
        assert "4 rows: 0 delivered, 2 unchanged, 2 rejected" in rerun.stdout, rerun.stdout

        expected = {"R-0": "closed deceased", "R-2": "closed deceased"} | {k: "awaiting_query" for k in ("R-1", "R-3")}
        found = await eventually(phases, lambda found: {k: found[k] for k in expected} == expected, timeout=60)
        assert {k: found[k] for k in expected} == expected

        # Besluit 16: no afkoopvoet anywhere, so the 2017 leaver's buy-out waited; once an
        # operator records one, the offer goes out, and with consent the lump sum is paid at it.
        assert "no afkoopvoet" in wkp("admin", "afkoopvoet", "list").stdout
        both = wkp(
            "admin", "afkoopvoet", "set", "2026-01-01", "--factor", "11.85", "--by-age", "x.csv", "--source", "s"
        )
        assert both.returncode == 2 and "exactly one of --factor" in both.stderr
        bad = wkp("admin", "afkoopvoet", "set", "2026-01-01", "--factor", "-3", "--source", "Bestuursbesluit 2025-12")
        assert bad.returncode == 2 and "flat" in bad.stderr and "-3" not in bad.stderr, bad
        recorded = wkp(
            "admin", "afkoopvoet", "set", "2026-01-01", "--factor", "11.85", "--source", "Bestuursbesluit 2025-12"
        )
        assert recorded.returncode == 0 and "told to look again" in recorded.stdout, recorded
        assert "2026-01-01 to onwards" in wkp("admin", "afkoopvoet", "list").stdout
        assert await phase_of(LEAVER, "awaiting_consent") == "awaiting_consent"
        assert wkp("case", "consent", LEAVER, "--yes").returncode == 0
        assert await phase_of(LEAVER, "closed bought_off") == "closed bought_off"
        paid = wkp("case", "show", LEAVER).stdout
        assert "buyout_paid" in paid and "amount=2962.50" in paid and "factor=11.85" in paid, paid
        audit = wkp("audit", "report", LEAVER, "--out", str(tmp_path / "audit"))
        assert "factor 11.85, factor source Bestuursbesluit 2025-12" in audit.stdout, audit.stdout
        statement = wkp("case", "statement", "R-3", "--json")
        assert statement.returncode == 0 and '"value"' in statement.stdout, statement
        shown = wkp("case", "show", "R-3").stdout
        assert "calculation_statement" in shown and "17e.7" in shown, shown
        # R-1 asked on 2026-12-02 and (the same request, as learned) on 2026-12-01: two answers, not three
        assert wkp("case", "show", "R-1").stdout.count("automatic_transfer_applies") == 2
        said = shown + "".join(p.stdout + p.stderr for p in (died, future, asked, unknown, closed, batch, statement))
        assert not any(nth_bsn(800 + i) in said for i in range(4))
    finally:
        wkp("down")

"""`wkp wave` as the back-office runs it, on the embedded stack (`wkp up --detach`)."""

import asyncio
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client

from models.ids import wave_workflow_id
from models.wave import WaveProgress
from tests.conftest import TEST_CONVERTER, nth_bsn

WKP = str(Path(sys.executable).parent / "wkp")


def test_start_status_restart_and_steer_a_wave(tmp_path, stack_env):
    ports, env = stack_env

    def wkp(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([WKP, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)

    rows = "".join(f"V-{i:03d},{nth_bsn(300 + i)},1980-01-01,2024-06-30,2047-01-01,250.00\n" for i in range(30))
    rows += "".join(f"X-{i:03d},{nth_bsn(400 + i)},1970-01-01,2015-06-30,2037-01-01,250.00\n" for i in range(4))
    rows += "".join(f"T-{i:03d},{nth_bsn(450 + i)},1975-01-01,2018-0{i + 1}-28,2042-01-01,250.00\n" for i in range(3))
    (tmp_path / "export.csv").write_text(
        "case_id,bsn,birth_date,participation_end,pension_date,old_age_pension\n" + rows
    )
    (tmp_path / "wave.csv").write_text("case_id\n" + "".join(f"V-{i:03d}\n" for i in range(20)))
    try:
        assert wkp("admin", "import", "export.csv", "--no-progress").returncode == 0
        up = wkp("up", "--detach")
        assert up.returncode == 0, up.stdout + up.stderr
        started = wkp("wave", "start", "W1", "--cases", "wave.csv", "--window", "5")
        assert started.returncode == 0 and "wave W1 started: 20 cases, 5 at a time" in started.stdout, started.stderr

        async def finished() -> None:
            client = await Client.connect(f"localhost:{ports['temporal']}", data_converter=TEST_CONVERTER)
            await client.get_workflow_handle(wave_workflow_id("PF-A", "W1")).result()

        asyncio.run(finished())
        status = wkp("wave", "status", "W1")
        assert "wave W1: done; started 20, already running 0" in status.stdout, status.stdout + status.stderr

        again = wkp("wave", "start", "W1", "--cases", "wave.csv")
        assert "was started before: nothing new started (20 cases)" in again.stdout
        (tmp_path / "wave2.csv").write_text("".join(f"V-{i:03d}\n" for i in range(30)))  # one id a line
        overlapping = wkp("wave", "start", "W2", "--cases", "wave2.csv")
        assert overlapping.returncode == 0

        async def second() -> tuple[int, int]:
            client = await Client.connect(f"localhost:{ports['temporal']}", data_converter=TEST_CONVERTER)
            result = await client.get_workflow_handle(wave_workflow_id("PF-A", "W2"), result_type=WaveProgress).result()
            return result.counts.started, result.counts.already_running

        assert asyncio.run(second()) == (10, 20)  # the 20 of W1 are not started twice
        refused = wkp("wave", "pause", "W1")
        assert refused.returncode == 2 and refused.stderr.startswith("error: wave_id: 'W1'")
        unknown = wkp("wave", "status", "W9")
        assert unknown.returncode == 2 and "no wave 'W9'" in unknown.stderr
        plan = wkp("wave", "plan", "--start", "2030-01-05", "--wave-size", "2", "--per-day", "1", "--out", "plan.json")
        assert "plan: 4 existing small pensions in 2 waves, 2030-01-05 to 2030-01-09" in plan.stdout, (
            plan.stdout + plan.stderr
        )
        assert (tmp_path / "plan.csv").read_text().splitlines()[1] == "17F-001,2030-01-07,X-000"  # 5 Jan is a Saturday
        art56 = wkp("wave", "start", "A56", "--cohort", "56")
        assert "wave A56 started: 3 cases" in art56.stdout, art56.stdout + art56.stderr
        february = wkp("wave", "start", "A56-02", "--cohort", "56", "--ended-in", "2018-02")
        assert "wave A56-02 started: 1 cases" in february.stdout, february.stdout + february.stderr
        no_date = wkp("wave", "start", "F1", "--cohort", "17f")
        assert no_date.returncode == 2 and no_date.stderr.startswith("error: --date:")
        from_plan = wkp("wave", "start", "--plan", "plan.json")
        expected = "wave 17F-001 started: 2 cases, 50 at a time, 200 busy at most, register query on 2030-01-07"
        assert expected in from_plan.stdout, from_plan.stderr
    finally:
        wkp("down")

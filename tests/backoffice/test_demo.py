"""`wkp demo` as a user runs it: the embedded stack comes up, the cases start and take their
first statutory step, the Temporal UI's server lists them, and `wkp down` stops everything."""

import asyncio
import json
import re
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

from backoffice.demo import demo_bsn
from models.ids import case_workflow_id
from tests.legal_day import working_legal_date

ROOT = Path(__file__).resolve().parents[2]
WKP = str(Path(sys.executable).parent / "wkp")
ARTIFACTS = ROOT / "test-artifacts"  # screenshots for a person to look at; not committed


async def ui_shows_decoded_input(ui_port: int, tmp_path: Path) -> None:
    from tests.browser import chromium_page

    async with chromium_page() as page:
        await page.goto(f"http://localhost:{ui_port}/namespaces/default/workflows/wkp-out-PF-A-D-0000")
        await page.get_by_text(f'"bsn": "{demo_bsn(0)}"').first.wait_for(
            timeout=60_000
        )  # decoded: the UI called the codec
        assert await page.get_by_text('"case_id": "D-0000"').count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "ui-case-decoded.png"), full_page=True)


def test_demo_runs_the_cases_on_the_embedded_stack_and_the_ui_lists_them(tmp_path, stack_env):
    ports, env = stack_env

    def run_demo() -> subprocess.CompletedProcess:
        command = [WKP, "demo", "--cases", "40", "--no-progress"]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)

    try:
        demo = run_demo()
        assert demo.returncode == 0, demo.stdout + demo.stderr
        # On today's date (the next working day on a weekend or holiday), with no threshold
        # configured beyond 2025: the newest leavers wait for theirs.
        on = working_legal_date()
        assert f"legal date {on} ({on:%A})" in demo.stdout, demo.stdout
        assert "40 of 40 cases took their first step" in demo.stdout, demo.stdout
        assert "transferred" in demo.stdout and "payments booked" in demo.stdout
        newest = (on.replace(day=1) - timedelta(days=1)).year  # the portfolio's leavers end last month
        assert "awaiting_threshold" in demo.stdout and f"waiting for threshold for {newest}" in demo.stdout
        # Payments are made on the day of the answer, so once every first step is taken no case
        # may still show as awaiting payment in the administration.
        assert "awaiting_payment" not in demo.stdout
        assert f"http://localhost:{ports['ui']}/namespaces/default/workflows" in demo.stdout

        # The UI reads this HTTP API of the dev server: the cases are there.
        url = f"http://localhost:{ports['ui']}/api/v1/namespaces/default/workflows?query=WorkflowType%3D%22OutgoingSmallPensionTransfer%22"
        with urllib.request.urlopen(url, timeout=30) as response:
            listed = {execution["execution"]["workflowId"] for execution in json.load(response)["executions"]}
        assert {case_workflow_id("PF-A", f"D-{i:04d}") for i in range(40)} <= listed
        failed = (
            f"http://localhost:{ports['ui']}/api/v1/namespaces/default/workflows?query=ExecutionStatus%3D%22Failed%22"
        )
        with urllib.request.urlopen(failed, timeout=30) as response:
            assert not json.load(response).get("executions"), "a demo case failed"

        # The worker's Prometheus endpoint: the SDK's metrics and the engine's own.
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['metrics']}/metrics", timeout=30) as response:
            metrics = response.read().decode()
        assert "temporal_sticky_cache_hit" in metrics and "temporal_activity_schedule_to_start_latency" in metrics
        started = sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("wkp_cases_started"))
        assert started == 40, metrics
        assert re.search(r'^wkp_payments\S*status="accepted"\S* \d', metrics, re.MULTILINE), metrics
        assert re.search(r'^wkp_register_queries\S*result="answered"\S* \d', metrics, re.MULTILINE), metrics

        again = run_demo()
        assert "started 0 cases (40 were running already)" in again.stdout

        def wkp(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([WKP, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

        shown = wkp("case", "show", "D-0000")
        assert (
            shown.returncode == 0
            and shown.stdout.startswith("case D-0000: ")
            and "register_query       17e.1" in shown.stdout
        )
        exported = wkp("audit", "export", "D-0000")
        assert exported.returncode == 0 and "-> wkp-audit-D-0000.json" in exported.stdout, exported.stderr
        replayed = wkp("audit", "replay", "wkp-audit-D-0000.json")
        assert replayed.returncode == 0 and "replay against the current code" in replayed.stdout
        assert demo_bsn(0) not in (tmp_path / "wkp-audit-D-0000.json").read_text()  # exported as stored: encrypted

        # The Temporal UI in a real Chromium shows the case's input decoded by the codec server.
        asyncio.run(ui_shows_decoded_input(ports["ui"], tmp_path))

        up = wkp("up", "--detach")  # everything runs: nothing is started twice, the worker neither
        assert up.returncode == 0 and f"worker     already listening on port {ports['metrics']}" in up.stdout, up.stdout
    finally:
        down = subprocess.run([WKP, "down"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert "temporal" in down.stdout and not (tmp_path / ".wkp" / "stack.json").exists()

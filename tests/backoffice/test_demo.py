"""`wkp demo` as a user runs it: the embedded stack comes up, the cases start and take their
first statutory step, the Temporal UI's server lists them, and `wkp down` stops everything."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
WKP = str(Path(sys.executable).parent / "wkp")


def test_demo_runs_the_cases_on_the_embedded_stack_and_the_ui_lists_them(tmp_path, stack_env):
    ports, env = stack_env
    try:
        demo = subprocess.run([WKP, "demo", "--cases", "40", "--no-progress"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "40 of 40 cases concluded their first attempt" in demo.stdout
        assert "transferred" in demo.stdout and "payments booked" in demo.stdout
        # Payments are made on the day of the answer (a Monday), so once every first attempt
        # has concluded no case may still show as awaiting payment in the administration.
        assert "awaiting_payment" not in demo.stdout
        assert f"http://localhost:{ports['ui']}/namespaces/default/workflows" in demo.stdout

        # The UI reads this HTTP API of the dev server: the cases are there.
        url = f"http://localhost:{ports['ui']}/api/v1/namespaces/default/workflows?query=WorkflowType%3D%22OutgoingSmallPensionTransfer%22"
        with urllib.request.urlopen(url, timeout=30) as response:
            listed = {execution["execution"]["workflowId"] for execution in json.load(response)["executions"]}
        assert {f"wkp-out-PF-A-D-{i:04d}" for i in range(40)} <= listed

        again = subprocess.run([WKP, "demo", "--cases", "40", "--no-progress"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert "started 0 cases (40 were running already)" in again.stdout
    finally:
        down = subprocess.run([WKP, "down"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert "temporal" in down.stdout and not (tmp_path / ".wkp" / "stack.json").exists()

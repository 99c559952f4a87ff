"""`wkp simulate` as a user runs it, on the shared examples and on bad scenarios."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT.parent / "shared" / "scenarios" / "examples"
WKP = str(Path(sys.executable).parent / "wkp")


def simulate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([WKP, "simulate", str(path)], capture_output=True, text=True, timeout=300, cwd=ROOT)


def outcomes(result: subprocess.CompletedProcess) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # stdout holds nothing but JSON lines
    return {line.get("case_id") or line.get("transfer_id"): line["outcome"] for line in lines}


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="shared/scenarios/examples is not beside the repository")
def test_the_shared_examples_give_the_outcomes_the_rulebook_expects():
    assert outcomes(simulate(EXAMPLES / "new-small-pension.json")) == {
        "C-1": "transferred",
        "C-2": "lapsed",
        "C-3": "not_eligible",
    }
    # C-10 consents after five failed attempts; C-11 never answers and keeps the pension.
    assert outcomes(simulate(EXAMPLES / "five-attempts-buyout.json")) == {"C-10": "bought_off", "C-11": "open"}
    assert outcomes(simulate(EXAMPLES / "incoming-transfer.json")) == {"IN-1": "applied"}


def test_a_bad_scenario_is_refused_with_every_problem_named(tmp_path):
    bad = {
        "name": "bad",
        "provider": "PF-A",
        "start": "2021-01-01",
        "until": "2022-01-01",
        "providers": {},
        "register": [{"bsn": "111222333", "provider": "PF-X", "from": "2021-01-01", "to": None}],
        "cases": [
            {
                "case_id": "C-1",
                "bsn": "111222334",
                "birth_date": "1980-01-01",
                "participation_end": "2021-03-31",
                "pension_date": "2047-01-01",
                "old_age_pension": "100.00",
            }
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = simulate(path)
    assert result.returncode == 2 and result.stdout == ""
    assert "cases[0].bsn: fails the eleven-test (elfproef)" in result.stderr
    assert "111222334" not in result.stderr and "Traceback" not in result.stderr
    bad["cases"][0]["bsn"] = "111222333"
    path.write_text(json.dumps(bad))
    assert "register[0].provider: unknown provider 'PF-X'" in simulate(path).stderr

"""`wkp rules` as a user runs it: the installed entry point, in a fresh process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WKP = str(Path(sys.executable).parent / "wkp")


def wkp(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([WKP, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)


def write_case(tmp_path: Path, **changes) -> Path:
    case = json.loads((ROOT / "examples" / "case.json").read_text())
    case.update(changes)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    return path


def test_explain_json_for_the_example_case():
    result = wkp("rules", "explain", "examples/case.json", "--on", "2022-04-01", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["regime"] == "17e" and out["outcome"] == "eligible" and out["reason"] is None
    assert out["threshold"] == "503.24" and out["threshold_year"] == 2021
    assert out["first_query_due"] == "2022-03-31" and out["first_query_article"] == "17e.1"
    assert out["earliest_buyout_date"] == "2052-02-14"
    assert [o["article"] for o in out["buyout_options"]] == ["66.2.c", "66.1"]
    statement = out["transfer_value"]
    assert statement["transfer_date"] == "2022-04-01"
    assert statement["value"] == f"{float(statement['annual_pension']) * float(statement['factor']):.2f}"


def test_explain_text_is_readable():
    result = wkp("rules", "explain", "examples/case.json", "--on", "2022-04-01")
    assert result.returncode == 0, result.stderr
    assert "first register query: due 2022-03-31  [art. 17e.1]" in result.stdout
    assert "Transfer value:" in result.stdout


@pytest.mark.parametrize(
    ("changes", "outcome", "reason"),
    [
        ({"old_age_pension": "2.00"}, "lapsed", None),
        ({"old_age_pension": "503.24"}, "not_eligible", "above_threshold"),
        ({"net_pension": True}, "not_eligible", "net_pension"),
    ],
)
def test_explain_outcomes(tmp_path, changes, outcome, reason):
    result = wkp("rules", "explain", str(write_case(tmp_path, **changes)), "--on", "2022-04-01", "--json")
    out = json.loads(result.stdout)
    assert (out["outcome"], out["reason"]) == (outcome, reason)
    assert out["transfer_value"] is None and out["first_query_due"] is None


def test_explain_an_existing_small_pension_has_no_fixed_first_query(tmp_path):
    path = write_case(tmp_path, participation_end="2015-05-31", birth_date="1970-01-01", pension_date="2037-01-01")
    out = json.loads(wkp("rules", "explain", str(path), "--on", "2021-06-01", "--json").stdout)
    assert out["regime"] == "17f" and out["first_query_due"] is None and out["first_query_article"] == "17f.3"
    assert out["notices"] == ["17f.1.c"] and out["earliest_buyout_date"] == "2017-05-31"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--after", "2022-04-01", "--working-days", "10"], "2022-04-19"),
        (["--after", "2022-05-25", "--working-days", "1"], "2022-05-30"),  # Royal-decree day by default
        (["--after", "2022-01-31", "--months", "1"], "2022-02-28"),
        (["--after", "2022-03-30", "--months", "1"], "2022-05-02"),
        (["--after", "2021-03-31", "--years", "1"], "2022-03-31"),
    ],
)
def test_due(args, expected):
    result = wkp("rules", "due", *args, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["due"] == expected


def test_royal_decree_days_ship_and_configuration_adds_more(tmp_path):
    import os

    # 2026-05-15 is a decree day (RULES.md §9): ten working days after 2026-05-08 end on the 27th.
    result = wkp("rules", "due", "--after", "2026-05-08", "--working-days", "10", "--json")
    assert json.loads(result.stdout)["due"] == "2026-05-27"
    env = {**os.environ, "WKP_EXTRA_HOLIDAYS": '["2029-05-11"]'}
    result = wkp("rules", "due", "--after", "2029-05-10", "--working-days", "1", "--json", env=env)
    assert json.loads(result.stdout)["due"] == "2029-05-14"


def test_configured_threshold_for_a_later_year(tmp_path):
    import os

    path = write_case(tmp_path, participation_end="2026-03-31")
    refused = wkp("rules", "explain", str(path), "--on", "2026-11-05")
    assert refused.returncode == 2
    assert "threshold: no small-pension threshold (PW 66) is recorded for 2026" in refused.stderr
    env = {**os.environ, "WKP_THRESHOLDS": '{"2026": "640.00"}'}
    out = json.loads(wkp("rules", "explain", str(path), "--on", "2026-11-05", "--json", env=env).stdout)
    assert out["threshold"] == "640.00" and out["outcome"] == "eligible"


def bad_json_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.json"
    path.write_text('{"case_id": "C-1",')
    return path


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["rules", "explain", str(tmp / "missing.json")], "missing.json: file not found"),
        (lambda tmp: ["rules", "explain", str(bad_json_file(tmp))], "bad.json: not valid JSON"),
        (lambda tmp: ["rules", "explain", str(write_case(tmp, bsn="111222334"))], "bsn: fails the eleven-test"),
        (lambda tmp: ["rules", "explain", str(write_case(tmp, colour="blue"))], "colour: is not a known field"),
        (lambda tmp: ["rules", "explain", str(write_case(tmp, old_age_pension="1.234"))], "old_age_pension:"),
        (
            lambda tmp: ["rules", "explain", "examples/case.json", "--on", "01-04-2022"],
            "--on: is not a date in the form YYYY-MM-DD",
        ),
        (lambda tmp: ["rules", "due", "--after", "2022-04-01"], "give exactly one of"),
        (
            lambda tmp: ["rules", "due", "--after", "2022-02-30", "--years", "1"],
            "--after: is not a real calendar date",
        ),
    ],
)
def test_bad_input_gives_one_line_naming_the_field(tmp_path, make_args, message):
    result = wkp(*make_args(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_error_about_a_bsn_does_not_echo_the_bsn(tmp_path):
    result = wkp("rules", "explain", str(write_case(tmp_path, bsn="111222334")))
    assert "bsn:" in result.stderr and "111222334" not in result.stderr


def test_explain_shows_the_220b_route_of_a_2017_leaver_with_its_earliest_date(tmp_path):
    case = write_case(tmp_path, participation_end="2017-05-31", old_age_pension="300.00")
    out = json.loads(wkp("rules", "explain", str(case), "--on", "2022-04-01", "--json").stdout)
    assert out["regime"] == "56"
    assert [(o["article"], o["from_date"]) for o in out["buyout_options"]] == [
        ("220b", "2019-05-31"),
        ("66.1", "2052-02-14"),
    ]
    assert out["earliest_buyout_date"] == "2019-05-31"
    text = wkp("rules", "explain", str(case), "--on", "2022-04-01").stdout
    assert "2019-05-31" in text and "220b" in text and "the 56.2 register query failed" in text, text

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from models.problems import InvalidInput
from rules.scenario import load_scenario, validate_scenario

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "scenarios" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))

GOOD = {
    "name": "t",
    "provider": "PF-A",
    "start": "2021-01-01",
    "until": "2030-12-31",
    "thresholds": {"2026": "640.00"},
    "extra_holidays": ["2022-05-27"],
    "providers": {
        "PF-B": {"kind": "fund", "accepts": True, "down": [["2023-03-01", "2023-03-20"]]},
        "PF-C": {"kind": "insurer"},
    },
    "funding_ratios": {"PF-A": {"2022-09": 0.97, "2022-10": 1.02}},
    "register": [{"bsn": "111222333", "provider": "PF-B", "from": "2022-02-01", "to": None}],
    "plan": {"waves": [{"id": "W1", "date": "2021-09-01", "case_ids": ["C-3"]}]},
    "cases": [
        {
            "case_id": "C-1",
            "bsn": "111222333",
            "birth_date": "1985-02-14",
            "participation_end": "2021-03-31",
            "pension_date": "2052-02-14",
            "old_age_pension": 312.40,
        },
        {
            "case_id": "C-2",
            "bsn": "123456782",
            "birth_date": "1985-02-14",
            "participation_end": "2026-03-31",
            "pension_date": "2052-02-14",
            "old_age_pension": "12.00",
            "consent_to_buyout": False,
        },
        {
            "case_id": "C-3",
            "bsn": "100000009",
            "birth_date": "1960-02-14",
            "participation_end": "2015-03-31",
            "pension_date": "2027-02-14",
            "old_age_pension": "100.00",
        },
    ],
    "incoming": [
        {
            "transfer_id": "IN-1",
            "from_provider": "PF-C",
            "bsn": "123456782",
            "birth_date": "1990-07-01",
            "amount": "2345.67",
            "received": "2022-05-02",
        }
    ],
}


def problems_of(raw) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        validate_scenario(raw)
    return [str(problem) for problem in caught.value.problems]


def test_a_good_scenario_parses():
    scenario = validate_scenario(copy.deepcopy(GOOD))
    assert [case.case_id for case in scenario.cases] == ["C-1", "C-2", "C-3"]
    assert str(scenario.cases[0].old_age_pension) == "312.40"
    assert scenario.accrual_spells[0].from_.isoformat() == "2022-02-01"
    assert scenario.providers["PF-B"].down[0].end.isoformat() == "2023-03-20"


@pytest.mark.skipif(not EXAMPLE_FILES, reason="shared/scenarios/examples is not beside the repository")
def test_the_shared_examples_are_valid():
    for path in EXAMPLE_FILES:
        assert load_scenario(path).name == path.stem


def test_every_field_problem_is_listed_at_once():
    raw = copy.deepcopy(GOOD)
    raw["cases"][0]["bsn"] = "111222334"
    raw["cases"][1]["old_age_pension"] = "12.345"
    raw["cases"][2]["colour"] = "blue"
    raw["incoming"][0]["received"] = "2022-13-01"
    found = problems_of(raw)
    assert "cases[0].bsn: fails the eleven-test (elfproef)" in found
    assert any(p.startswith("cases[1].old_age_pension: ") and "more than two decimals" in p for p in found)
    assert "cases[2].colour: is not a known field" in found
    assert any(p.startswith("incoming[0].received: ") for p in found)
    assert len(found) == 4


def test_every_cross_field_problem_is_listed_at_once():
    raw = copy.deepcopy(GOOD)
    raw["until"] = "2020-12-31"
    raw["register"][0]["provider"] = "PF-X"
    raw["cases"].append(copy.deepcopy(raw["cases"][0]))
    raw["incoming"][0]["from_provider"] = "PF-Y"
    raw["funding_ratios"]["PF-C"] = {"2022-01": 0.9}
    raw["plan"]["waves"][0]["case_ids"].append("C-9")
    found = problems_of(raw)
    assert "until: must be after start (2021-01-01)" in found
    assert "register[0].provider: unknown provider 'PF-X'" in found
    assert "cases: duplicate case_id 'C-1'" in found
    assert "incoming[0].from_provider: unknown provider 'PF-Y'" in found
    assert "funding_ratios.PF-C: is an insurer; only a fund has a funding ratio (PW 72)" in found
    assert "plan.waves[0].case_ids: unknown case 'C-9'" in found


def test_a_needed_threshold_missing_is_refused():
    raw = copy.deepcopy(GOOD)
    del raw["thresholds"]
    assert problems_of(raw) == [
        "cases[1].participation_end: no small-pension threshold (PW 66) for 2026; add it under thresholds"
    ]


def test_a_threshold_below_the_statutory_one_is_refused():
    raw = copy.deepcopy(GOOD)
    raw["thresholds"]["2021"] = "400.00"
    assert problems_of(raw) == ["thresholds.2021: 400.00 is below the statutory threshold 503.24 (PW 66)"]


def test_existing_small_pensions_need_a_wave_and_others_may_not_have_one():
    raw = copy.deepcopy(GOOD)
    raw["plan"]["waves"][0]["case_ids"] = ["C-1"]
    found = problems_of(raw)
    assert "cases[0]: only existing small pensions (ended before 2017) go in the 17f plan" in found
    assert "cases[2]: an existing small pension (Besluit 17f) needs a wave in plan.waves" in found


def test_case_dates_out_of_order_name_the_field():
    raw = copy.deepcopy(GOOD)
    raw["cases"][0]["pension_date"] = "2020-01-01"
    assert problems_of(raw) == [
        "cases[0].pension_date: must be after participation_end (a sleeper pension not yet started)"
    ]


def test_bad_json_and_missing_file_are_input_problems(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",')
    with pytest.raises(InvalidInput, match=r"broken\.json: not valid JSON"):
        load_scenario(broken)
    with pytest.raises(InvalidInput, match="file not found"):
        load_scenario(tmp_path / "missing.json")


def test_json_numbers_keep_their_written_amount(tmp_path):
    path = tmp_path / "s.json"
    raw = copy.deepcopy(GOOD)
    path.write_text(json.dumps(raw).replace('"2345.67"', "2345.67"))
    assert str(load_scenario(path).incoming[0].amount) == "2345.67"


def test_a_threshold_known_only_later_and_register_outages_parse():
    raw = copy.deepcopy(GOOD)
    raw["thresholds"] = {"2026": {"amount": "640.00", "known_from": "2026-03-02"}}
    raw["register_down"] = [["2023-04-01", "2023-04-24"]]
    scenario = validate_scenario(raw)
    assert scenario.known_thresholds() == {}
    assert scenario.later_thresholds()[2026].known_from == date(2026, 3, 2)
    assert scenario.all_thresholds() == {2026: Decimal("640.00")}
    raw["register_down"] = [["2023-04-24", "2023-04-01"]]
    assert problems_of(raw) == ["register_down[0]: the end of a down period is before its start"]

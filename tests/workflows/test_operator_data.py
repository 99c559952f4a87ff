"""Cases never fail for data an operator supplies, and every event is dated the day it really
happened (time-skipping server, through the simulation harness and the real activities)."""

from datetime import date

from models.events import EventType
from rules.calendar import DECREE_DAYS, LegalCalendar
from rules.scenario import validate_scenario
from sim import simulate
from tests.conftest import nth_bsn

calendar = LegalCalendar(DECREE_DAYS)
D = date.fromisoformat


def case(n: int, end: str, **extra: object) -> dict:
    return {
        "case_id": f"T-{n}",
        "bsn": nth_bsn(100 + n),
        "birth_date": "1980-01-01",
        "participation_end": end,
        "pension_date": "2047-01-01",
        "old_age_pension": "300.00",
        **extra,
    }


def accrues(n: int) -> dict:
    return {"bsn": nth_bsn(100 + n), "provider": "PF-B", "from": "2015-01-01", "to": None}


THRESHOLD_SCENARIO = {
    "name": "threshold-awaited",
    "provider": "PF-A",
    "start": "2026-01-05",
    "until": "2026-12-31",
    "thresholds": {"2026": {"amount": "640.00", "known_from": "2026-06-03"}},
    "providers": {"PF-B": {"kind": "insurer"}},
    "register": [accrues(1)],
    "cases": [case(1, "2026-03-31")],
}

OUTAGE_SCENARIO = {
    "name": "register-down",
    "provider": "PF-A",
    "start": "2021-03-25",
    "until": "2021-06-30",
    "register_down": [["2021-03-25", "2021-04-14"]],
    "providers": {"PF-B": {"kind": "insurer"}},
    "register": [accrues(1), accrues(2)],
    # T-1: first query due 2022-03-31, asked 2021-04-01 during the outage.
    # T-2: first query due 2021-03-26 (17e.1), asked at the start during the outage.
    "cases": [case(1, "2021-03-31"), case(2, "2020-03-26")],
}


def by_type(line: dict, kind: EventType) -> list[dict]:
    return [event for event in line["events"] if event["type"] == kind.value]


async def test_a_case_waits_for_a_threshold_nobody_recorded_and_goes_on_the_day_it_is(basis):
    scenario = validate_scenario(THRESHOLD_SCENARIO)
    [line] = (await simulate(scenario, basis)).lines
    assert line["outcome"] == "transferred"
    awaited, query = by_type(line, EventType.THRESHOLD_AWAITED)[0], by_type(line, EventType.REGISTER_QUERY)[0]
    # Not before participation ended, and the year named.
    assert (awaited["date"], awaited["year"]) == ("2026-04-01", 2026)
    # Assessed and queried on the day the threshold was recorded, within the 17e.1 term.
    assert (query["date"], query["due"], query["article"]) == ("2026-06-03", "2027-03-31", "17e.1")
    assert not by_type(line, EventType.DEADLINE_BREACHED)


async def test_a_register_outage_dates_the_query_payment_and_value_on_the_day_of_the_answer(basis):
    scenario = validate_scenario(OUTAGE_SCENARIO)
    on_time, late = (await simulate(scenario, basis)).lines
    answered = "2021-04-15"  # the first day the register answers again
    for line in (on_time, late):
        [query] = by_type(line, EventType.REGISTER_QUERY)
        [payment] = by_type(line, EventType.PAYMENT)
        assert query["date"] == answered
        assert payment["due"] == calendar.add_working_days(D(answered), 10).isoformat()
        assert payment["date"] == payment["transfer_date"] == answered
    assert not by_type(on_time, EventType.DEADLINE_BREACHED)
    [breach] = by_type(late, EventType.DEADLINE_BREACHED)
    assert (breach["date"], breach["due"], breach["article"]) == (answered, "2021-03-26", "17e.1")
    # The transfer value is the value as of the day it was paid (17e.6): one day of interest and
    # age apart from a payment on the planned day would give another amount.
    later = validate_scenario({**scenario.model_dump(mode="json", by_alias=True), "register_down": []})
    quiet = (await simulate(later, basis)).lines[0]
    assert by_type(quiet, EventType.PAYMENT)[0]["date"] == "2021-04-01"
    assert by_type(quiet, EventType.PAYMENT)[0]["amount"] != by_type(on_time, EventType.PAYMENT)[0]["amount"]

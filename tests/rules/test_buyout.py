from datetime import date

import pytest

from rules.buyout import (
    AnswerNeeded,
    BuyoutRoute,
    buyout_decision,
    buyout_options,
    counted_failures,
    earliest_buyout_date,
)
from tests.conftest import make_case


def yearly(first: date, count: int) -> list[date]:
    return [first.replace(year=first.year + i) for i in range(count)]


def test_at_most_one_failed_attempt_counts_per_twelve_months():
    failures = [date(2020, 1, 10), date(2020, 6, 1), date(2021, 1, 9), date(2021, 1, 10), date(2022, 3, 1)]
    assert counted_failures(failures) == [date(2020, 1, 10), date(2021, 1, 10), date(2022, 3, 1)]


def test_counting_ignores_input_order():
    assert counted_failures([date(2022, 1, 1), date(2021, 1, 1)]) == [date(2021, 1, 1), date(2022, 1, 1)]


def test_five_failed_attempts_span_at_least_four_years():
    new_case = make_case(
        participation_end=date(2019, 6, 30), pension_date=date(2057, 4, 12), birth_date=date(1990, 4, 12)
    )
    failures = yearly(date(2019, 7, 1), 5)
    on_fifth = buyout_decision(new_case, date(2023, 7, 1), failures)
    assert on_fifth.allowed and on_fifth.route is BuyoutRoute.FIVE_FAILED_ATTEMPTS
    assert on_fifth.article == "66.2.c" and on_fifth.answer_needed is AnswerNeeded.CONSENT
    assert on_fifth.failed_attempts == 5
    day_before = buyout_decision(new_case, date(2023, 6, 30), failures)
    assert not day_before.allowed and day_before.failed_attempts == 4


def test_many_failures_within_a_year_do_not_open_buyout():
    case = make_case()
    failures = [date(2022, month, 1) for month in range(1, 13)]
    decision = buyout_decision(case, date(2022, 12, 31), failures)
    assert not decision.allowed and decision.failed_attempts == 1


@pytest.mark.parametrize(
    ("end", "on", "allowed"),
    [
        (date(2018, 3, 31), date(2023, 12, 31), False),
        (date(2018, 3, 31), date(2024, 1, 1), True),
        (date(2018, 12, 31), date(2024, 1, 1), True),
        (date(2017, 12, 31), date(2024, 1, 1), False),  # 2017 is transitional but not the 2018 cohort
    ],
)
def test_the_2018_cohort_may_be_bought_off_from_2024(end, on, allowed):
    case = make_case(participation_end=end, birth_date=date(1980, 1, 1), pension_date=date(2047, 1, 1))
    decision = buyout_decision(case, on, failure_dates=[])
    assert decision.allowed is allowed
    if allowed:
        assert decision.route is BuyoutRoute.COHORT_2018 and decision.answer_needed is AnswerNeeded.CONSENT


def test_existing_case_needs_a_failed_plan_attempt_and_two_years():
    case = make_case(participation_end=date(2015, 5, 31), birth_date=date(1970, 1, 1), pension_date=date(2037, 1, 1))
    assert not buyout_decision(case, date(2021, 1, 1), []).allowed
    decision = buyout_decision(case, date(2021, 3, 1), [date(2021, 3, 1)])
    assert decision.allowed and decision.route is BuyoutRoute.EXISTING_AFTER_FAILED_PLAN and decision.article == "220b"
    # A failure recorded after `on` does not count yet.
    assert not buyout_decision(case, date(2021, 2, 28), [date(2021, 3, 1)]).allowed


def test_existing_case_two_years_not_yet_passed():
    case = make_case(participation_end=date(2016, 12, 31), birth_date=date(1970, 1, 1), pension_date=date(2037, 1, 1))
    assert not buyout_decision(case, date(2018, 12, 30), [date(2018, 6, 1)]).allowed
    assert buyout_decision(case, date(2018, 12, 31), [date(2018, 6, 1)]).allowed


@pytest.mark.parametrize(
    ("end", "answer"),
    [(date(2006, 12, 31), AnswerNeeded.NO_OBJECTION), (date(2007, 1, 1), AnswerNeeded.CONSENT)],
)
def test_at_the_pension_date_consent_or_absent_objection(end, answer):
    case = make_case(participation_end=end, birth_date=date(1960, 1, 1), pension_date=date(2027, 1, 1))
    decision = buyout_decision(case, date(2027, 1, 1), [])
    assert decision.allowed and decision.route is BuyoutRoute.PENSION_DATE and decision.article == "66.1"
    assert decision.answer_needed is answer
    assert not buyout_decision(case, date(2026, 12, 31), []).allowed


def test_options_and_earliest_date_per_regime():
    new = make_case()
    assert [o.route for o in buyout_options(new)] == [BuyoutRoute.FIVE_FAILED_ATTEMPTS, BuyoutRoute.PENSION_DATE]
    assert earliest_buyout_date(new) == new.pension_date

    cohort = make_case(participation_end=date(2018, 6, 30), birth_date=date(1980, 1, 1), pension_date=date(2047, 1, 1))
    assert earliest_buyout_date(cohort) == date(2024, 1, 1)

    existing = make_case(
        participation_end=date(2015, 5, 31), birth_date=date(1970, 1, 1), pension_date=date(2037, 1, 1)
    )
    assert earliest_buyout_date(existing) == date(2017, 5, 31)

    # A cohort date after the pension date is no route at all.
    late = make_case(participation_end=date(2018, 6, 30), birth_date=date(1956, 1, 1), pension_date=date(2023, 1, 1))
    assert [o.route for o in buyout_options(late)] == [BuyoutRoute.FIVE_FAILED_ATTEMPTS, BuyoutRoute.PENSION_DATE]

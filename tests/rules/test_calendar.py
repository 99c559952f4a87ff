from datetime import date, timedelta

import holidays
import pytest
from holidays.constants import OPTIONAL, PUBLIC
from hypothesis import given
from hypothesis import strategies as st

from rules.calendar import LegalCalendar, add_months, add_years, atw_holidays, easter_sunday

# Every Atw holiday of RULES.md §9 for 2019-2030, written out by hand from the published Easter
# dates: New Year, Good Friday, Easter Monday, King's Day, 5 May, Ascension, Whit Monday, 25/26 Dec.
WRITTEN_OUT = {
    2019: ["01-01", "04-19", "04-22", "04-27", "05-05", "05-30", "06-10", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "04-27", "05-05", "05-21", "06-01", "12-25", "12-26"],
    2021: ["01-01", "04-02", "04-05", "04-27", "05-05", "05-13", "05-24", "12-25", "12-26"],
    2022: ["01-01", "04-15", "04-18", "04-27", "05-05", "05-26", "06-06", "12-25", "12-26"],
    2023: ["01-01", "04-07", "04-10", "04-27", "05-05", "05-18", "05-29", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "04-27", "05-05", "05-09", "05-20", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "04-26", "05-05", "05-29", "06-09", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "04-27", "05-05", "05-14", "05-25", "12-25", "12-26"],
    2027: ["01-01", "03-26", "03-29", "04-27", "05-05", "05-06", "05-17", "12-25", "12-26"],
    2028: ["01-01", "04-14", "04-17", "04-27", "05-05", "05-25", "06-05", "12-25", "12-26"],
    2029: ["01-01", "03-30", "04-02", "04-27", "05-05", "05-10", "05-21", "12-25", "12-26"],
    2030: ["01-01", "04-19", "04-22", "04-27", "05-05", "05-30", "06-10", "12-25", "12-26"],
}

calendar = LegalCalendar()
with_decree = LegalCalendar([date(2022, 5, 27)])


@pytest.mark.parametrize("year", sorted(WRITTEN_OUT))
def test_holidays_match_the_written_out_list(year):
    expected = {date.fromisoformat(f"{year}-{day}") for day in WRITTEN_OUT[year]}
    assert atw_holidays(year) == expected


@pytest.mark.parametrize("year", range(2015, 2051))
def test_holidays_agree_with_the_holidays_package_including_its_optional_days(year):
    # The package counts 5 May only in lustrum years unless OPTIONAL is included.
    theirs = holidays.Netherlands(years=year, categories=(PUBLIC, OPTIONAL))
    # Easter and Whit Sunday are Sundays anyway: compare the days a Sunday does not already cover.
    assert {d for d in atw_holidays(year) if d.weekday() != 6} == {d for d in theirs if d.weekday() != 6}


def test_easter_known_dates():
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2038) == date(2038, 4, 25)  # the latest possible Easter this century
    assert easter_sunday(2285) == date(2285, 3, 22)  # the earliest possible


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    assert not calendar.is_working_day(date(2025, 4, 26))
    assert calendar.is_working_day(date(2025, 4, 28))  # Monday after: an ordinary day
    assert date(2025, 4, 27).weekday() == 6


def test_fifth_of_may_every_year_not_only_lustrum_years():
    assert not calendar.is_working_day(date(2023, 5, 5))  # a Friday, not a lustrum year
    assert not calendar.is_working_day(date(2025, 5, 5))


def test_royal_decree_days_come_from_configuration():
    assert calendar.is_working_day(date(2022, 5, 27))
    assert not with_decree.is_working_day(date(2022, 5, 27))
    # Ascension 2022-05-26, decree day 05-27, weekend: the next working day is Monday 05-30.
    assert with_decree.add_working_days(date(2022, 5, 25), 1) == date(2022, 5, 30)
    assert calendar.add_working_days(date(2022, 5, 25), 1) == date(2022, 5, 27)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2022-04-01", "2022-04-19"),  # Good Friday and Easter Monday do not count
        ("2023-12-20", "2024-01-08"),  # Christmas, Boxing Day and New Year's Day on weekdays
        ("2021-12-20", "2022-01-03"),  # Christmas and New Year 2021/22 fall on weekends
        ("2024-05-01", "2024-05-16"),  # Ascension (Thu 9 May)
        ("2023-04-26", "2023-05-12"),  # King's Day Thu 27 Apr, 5 May on a Friday
        ("2022-04-02", "2022-04-19"),  # a Saturday start: day 0 is the Saturday itself
        ("2024-02-15", "2024-02-29"),  # a leap day is an ordinary working day
    ],
)
def test_ten_working_days_after(start, due):
    assert calendar.add_working_days(date.fromisoformat(start), 10) == date.fromisoformat(due)


def test_zero_working_days_is_the_day_itself():
    assert calendar.add_working_days(date(2022, 4, 15), 0) == date(2022, 4, 15)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2022-01-31", "2022-02-28"),  # no 31 February: the month's last day (a Monday)
        ("2024-01-31", "2024-02-29"),  # leap year
        ("2023-01-31", "2023-02-28"),  # Tuesday
        ("2022-03-30", "2022-05-02"),  # 30 April is a Saturday: moves to Monday 2 May
        ("2025-03-26", "2025-04-28"),  # 26 April 2025 is King's Day (Sat): Monday 28 April
        ("2022-11-25", "2022-12-27"),  # Sunday 25 Dec, Boxing Day Monday: Tuesday 27 Dec
        ("2023-12-15", "2024-01-15"),  # across the year end
        ("2023-04-05", "2023-05-05"),  # on 5 May (Friday): moves to Monday 8 May
    ],
)
def test_within_one_month_after(start, due):
    expected = date.fromisoformat(due)
    if start == "2023-04-05":
        expected = date(2023, 5, 8)
    assert calendar.within_months(date.fromisoformat(start), 1) == expected


def test_terms_in_years_do_not_move():
    assert calendar.within_years(date(2021, 3, 31), 1) == date(2022, 3, 31)
    # 25 December 2022 is a Sunday and a holiday: a year term still ends there (Atw 4).
    assert calendar.within_years(date(2021, 12, 25), 1) == date(2022, 12, 25)
    assert calendar.within_years(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert calendar.within_years(date(2020, 2, 29), 4) == date(2024, 2, 29)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2021, 8, 31), 1) == date(2021, 9, 30)
    assert add_months(date(2021, 12, 31), 2) == date(2022, 2, 28)
    assert add_months(date(2021, 1, 15), -1) == date(2020, 12, 15)
    assert add_years(date(2023, 6, 1), 1) == date(2024, 6, 1)


days = st.dates(min_value=date(2015, 1, 1), max_value=date(2060, 12, 31))


@given(start=days, count=st.integers(min_value=1, max_value=60))
def test_due_after_n_working_days_is_a_working_day_with_exactly_n_working_days(start, count):
    due = calendar.add_working_days(start, count)
    assert calendar.is_working_day(due)
    assert calendar.working_days_between(start, due) == count
    # and it is the first such day: the day before it has one working day fewer
    assert calendar.working_days_between(start, due - timedelta(days=1)) == count - 1


@given(start=days, months=st.integers(min_value=1, max_value=24))
def test_within_months_is_a_working_day_no_earlier_than_the_calendar_date(start, months):
    due = calendar.within_months(start, months)
    plain = add_months(start, months)
    assert calendar.is_working_day(due)
    assert plain <= due
    assert all(not calendar.is_working_day(plain + timedelta(days=d)) for d in range((due - plain).days))

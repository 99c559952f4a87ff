"""The legal calendar: working days and statutory terms (Algemene termijnenwet, RULES.md §9).

Pure and deterministic, so workflows can call it inside Temporal's sandbox.
"""

import calendar as _calendar
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """King's Day (Koningsdag): 27 April, or 26 April when the 27th is a Sunday (from 2014).
    Before 2014 Queen's Day: 30 April, or 29 April when the 30th is a Sunday."""
    if year >= 2014:
        day = date(year, 4, 27)
    else:
        day = date(year, 4, 30)
    return day - timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=256)
def atw_holidays(year: int) -> frozenset[date]:
    """The generally recognised holidays of Atw art. 3 as RULES.md §9 lists them for `year`.

    Good Friday is not in Atw art. 3.1 itself; RULES.md counts it as a non-working day and this
    engine follows the rulebook. Easter Sunday and Whit Sunday are Sundays and need no entry.
    """
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # Nieuwjaarsdag
            easter - timedelta(days=2),  # Goede Vrijdag (RULES.md §9)
            easter + timedelta(days=1),  # tweede Paasdag
            kings_day(year),  # Koningsdag
            date(year, 5, 5),  # Bevrijdingsdag, every year under Atw 3
            easter + timedelta(days=39),  # Hemelvaartsdag
            easter + timedelta(days=50),  # tweede Pinksterdag
            date(year, 12, 25),  # eerste Kerstdag
            date(year, 12, 26),  # tweede Kerstdag
        }
    )


def add_years(day: date, years: int) -> date:
    """The same calendar date `years` later; 29 February becomes 28 February in a common year."""
    target = day.year + years
    if day.month == 2 and day.day == 29 and not _calendar.isleap(target):
        return date(target, 2, 28)
    return day.replace(year=target)


def add_months(day: date, months: int) -> date:
    """The same day number `months` later, or that month's last day if it has no such day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def first_of_next_month(day: date) -> date:
    return add_months(day.replace(day=1), 1)


# Days a Royal decree made equal to a generally recognised holiday for the Atw (Atw 3.3), with
# their source (RULES.md §9). Shipped as law; an operator records a new decree in the
# administration (`wkp admin holiday add`).
DECREE = "Royal decree equating the day with a holiday (Besluit gelijkstelling, Atw 3.3), RULES.md §9"
DECREE_DAYS: Mapping[date, str] = {
    date(2022, 5, 27): DECREE,
    date(2023, 4, 28): DECREE,
    date(2023, 5, 19): DECREE,
    date(2024, 5, 10): DECREE,
    date(2024, 12, 27): DECREE,
    date(2025, 5, 30): DECREE,
    date(2026, 1, 2): DECREE,
    date(2026, 5, 15): DECREE,
    date(2027, 5, 7): DECREE,
    date(2028, 4, 28): DECREE,
    date(2028, 5, 26): DECREE,
}


class LegalCalendar:
    """Working days under the Atw, with the Royal-decree days of Atw 3.3 from configuration."""

    def __init__(self, extra_holidays: Iterable[date] = ()) -> None:
        self.extra_holidays = frozenset(extra_holidays)

    def is_holiday(self, day: date) -> bool:
        return day in atw_holidays(day.year) or day in self.extra_holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it (Atw 1)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, count: int) -> date:
        """'Within `count` working days after `start`': `start` is day 0, the due date is the
        `count`-th working day after it (RULES.md §9; Besluit 17e.4, 17e.5)."""
        if count < 0:
            raise ValueError("count: must not be negative")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def within_months(self, start: date, months: int) -> date:
        """'Within `months` month(s) after `start`', moved to the next working day when it ends on
        a Saturday, Sunday or holiday (Atw 1; Besluit 17e.5)."""
        return self.next_working_day(add_months(start, months))

    def within_years(self, start: date, years: int) -> date:
        """'Within `years` year(s) after `start`': terms in years do not move (Atw 4)."""
        return add_years(start, years)

"""Legal dates are Europe/Amsterdam calendar dates. Computed from the EU summer-time rule
(last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC: UTC+2, else UTC+1), so no
time-zone files are read and workflows can use it in the sandbox."""

from datetime import UTC, date, datetime, time, timedelta


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def amsterdam_offset(instant: datetime) -> timedelta:
    utc = instant.astimezone(UTC)
    summer_start = datetime.combine(_last_sunday(utc.year, 3), time(1), UTC)
    summer_end = datetime.combine(_last_sunday(utc.year, 10), time(1), UTC)
    return timedelta(hours=2 if summer_start <= utc < summer_end else 1)


def amsterdam_date(instant: datetime) -> date:
    return (instant.astimezone(UTC) + amsterdam_offset(instant)).date()


def amsterdam_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins in Amsterdam."""
    guess = datetime.combine(day, time(0), UTC)
    return guess - amsterdam_offset(guess - timedelta(hours=2))

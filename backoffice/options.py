"""Option parsing shared by the command groups: a refusal names the option and the rule."""

import re
from datetime import date

from backoffice.errors import fail
from models.dates import to_legal_date


def parse_date(value: str, option: str) -> date:
    """A legal date `YYYY-MM-DD`."""
    try:
        return to_legal_date(value)
    except ValueError as error:
        raise fail(f"{option}: {error}") from None


def optional_date(value: str | None, option: str) -> date | None:
    return parse_date(value, option) if value else None


def parse_month(value: str, option: str) -> tuple[date, date]:
    """A month `YYYY-MM`, as its first day and the first day of the next month."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise fail(f"{option}: is not a month (YYYY-MM)")
    first = parse_date(f"{value}-01", option)
    return first, date(first.year + first.month // 12, first.month % 12 + 1, 1)

"""Legal dates: ISO YYYY-MM-DD calendar dates in the Dutch legal calendar (Europe/Amsterdam)."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The dates a pension case can hold: births from 1900, pension dates up to 2150. Outside it a
# date is a typo or an attack (0001-01-01, 9999-12-31), and terms past it cannot be counted.
EARLIEST = date(1900, 1, 1)
LATEST = date(2150, 12, 31)


def to_legal_date(value: Any) -> date:
    """Accept a `date` or an ISO `YYYY-MM-DD` string, nothing looser (no timestamps), between
    1900 and 2150. A refusal never repeats the value: it may be personal data in a wrong column."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        day = value
    elif isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("is not a real calendar date") from None
    else:
        raise ValueError("is not a date in the form YYYY-MM-DD")
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year}")
    return day


LegalDate = Annotated[date, BeforeValidator(to_legal_date)]

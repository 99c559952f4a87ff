"""Legal dates: ISO YYYY-MM-DD calendar dates in the Dutch legal calendar (Europe/Amsterdam)."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def to_legal_date(value: Any) -> date:
    """Accept a `date` or an ISO `YYYY-MM-DD` string, nothing looser (no timestamps)."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a real calendar date") from None
    raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")


LegalDate = Annotated[date, BeforeValidator(to_legal_date)]

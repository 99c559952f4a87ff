"""The legal date the embedded-stack tests run their cases on: the stack runs on real time, and
payments (Besluit 17e.4) and buy-out offers go out on working days only, so on a Saturday every
case would wait for Monday and a test that expects a payment would wait in vain."""

from datetime import UTC, date, datetime

from rules.calendar import DECREE_DAYS, LegalCalendar
from rules.legal_time import amsterdam_date


def working_legal_date() -> date:
    """Today's Amsterdam date when it is a working day, else the next working day: passed as
    `--legal-date`, the cases' clock reads that day while the test runs."""
    return LegalCalendar(DECREE_DAYS).next_working_day(amsterdam_date(datetime.now(UTC)))

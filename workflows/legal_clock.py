"""The legal clock: legal date = workflow time + a fixed offset (zero in production), read as an
Amsterdam calendar date. A simulation passes one offset per run so that it can start in any year."""

from collections.abc import Callable
from datetime import date, timedelta

from temporalio import workflow

from rules.legal_time import amsterdam_date, amsterdam_midnight

# Wake a little after midnight so that the new legal day has certainly begun.
WAKE_AFTER_MIDNIGHT = timedelta(minutes=1)


class LegalClock:
    def __init__(self, offset_s: float) -> None:
        self.offset = timedelta(seconds=offset_s)

    def today(self) -> date:
        return amsterdam_date(workflow.now() + self.offset)

    async def sleep_until(self, day: date, summary: str) -> None:
        """Sleep until the legal day `day` has begun (no-op when it has). The summary names what
        the case waits for; the Temporal UI shows it on the timer."""
        wake = amsterdam_midnight(day) + WAKE_AFTER_MIDNIGHT - self.offset
        remaining = (wake - workflow.now()).total_seconds()
        if remaining > 0:
            await workflow.sleep(remaining, summary=summary)

    async def wait_condition_until(self, condition: Callable[[], bool], day: date, summary: str) -> bool:
        """Wait until `condition()` holds or the legal day `day` begins; True when it held."""
        wake = amsterdam_midnight(day) + WAKE_AFTER_MIDNIGHT - self.offset
        remaining = (wake - workflow.now()).total_seconds()
        if condition():
            return True
        if remaining <= 0:
            return False
        try:
            await workflow.wait_condition(condition, timeout=remaining, timeout_summary=summary)
            return True
        except TimeoutError:
            return False

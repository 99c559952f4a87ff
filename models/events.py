"""The event and outcome vocabulary of a case's record (scenarios/FORMAT.md)."""

from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from models.dates import LegalDate
from models.money import Money


class Outcome(StrEnum):
    TRANSFERRED = "transferred"
    BOUGHT_OFF = "bought_off"
    LAPSED = "lapsed"
    NOT_ELIGIBLE = "not_eligible"
    PENSION_STARTED = "pension_started"
    DECEASED = "deceased"
    OPEN = "open"
    APPLIED = "applied"  # incoming transfers only


class EventType(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    LAPSED = "lapsed"
    PARTICIPANT_INFORMED = "participant_informed"
    REGISTER_QUERY = "register_query"
    TRANSFER_FAILED = "transfer_failed"
    SUSPENDED = "suspended"
    PAYMENT = "payment"
    DEADLINE_BREACHED = "deadline_breached"
    BUYOUT_OFFERED = "buyout_offered"
    BUYOUT_PAID = "buyout_paid"
    CLOSED = "closed"
    # incoming transfers (receiving role, Besluit 17e.5)
    RECEIVED = "received"
    VALUE_APPLIED = "value_applied"
    # waiting for what an operator must record (not a statutory step; the case goes on by itself)
    THRESHOLD_AWAITED = "threshold_awaited"


# The fields each event type must carry besides `type` and `date` (FORMAT.md's table).
REQUIRED_FIELDS: dict[EventType, tuple[str, ...]] = {
    EventType.NOT_ELIGIBLE: ("reason",),
    EventType.LAPSED: ("article",),
    EventType.PARTICIPANT_INFORMED: ("letter", "article"),
    EventType.REGISTER_QUERY: ("due", "article", "answer"),
    EventType.TRANSFER_FAILED: ("reason",),
    EventType.SUSPENDED: ("until", "provider"),
    EventType.PAYMENT: ("due", "article", "provider", "amount", "transfer_date"),
    EventType.DEADLINE_BREACHED: ("due", "article"),
    EventType.BUYOUT_OFFERED: ("failed_attempts",),
    EventType.BUYOUT_PAID: ("amount", "article"),
    EventType.CLOSED: ("outcome",),
    EventType.RECEIVED: ("amount",),
    EventType.VALUE_APPLIED: ("due", "article"),
    EventType.THRESHOLD_AWAITED: ("year",),
}


class CaseEvent(BaseModel):
    """One step in a case's life. Serialise with `model_dump(mode="json", exclude_none=True)`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: EventType
    date: LegalDate
    due: LegalDate | None = None
    article: str | None = None
    answer: str | None = None
    provider: str | None = None
    reason: str | None = None
    letter: str | None = None
    until: LegalDate | None = None
    amount: Money | None = None
    transfer_date: LegalDate | None = None
    failed_attempts: int | None = None
    outcome: Outcome | None = None
    year: int | None = None
    factor: Decimal | None = None  # a buy-out's afkoopvoet (Besluit 16)

    @model_validator(mode="after")
    def has_required_fields(self) -> Self:
        missing = [name for name in REQUIRED_FIELDS[self.type] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type.value} event needs {', '.join(missing)}")
        return self

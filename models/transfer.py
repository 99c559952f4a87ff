"""Inputs, state and results of the transfer workflows (one model per input)."""

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.case import PensionCase
from models.dates import LegalDate
from models.events import CaseEvent, Outcome
from models.scenario import IncomingTransfer


class Phase(StrEnum):
    AWAITING_QUERY = "awaiting_query"
    SUSPENDED = "suspended"
    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_CONSENT = "awaiting_consent"
    CLOSED = "closed"


class Carry(BaseModel):
    """What one run of a case hands to the next after continue-as-new."""

    events: list[CaseEvent] = Field(default_factory=list)
    failure_dates: list[LegalDate] = Field(default_factory=list)
    next_query: LegalDate
    next_query_due: LegalDate
    next_query_article: str
    payment_tries: int = 0
    buyout_offered: bool = False


class LegalSettings(BaseModel):
    """The parts of configuration a workflow needs, fixed at start so replays see the same."""

    model_config = ConfigDict(frozen=True)

    clock_offset_s: float = Field(default=0.0, description="legal time = server time + offset (0 in production)")
    thresholds: dict[int, Decimal] = Field(default_factory=dict)
    extra_holidays: list[LegalDate] = Field(default_factory=list)
    consent_window_days: int = Field(default=91, description="how long a buy-out offer waits for an answer")


class OutgoingTransferInput(BaseModel):
    provider: str
    case: PensionCase
    legal: LegalSettings = Field(default_factory=LegalSettings)
    wave_date: LegalDate | None = Field(default=None, description="Besluit 17f: the plan's date for this case")
    wave_id: str | None = Field(
        default=None, description="the back-office wave that started the case (search attribute)"
    )
    carry: Carry | None = None


class CaseResult(BaseModel):
    case_id: str
    outcome: Outcome
    events: list[CaseEvent]


class CaseStatus(BaseModel):
    case_id: str
    phase: Phase
    failed_attempts: int
    next_due: date | None
    next_due_article: str | None
    outcome: Outcome | None
    events: list[CaseEvent]


class ConsentAnswer(BaseModel):
    """The participant's answer to a buy-out offer (PW 66)."""

    consent: bool


class IncomingTransferInput(BaseModel):
    provider: str
    transfer: IncomingTransfer
    legal: LegalSettings = Field(default_factory=LegalSettings)


class IncomingResult(BaseModel):
    transfer_id: str
    outcome: Outcome
    events: list[CaseEvent]

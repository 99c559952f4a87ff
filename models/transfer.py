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
    # Waiting for data an operator supplies: never failed for it, goes on by itself once recorded.
    AWAITING_THRESHOLD = "awaiting_threshold"
    AWAITING_FUNDING_RATIO = "awaiting_funding_ratio"
    AWAITING_PROVIDER = "awaiting_provider"
    AWAITING_WAVE_DATE = "awaiting_wave_date"
    AWAITING_AFKOOPVOET = "awaiting_afkoopvoet"  # a buy-out due on a date no afkoopvoet covers
    # Besluit 17f.3: the plan's attempt failed; no yearly re-query, only buy-out (PW 220b), the
    # pension date, death or a later plan wave naming the case.
    AWAITING_PLAN = "awaiting_plan"
    CLOSED = "closed"


class CaseState(BaseModel):
    """Everything a case knows while it runs, and what one run hands the next at continue-as-new.

    Dates of the next register query are None only before the case's eligibility was assessed."""

    phase: Phase = Phase.AWAITING_QUERY
    events: list[CaseEvent] = Field(default_factory=list)
    failure_dates: list[LegalDate] = Field(default_factory=list, description="dates of failed attempts (PW 66.2.c)")
    next_query: LegalDate | None = None
    next_query_due: LegalDate | None = None
    next_query_article: str | None = None
    next_due: LegalDate | None = Field(default=None, description="the next statutory term, for operators")
    next_due_article: str | None = None
    payment_tries: int = 0
    buyout_offered: bool = False
    receiving_provider: str | None = None
    outcome: Outcome | None = None
    waiting_for: str | None = Field(default=None, description="what an operator must record first, in one line")
    # What the case learned while it ran (RULES.md §8), carried across continue-as-new.
    reports_seen: list[str] = Field(default_factory=list, description="keys of the reports applied")
    pension_date: LegalDate | None = Field(default=None, description="a reported (changed) pension date")
    death_learned_on: LegalDate | None = Field(default=None, description="the day a reported death was learned")
    pension_offer_made: bool = False  # PW 66.1: the offer before the pension date went out

    def settled(self, today: date) -> bool:
        """In a long wait (a later register query, a suspension, an open buy-out offer, operator
        data, a plan wave) or closed: a wave's back-pressure no longer counts the case as busy."""
        if self.phase is Phase.AWAITING_QUERY:
            return self.next_query is not None and self.next_query > today
        return self.phase is not Phase.AWAITING_PAYMENT

    def set_due(self, due: date | None, article: str | None) -> None:
        self.next_due, self.next_due_article = due, article

    def plan_query(self, on: date, due: date, article: str) -> None:
        """The next register query: on which day, due when, under which article."""
        self.next_query, self.next_query_due, self.next_query_article = on, due, article


class LegalSettings(BaseModel):
    """The parts of configuration a workflow needs, fixed at start so replays see the same."""

    model_config = ConfigDict(frozen=True)

    clock_offset_s: float = Field(default=0.0, description="legal time = server time + offset (0 in production)")
    thresholds: dict[int, Decimal] = Field(default_factory=dict)
    extra_holidays: list[LegalDate] = Field(default_factory=list)
    consent_window_days: int = Field(default=91, description="how long a buy-out offer waits for an answer")


# The case workflow's code a case is started (or continued) on, carried in its input. A run whose
# input names a version takes the paths of the patches up to it without recording their markers:
# a recorded marker costs a history event, and Temporal adds an upsert of its own
# TemporalChangeVersion search attribute to it, a visibility write per case (issue 14). Histories
# recorded before the input carried it hold 0, and their markers decide. Raised with each new
# patch of workflows/outgoing.py (PATCH_VERSIONS there).
CASE_CODE_VERSION = 3


class OutgoingTransferInput(BaseModel):
    provider: str
    case: PensionCase
    legal: LegalSettings = Field(default_factory=LegalSettings)
    wave_date: LegalDate | None = Field(default=None, description="Besluit 17f: the plan's date for this case")
    wave_id: str | None = Field(
        default=None, description="the back-office wave that started the case (search attribute)"
    )
    # The state continued from an earlier run (continue-as-new); the name `carry` is what
    # recorded histories hold, so it stays.
    carry: CaseState | None = None
    # Starters set CASE_CODE_VERSION; the default is what older histories replay with.
    code_version: int = Field(default=0, description="the case workflow code the run was started on")


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
    waiting_for: str | None = None
    pension_date: date | None = None


class WavePlanned(BaseModel):
    """A plan wave names a running 17f case (Besluit 17f.3): its register query date."""

    wave_id: str
    wave_date: LegalDate


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

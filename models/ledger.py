"""What the administration books and records: payments, receipts, letters, audit steps.

One model per operation, so that activities can pass them through Temporal unchanged.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.bsn import Bsn
from models.dates import LegalDate
from models.money import Money


class PaymentKind(StrEnum):
    TRANSFER = "transfer"  # transfer value to the receiving provider (Besluit 17e.4)
    BUYOUT = "buyout"  # lump sum to the participant (PW 66)


class PaymentBooking(BaseModel):
    """Book money out. The idempotency key is derived from the workflow id and the attempt."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=200)
    case_id: str
    kind: PaymentKind
    counterparty: str = Field(description="receiving provider id, or 'participant' for a buy-out")
    amount: Money
    transfer_date: LegalDate


class BookedPayment(PaymentBooking):
    id: int
    created: bool = Field(description="False when the key had been booked before: nothing new was booked")


class ReceiptBooking(BaseModel):
    """Book money in from another provider (receiving role, Besluit 17e.5)."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=200)
    transfer_id: str
    from_provider: str
    bsn: Bsn
    birth_date: LegalDate
    amount: Money
    received: LegalDate


class BookedReceipt(BaseModel):
    id: int
    idempotency_key: str
    transfer_id: str
    from_provider: str
    amount: Money
    received: LegalDate
    applied_on: LegalDate | None = None
    rights_annual_pension: Money | None = None
    created: bool


class ApplyIncoming(BaseModel):
    """Apply a received transfer value: the pension rights it bought (Besluit 17e.5, 28)."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    applied_on: LegalDate
    rights_annual_pension: Money


class LetterKind(StrEnum):
    ART56_NOTICE = "art56_notice"  # Besluit 56.1 and 56.3
    INTENDED_TRANSFER = "intended_transfer"  # Besluit 17f.1.c
    TRANSFER_APPLIED = "transfer_applied"  # Besluit 17e.5 (receiving role)
    BUYOUT_OFFER = "buyout_offer"  # PW 66
    CALCULATION_STATEMENT = "calculation_statement"  # Besluit 17e.7
    AUTOMATIC_TRANSFER_APPLIES = "automatic_transfer_applies"  # PW 71


LETTER_ARTICLE = {
    LetterKind.ART56_NOTICE: "56.1",
    LetterKind.INTENDED_TRANSFER: "17f.1.c",
    LetterKind.TRANSFER_APPLIED: "17e.5",
    LetterKind.BUYOUT_OFFER: "66",
    LetterKind.CALCULATION_STATEMENT: "17e.7",
    LetterKind.AUTOMATIC_TRANSFER_APPLIES: "71",
}


class LetterRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=200)
    subject_id: str = Field(description="case_id or transfer_id")
    kind: LetterKind
    due: LegalDate | None = None
    context: dict[str, Any] = Field(default_factory=dict, description="values the template fills in")


class QueuedLetter(BaseModel):
    id: int
    subject_id: str
    kind: LetterKind
    article: str
    due: date | None
    body: str
    created: bool


class AuditStep(BaseModel):
    """One statutory step: what was due under which article, and when it actually happened."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=200)
    subject_id: str
    step: str
    article: str
    due: LegalDate | None = None
    actual: LegalDate
    details: dict[str, Any] = Field(default_factory=dict)


class CaseProjection(BaseModel):
    """The reporting row of a case (the process state itself lives in Temporal)."""

    case_id: str
    regime: str
    status: str
    failed_attempts: int = 0
    next_due: LegalDate | None = None
    next_due_article: str | None = None
    receiving_provider: str | None = None
    outcome: str | None = None
    waiting_for: str | None = Field(default=None, description="what an operator must record first")
    settled: bool = Field(
        default=False,
        description="the case is in a long wait (a later query date, operator data, consent) or closed: "
        "a wave no longer counts it as busy",
    )


class ProviderRecord(BaseModel):
    id: str
    kind: str
    bank_account: str | None = None
    name: str | None = None


# -- operator data: what an operator records, with its source, so that no case waits forever --


class ThresholdRecord(BaseModel):
    """A small-pension threshold (PW 66) for a year the engine does not ship."""

    year: int = Field(ge=1900, le=2150)
    amount: Money
    source: str = Field(min_length=1, max_length=500)
    known_from: LegalDate = Field(description="the legal date it was recorded: cases waiting for it go on from then")


class DecreeDayRecord(BaseModel):
    """A day a Royal decree made equal to a holiday (Atw 3.3)."""

    day: LegalDate
    source: str = Field(min_length=1, max_length=500)


class FundingRatioRecord(BaseModel):
    """A fund's month-end policy funding ratio (beleidsdekkingsgraad, PW 72 / Besluit 23a)."""

    provider_id: str
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    ratio: Decimal = Field(gt=0, lt=10, max_digits=8, decimal_places=4)
    source: str | None = Field(default=None, max_length=500)

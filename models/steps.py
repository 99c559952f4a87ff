"""The activities' names and their inputs and outputs: what workflows may know of activities.

Names read as the steps of the law. Workflows call activities by these names, so they never
import an activity's implementation (DESIGN.md).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.bsn import Bsn
from models.case import PensionCase
from models.dates import LegalDate
from models.ledger import AuditStep, CaseProjection
from models.money import Money

QUERY_PENSION_REGISTER = "query_pension_register"  # Besluit 17e.1, 17e.2, 56.2, 17f.3

CHECK_FUNDING_RATIOS = "check_funding_ratios"  # PW 72, Besluit 23a
LOOK_UP_THRESHOLD = "look_up_threshold"  # PW 66: a threshold an operator records
COMPUTE_TRANSFER_VALUE = "compute_transfer_value"  # Besluit 25, 17e.6
PAY_TRANSFER_VALUE = "pay_transfer_value"  # Besluit 17e.4
PAY_BUYOUT = "pay_buyout"  # PW 66
LOOK_UP_AFKOOPVOET = "look_up_afkoopvoet"  # Besluit 16: the buy-out factor in force
RECORD_STATUTORY_STEPS = "record_statutory_steps"  # audit log and the case's reporting row
SEND_LETTER = "send_letter_to_participant"
BOOK_INCOMING_TRANSFER = "book_incoming_transfer"  # Besluit 17e.5, receiving role
APPLY_INCOMING_VALUE = "apply_incoming_transfer_value"  # Besluit 17e.5, 28

# How pay_transfer_value fails (the error's type), so that the case knows whether the provider
# took the payment: unavailable or rejected, it did not; unanswered, it may have.
PROVIDER_UNAVAILABLE = "ProviderUnavailable"  # not reached, or answered 429/503: not taken
PAYMENT_REJECTED = "PaymentRejected"  # the request itself refused (4xx): not taken
PAYMENT_UNANSWERED = "PaymentUnanswered"  # sent, but no answer came back: perhaps taken


class KeptStatement(BaseModel):
    """A 17e.7 calculation to keep in the administration (it outlives Temporal's retention)."""

    case_id: str
    transfer_date: LegalDate
    statement: dict[str, Any]


class CaseProgress(BaseModel):
    """Statutory steps recorded since the last flush, the case's reporting row (if changed) and
    the calculations made since (written with them: no transaction of their own)."""

    steps: list[AuditStep]
    projection: CaseProjection | None = None
    statements: list[KeptStatement] = Field(default_factory=list)


class RegisterQueryInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    bsn: Bsn
    as_of: LegalDate
    # Set: each try asks as of its own legal date (attempt time + offset), so a query sent after
    # an outage is the query of that day. Unset in histories recorded before it existed.
    clock_offset_s: float | None = None
    # The case's bookkeeping since its last write, written first (cases from CASE_CODE_VERSION 2):
    # what used to be an activity of its own before the query rides along with it.
    progress: CaseProgress | None = None


class FundingCheckInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    on: LegalDate
    transferring_provider: str
    receiving_provider: str


class ThresholdLookup(BaseModel):
    """The threshold (PW 66) of a year the case's settings lack, as the administration knows it."""

    model_config = ConfigDict(frozen=True)

    year: int
    clock_offset_s: float = 0.0  # legal date = the attempt's server time + offset (as the workflow's)


class ThresholdAnswer(BaseModel):
    year: int
    amount: Money | None = None


class TransferValueInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    case: PensionCase
    transfer_date: LegalDate


class AfkoopvoetLookup(BaseModel):
    """The afkoopvoet (Besluit 16) in force on a buy-out's payment date, for an age on that date."""

    model_config = ConfigDict(frozen=True)

    on: LegalDate
    age: int


class PayTransferInput(BaseModel):
    """Payment with the data Besluit 17e.4 requires: BSN, birth date and other relevant data."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    case_id: str
    from_provider: str
    receiving_provider: str
    client_number: str
    bsn: Bsn
    birth_date: LegalDate
    amount: Money
    transfer_date: LegalDate
    # The case's bookkeeping since its last write (its answer from the register, the 17e.7
    # calculation), written with the provider's answer: in the booking's transaction when it
    # accepts (cases from CASE_CODE_VERSION 2).
    progress: CaseProgress | None = None


@dataclass(frozen=True)
class PaymentOrder:
    """One transfer payment as a case decided it: to whom, how much, as of which day, due when.
    (Here, not in the workflow module: the sandbox runs that module's body anew for every run.)"""

    receiving_provider: str
    client_number: str
    amount: Decimal
    transfer_date: date
    due: date


class PaymentOutcome(BaseModel):
    accepted: bool
    receipt_id: str | None = None
    reason: str | None = None


class PayBuyoutInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    case_id: str
    amount: Money
    paid_on: LegalDate


class ApplyIncomingInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    birth_date: LegalDate
    amount: Money
    applied_on: date
    # To find the person's pension date in the administration; unset in histories recorded before.
    bsn: Bsn | None = None


class AppliedValue(BaseModel):
    rights_annual_pension: Money
    pension_date: LegalDate
    pension_date_source: str = Field(
        default="default", description="'administration' (the person's own), or the default age it fell back to"
    )

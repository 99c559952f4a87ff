"""What a transferring provider sends with the money (Besluit 17e.4), as the other providers' stub
takes it and as the engine's own inbound door (the receiving role, 17e.5) takes it: one model."""

from pydantic import BaseModel, ConfigDict, Field

from models.bsn import Bsn
from models.dates import LegalDate
from models.money import Money


class TransferPayment(BaseModel):
    """The transfer value with the person's BSN, birth date and client number (17e.4)."""

    model_config = ConfigDict(extra="forbid")

    from_provider: str = Field(min_length=1, max_length=32)
    case_reference: str = Field(min_length=1, max_length=64)
    bsn: Bsn
    birth_date: LegalDate
    client_number: str = Field(min_length=1, max_length=64)
    amount: Money = Field(gt=0)
    transfer_date: LegalDate


class DeliveryAnswer(BaseModel):
    """The inbound door's answer: the same for every repeat of a delivery."""

    status: str = Field(description="accepted")
    transfer_id: str = Field(description="the engine's id of the incoming transfer (its workflow: wkp-in-…)")
    received: LegalDate = Field(description="the day the receipt was booked (Besluit 17e.5's month runs from it)")

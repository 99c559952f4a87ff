"""The pension register's answer to "does this person accrue pension, and where" (Besluit 17e.3)."""

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from models.dates import LegalDate


class RegisterAnswerKind(StrEnum):
    ACCRUING = "accruing"
    NOT_ACCRUING = "not_accruing"


class RegisterAnswer(BaseModel):
    """A positive answer names the receiving provider, its bank account and the client number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: RegisterAnswerKind
    as_of: LegalDate
    provider: str | None = None
    bank_account: str | None = None
    client_number: str | None = None

    @model_validator(mode="after")
    def provider_iff_accruing(self) -> Self:
        if self.answer is RegisterAnswerKind.ACCRUING and not self.provider:
            raise ValueError("provider: an 'accruing' answer must name the provider")
        if self.answer is RegisterAnswerKind.NOT_ACCRUING and self.provider:
            raise ValueError("provider: a 'not_accruing' answer names no provider")
        return self

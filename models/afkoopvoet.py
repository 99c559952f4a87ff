"""The provider's afkoopvoet (buy-out factor, Besluit 16): one factor table the provider fixes for a
period, the same for every (former) participant, collectively actuarially equivalent. Provider
data beside the actuarial basis, never the standard tariff of Besluit 25 (RULES.md §7)."""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.dates import LegalDate

Factor = Annotated[Decimal, Field(gt=0, lt=100, decimal_places=6, description="EUR lump sum per EUR 1 a year")]
Age = Annotated[int, Field(ge=0, le=120)]


class AfkoopvoetPeriod(BaseModel):
    """A factor for a period: one for every age (`flat`), or by age in whole years on the
    payment date (`by_age`). `valid_to` unset: until the next period begins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: LegalDate
    valid_to: LegalDate | None = None
    flat: Factor | None = None
    by_age: dict[Age, Factor] | None = None
    source: str = Field(min_length=1, max_length=200)
    illustrative: bool = False

    @model_validator(mode="after")
    def one_table(self) -> Self:
        if (self.flat is None) == (not self.by_age):
            raise ValueError("give either flat (one factor for every age) or by_age (a factor per age)")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to: is before valid_from")
        return self

    def factor(self, age: int) -> Decimal | None:
        if self.flat is not None:
            return self.flat
        assert self.by_age is not None
        return self.by_age.get(age)


class AfkoopvoetAnswer(BaseModel):
    """The factor in force on a payment date for an age, and where it comes from; `factor` None
    when no recorded or configured period covers the date (and age): the buy-out waits."""

    on: LegalDate
    age: int
    factor: Decimal | None = None
    source: str | None = None
    valid_from: LegalDate | None = None
    illustrative: bool = False

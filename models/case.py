"""A former participant's small old-age pension: one case under automatic transfer."""

import unicodedata
from datetime import date
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from models.bsn import Bsn, bsn_problem
from models.dates import LegalDate
from models.money import Money


def to_case_id(value: Any) -> str:
    """A case id names a case in workflow ids, logs and reports: printable text only, and never
    a BSN (one that passes the eleven-test would end up in all of those)."""
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise ValueError("must not contain control characters")
    if bsn_problem(value.strip()) is None:
        raise ValueError("must not be a BSN (it would appear in workflow ids, logs and reports)")
    return value


CaseId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(to_case_id)]


class PensionCase(BaseModel):
    """One entitlement as the transferring provider's administration knows it (FORMAT.md `cases`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: CaseId
    bsn: Bsn
    birth_date: LegalDate
    participation_end: LegalDate
    pension_date: LegalDate
    old_age_pension: Money = Field(description="accrued annual old-age pension at participation end")
    net_pension: bool = False
    emigrated_eu_notified: bool = False
    consent_to_buyout: bool | None = None
    death_date: LegalDate | None = None

    @model_validator(mode="after")
    def dates_in_order(self) -> Self:
        if self.participation_end <= self.birth_date:
            raise ValueError("participation_end: must be after birth_date")
        if self.pension_date <= self.participation_end:
            raise ValueError("pension_date: must be after participation_end (a sleeper pension not yet started)")
        if self.death_date is not None and self.death_date < self.participation_end:
            raise ValueError("death_date: must not be before participation_end")
        return self

    def age_on(self, day: date) -> int:
        """Completed years of age on `day`."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

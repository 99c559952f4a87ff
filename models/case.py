"""A former participant's small old-age pension: one case under automatic transfer."""

from datetime import date
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bsn import Bsn
from models.dates import LegalDate
from models.money import Money


class PensionCase(BaseModel):
    """One entitlement as the transferring provider's administration knows it (FORMAT.md `cases`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(min_length=1, max_length=64)
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

"""What the administration learns about a running case (RULES.md §8): a death, a changed pension
date, a request. One model for every path that reports it (`wkp case report`, `wkp admin
events`, `wkp simulate`'s `reports`), delivered to the case as the workflow update `report`."""

import hashlib
from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.dates import LegalDate


class RequestKind(StrEnum):
    INDIVIDUAL_TRANSFER = "individual_transfer"  # PW 71: answered that automatic transfer applies
    CALCULATION_STATEMENT = "calculation_statement"  # Besluit 17e.7: the calculation, as a letter


class ReportKind(StrEnum):
    """The `kind` column of `wkp admin events` and the field named in a FORMAT.md report."""

    DEATH_DATE = "death_date"
    PENSION_DATE = "pension_date"
    REQUEST = "request"


class CaseReport(BaseModel):
    """One thing learned about one case: exactly one of death_date, pension_date or request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    death_date: LegalDate | None = None
    pension_date: LegalDate | None = None
    request: RequestKind | None = None
    learned_on: LegalDate | None = Field(
        default=None, description="the day the administration learned it (a batch's `on`); unset: today"
    )
    reported_by: str = Field(min_length=1, max_length=80, description="who reported it, for the audit log")

    @model_validator(mode="after")
    def exactly_one(self) -> Self:
        given = [name for name in ("death_date", "pension_date", "request") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a report gives exactly one of death_date, pension_date or request")
        return self

    @property
    def kind(self) -> ReportKind:
        if self.death_date is not None:
            return ReportKind.DEATH_DATE
        return ReportKind.PENSION_DATE if self.pension_date is not None else ReportKind.REQUEST

    @property
    def value(self) -> str:
        day = self.death_date or self.pension_date
        return day.isoformat() if day is not None else str(self.request)

    def key(self, today: date | None = None) -> str:
        """The same report (kind, value, day learned) twice is one report: a re-import, a retried
        command or a repeated simulation delivery changes nothing. A report without a day learned
        is dated by the case's `today` (a request made again next year is a new request)."""
        text = f"{self.kind.value}|{self.value}|{self.learned_on or today}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

"""Pension providers (uitvoerders) and what the engine needs to know of them."""

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.dates import LegalDate


class ProviderKind(StrEnum):
    """Only a fund has a policy funding ratio (beleidsdekkingsgraad, PW 72)."""

    FUND = "fund"
    INSURER = "insurer"
    PPI = "ppi"


class DownPeriod(BaseModel):
    """Days (inclusive) on which a provider's API answers 503."""

    model_config = ConfigDict(frozen=True)

    start: LegalDate
    end: LegalDate

    @model_validator(mode="before")
    @classmethod
    def from_pair(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError("must be a pair [from, to]")
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="after")
    def in_order(self) -> Self:
        if self.end < self.start:
            raise ValueError("the end of a down period is before its start")
        return self


class ProviderProfile(BaseModel):
    """Another provider as a scenario describes it (FORMAT.md `providers`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ProviderKind
    accepts: bool = True
    down: list[DownPeriod] = Field(default_factory=list)

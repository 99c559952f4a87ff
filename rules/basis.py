"""The actuarial basis of the standard tariff (Besluit 25; Regeling Pensioenwet art. 18):
a mortality table and the yearly market-value discount rate.

The models here are pure. `load_basis` reads the JSON files (the package's illustrative ones
by default, or the provider's official ones named in configuration); call it from activities
or commands, never from workflow code, and hand the result to `rules.transfer_value`.
"""

import json
from decimal import Decimal
from functools import cached_property
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_AGE = 120


class MortalityTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    illustrative: bool
    age_setback: int = Field(ge=0, le=10, description="years the age is set back (younger)")
    qx: list[Decimal] = Field(description="one-year death probability for ages 0, 1, ... 120")

    @field_validator("qx")
    @classmethod
    def whole_life(cls, qx: list[Decimal]) -> list[Decimal]:
        if len(qx) != MAX_AGE + 1:
            raise ValueError(f"must list ages 0 to {MAX_AGE} ({MAX_AGE + 1} values), got {len(qx)}")
        if any(not 0 <= q <= 1 for q in qx):
            raise ValueError("every qx must lie between 0 and 1")
        if qx[-1] != 1:
            raise ValueError(f"qx at age {MAX_AGE} must be 1 (the table closes)")
        return qx

    @cached_property
    def lives(self) -> list[float]:
        """l(x) for x = 0..121, starting from 1.0."""
        lives = [1.0]
        for q in self.qx:
            lives.append(lives[-1] * (1.0 - float(q)))
        return lives

    def survivors(self, age: float) -> float:
        """l(age) for a fractional age, linear between whole ages (uniform deaths in a year)."""
        if age >= MAX_AGE + 1:
            return 0.0
        whole = int(age)
        part = age - whole
        return self.lives[whole] * (1 - part) + self.lives[whole + 1] * part


class DiscountRates(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    illustrative: bool
    rule: str
    percent_per_year: dict[int, Decimal]

    def rate_for(self, year: int) -> Decimal:
        """The discount rate for transfers in calendar `year`, as a fraction (0.025)."""
        try:
            return self.percent_per_year[year] / 100
        except KeyError:
            raise LookupError(
                f"no discount rate for {year} in {self.name}; add DNB's 25-year rate of "
                f"1 October {year - 1} (Regeling Pensioenwet art. 18) to the rates file"
            ) from None


class ActuarialBasis(BaseModel):
    model_config = ConfigDict(frozen=True)

    mortality: MortalityTable
    rates: DiscountRates


def _read(path: Path | None, packaged: str) -> str:
    if path is not None:
        return Path(path).read_text(encoding="utf-8")
    return resources.files("rules").joinpath("data", packaged).read_text(encoding="utf-8")


def load_basis(mortality_path: Path | None = None, rates_path: Path | None = None) -> ActuarialBasis:
    return ActuarialBasis(
        mortality=MortalityTable.model_validate(json.loads(_read(mortality_path, "mortality_illustrative.json"))),
        rates=DiscountRates.model_validate(json.loads(_read(rates_path, "discount_rates_illustrative.json"))),
    )

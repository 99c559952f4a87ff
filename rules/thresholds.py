"""The small-pension threshold (afkoopgrens, PW 66): annual old-age pension below it is 'small'."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

# € per year, as RULES.md §1 lists them (Staatscourant / Pensioenfederatie publications).
STATUTORY_THRESHOLDS: Mapping[int, Decimal] = {
    2015: Decimal("462.88"),
    2016: Decimal("465.94"),
    2017: Decimal("467.89"),
    2018: Decimal("474.11"),
    2019: Decimal("484.09"),
    2020: Decimal("497.27"),
    2021: Decimal("503.24"),
    2022: Decimal("520.35"),
    2023: Decimal("594.89"),
    2024: Decimal("592.51"),
    2025: Decimal("613.52"),
}
# Where each shipped amount comes from (RULES.md §1). Later years, and years before 2015 that old
# 17f cases need, are recorded by an operator with their source (`wkp admin threshold set`).
PUBLISHED = "Staatscourant / Pensioenfederatie publication"
STATUTORY_SOURCES: Mapping[int, str] = {year: PUBLISHED for year in range(2015, 2025)} | {
    2025: "as published by providers and the sector's information site (RULES.md §1)"
}


class MissingThreshold(LookupError):
    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"threshold: no small-pension threshold (PW 66) is recorded for {year}; "
            f"record the published amount: wkp admin threshold set {year} AMOUNT --source TEXT"
        )


def below_statutory(year: int, amount: Decimal) -> str | None:
    """Why `amount` may not be recorded for `year`, or None (RULES.md §1: never lower)."""
    statutory = STATUTORY_THRESHOLDS.get(year)
    if statutory is not None and amount < statutory:
        return f"{amount} is below the statutory threshold {statutory} (PW 66)"
    return None


class ThresholdTable:
    """The statutory table, extended by configuration for years published later.

    A configured amount may add a year or repeat a statutory one; it may never lower a
    statutory threshold (RULES.md §1: a lower one is not allowed). A year with no threshold is
    an error, never a guess.
    """

    def __init__(self, configured: Mapping[int, Decimal] | None = None) -> None:
        table = dict(STATUTORY_THRESHOLDS)
        for year, amount in (configured or {}).items():
            problem = below_statutory(year, amount)
            if problem:
                raise ValueError(f"thresholds.{year}: {problem}")
            table[year] = amount
        self._table = table

    @classmethod
    def from_strings(cls, configured: Mapping[str, Decimal]) -> "ThresholdTable":
        return cls({int(year): amount for year, amount in configured.items()})

    def years(self) -> list[int]:
        return sorted(self._table)

    def for_year(self, year: int) -> Decimal:
        try:
            return self._table[year]
        except KeyError:
            raise MissingThreshold(year) from None

    def for_participation_end(self, participation_end: date) -> Decimal:
        """Project choice (RULES.md §1): the threshold of the calendar year in which
        participation ended."""
        return self.for_year(participation_end.year)

    def is_small(self, annual_pension: Decimal, participation_end: date) -> bool:
        """PW 66 / 70a: strictly less than the threshold."""
        return annual_pension < self.for_participation_end(participation_end)

"""Which regime a case falls under, and when its first register query is due (RULES.md §3)."""

from datetime import date
from enum import StrEnum

from rules.calendar import add_years

NEW_REGIME_FROM = date(2019, 1, 1)  # Wet waardeoverdracht klein pensioen in force
TRANSITIONAL_FROM = date(2017, 1, 1)  # Besluit 56.1: ended between 2017-01-01 and 2019-01-01


class Regime(StrEnum):
    NEW = "17e"  # new small pension, Besluit 17e
    TRANSITIONAL = "56"  # transitional cohort, Besluit 56
    EXISTING = "17f"  # existing small pension, Besluit 17f / PW 220b


def regime_for(participation_end: date) -> Regime:
    if participation_end >= NEW_REGIME_FROM:
        return Regime.NEW
    if participation_end >= TRANSITIONAL_FROM:
        return Regime.TRANSITIONAL
    return Regime.EXISTING


def regime_period(regime: Regime) -> tuple[date | None, date | None]:
    """The participation ends of a regime's cohort, as [from, before): the inverse of regime_for."""
    return {
        Regime.NEW: (NEW_REGIME_FROM, None),
        Regime.TRANSITIONAL: (TRANSITIONAL_FROM, NEW_REGIME_FROM),
        Regime.EXISTING: (None, TRANSITIONAL_FROM),
    }[regime]


def first_query_article(regime: Regime) -> str:
    return {Regime.NEW: "17e.1", Regime.TRANSITIONAL: "56.2", Regime.EXISTING: "17f.3"}[regime]


def first_query_due(participation_end: date) -> date | None:
    """The date by which the first register query is due; None for 17f, whose date the
    phased plan gives (17f.3).

    - 17e.1: "within a year after participation ended" -> the same date a year later (Atw 4:
      a term in years does not move).
    - 56.2: "within a year from 1 January 2019". Project choice: a year that starts on
      2019-01-01 ends on 2019-12-31, the stricter of the two readings.
    """
    regime = regime_for(participation_end)
    if regime is Regime.NEW:
        return add_years(participation_end, 1)
    if regime is Regime.TRANSITIONAL:
        return date(2019, 12, 31)
    return None


def next_query_due(previous_query: date) -> date:
    """17e.2: the query is repeated at least yearly while the transfer has not happened."""
    return add_years(previous_query, 1)

"""The phased plan for existing small pensions (Besluit 17f.2): waves of cases on dates that the
register's capacity can take. Pure, so that a back-office can review the plan before running it."""

import math
from datetime import date

from pydantic import BaseModel, Field

from rules.calendar import LegalCalendar
from rules.regime import Regime, regime_for

EXISTING_TRANSFERS_FROM = date(2020, 1, 1)  # Besluit 17f.1.a


class PlannedWave(BaseModel):
    wave_id: str
    date: date
    case_ids: list[str]


class PhasedPlan(BaseModel):
    provider: str
    article: str = "17f.2"
    queries_per_day: int = Field(description="the register capacity the plan respects")
    waves: list[PlannedWave]


def phased_plan(
    provider: str,
    cases: list[tuple[str, date]],
    start: date,
    wave_size: int,
    queries_per_day: int,
    calendar: LegalCalendar,
) -> PhasedPlan:
    """Existing small pensions (participation ended before 2017) in waves of `wave_size`, the first
    on `start` (moved to a working day), each next one as many working days later as the
    register needs to take a wave at `queries_per_day`. Other cases are left out of the plan."""
    if wave_size < 1 or queries_per_day < 1:
        raise ValueError("wave_size and queries_per_day: must be at least 1")
    if start < EXISTING_TRANSFERS_FROM:
        raise ValueError("start: the 17f plan runs from 2020-01-01 (Besluit 17f.1.a)")
    existing = sorted(case_id for case_id, end in cases if regime_for(end) is Regime.EXISTING)
    days_per_wave = math.ceil(wave_size / queries_per_day)
    waves, day = [], calendar.next_working_day(start)
    for number, first in enumerate(range(0, len(existing), wave_size), start=1):
        waves.append(PlannedWave(wave_id=f"17F-{number:03d}", date=day, case_ids=existing[first : first + wave_size]))
        day = calendar.add_working_days(day, days_per_wave)
    return PhasedPlan(provider=provider, queries_per_day=queries_per_day, waves=waves)

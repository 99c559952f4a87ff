"""Inputs, state and results of the wave workflow (back-office batches)."""

from pydantic import BaseModel, Field

from models.case import PensionCase
from models.dates import LegalDate
from models.transfer import LegalSettings

LOAD_WAVE_PAGE = "load_wave_page"
START_WAVE_CASES = "start_wave_cases"
COUNT_SETTLED_CASES = "count_settled_cases"
FILL_WAVE = "fill_wave"

# A wave keeps at most this many of the cases it started busy at once (not yet settled in a long
# wait or closed), so that the worker fleet's workflow cache holds every busy case
# (WKP_WAVE_MAX_BUSY; README, Waves and throughput).
DEFAULT_MAX_BUSY = 200


class WaveCounts(BaseModel):
    started: int = 0
    already_running: int = Field(default=0, description="cases started elsewhere before: not started twice")


class WaveInput(BaseModel):
    provider: str
    wave_id: str
    legal: LegalSettings = Field(default_factory=LegalSettings)
    window: int = Field(default=50, ge=1, le=1000, description="case starts in flight at once")
    page_size: int = Field(default=500, ge=1, le=5000, description="cases per run; continue-as-new after each")
    max_busy: int = Field(
        default=DEFAULT_MAX_BUSY, ge=1, description="started cases still busy (not settled) at most at once"
    )
    start_paused: bool = False
    cursor: str | None = Field(default=None, description="the last case_id of the pages already done")
    counts: WaveCounts = Field(default_factory=WaveCounts)


class WavePageInput(BaseModel):
    wave_id: str
    after: str | None = None
    limit: int


class WaveStartInput(BaseModel):
    """Start the next `limit` cases of a wave after `after` (case_id order), on `task_queue`."""

    provider: str
    wave_id: str
    legal: LegalSettings
    task_queue: str
    after: str | None = None
    limit: int = Field(ge=1)


class WaveStarted(BaseModel):
    """What one window of starts did: the cases started, those found running (started elsewhere:
    never twice), the last case_id handled, and whether the wave has no cases after it."""

    started: int
    already_running: int
    cursor: str | None
    exhausted: bool


class SettledCount(BaseModel):
    """How many of the wave's cases up to `through` (case_id order) are settled, of the `handled`
    ones: those handled less those busy. Without `handled` (a step scheduled before it was sent)
    every case up to `through` is read."""

    wave_id: str
    through: str
    handled: int | None = Field(default=None, ge=0)


class WaveFill(BaseModel):
    """Count the wave's busy cases up to `after` (its cursor) and start the cases after it that
    fit under `max_busy`, at most `window`, on `task_queue`."""

    provider: str
    wave_id: str
    legal: LegalSettings
    task_queue: str
    after: str | None = None
    window: int = Field(ge=1)
    max_busy: int = Field(ge=1)


class WaveFilled(WaveStarted):
    """What one fill did: the busy cases it counted before starting any, and its starts (none
    when the wave is at its bound)."""

    busy: int


class WavePage(BaseModel):
    wave_date: LegalDate | None = None
    cases: list[PensionCase]


class WaveProgress(BaseModel):
    wave_id: str
    counts: WaveCounts
    busy: int | None = Field(default=None, description="started cases not yet settled, at the last count")
    paused: bool
    cancelled: bool
    done: bool
    cursor: str | None

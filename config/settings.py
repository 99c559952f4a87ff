"""All configuration in one place: `WKP_*` environment variables (or a `.env` file).

Every variable, its meaning and its default are listed in the README (Configuration).
"""

import json
import secrets
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.secret_files import read_or_create
from models.afkoopvoet import AfkoopvoetPeriod
from models.dates import LegalDate
from models.money import Money
from models.wave import DEFAULT_MAX_BUSY
from rules.afkoopvoet import load_periods
from rules.basis import ActuarialBasis, load_basis
from rules.calendar import DECREE_DAYS, LegalCalendar
from rules.thresholds import ThresholdTable


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WKP_", env_file=".env", extra="ignore")

    home: Path = Path(".wkp")
    database_url: str | None = None
    bsn_key: str | None = Field(default=None, repr=False)
    thresholds: dict[int, Money] = Field(default_factory=dict)
    # Royal-decree days (Atw 3.3) besides the shipped ones (rules.calendar.DECREE_DAYS) and those
    # recorded by an operator (`wkp admin holiday add`); they only ever add days.
    extra_holidays: list[LegalDate] = Field(default_factory=list)
    temporal_address: str = "localhost:7233"
    namespace: str = "default"
    ui_port: int = 8233
    task_queue: str = "wkp"
    provider: str = "PF-A"
    register_url: str = "http://127.0.0.1:8301"
    register_token: str = Field(default="register-token", repr=False)
    providers_url: str = "http://127.0.0.1:8302"
    register_rate_per_second: float | None = Field(default=None, gt=0)
    # The queries a day agreed with the register (a plan's capacity); counted in the
    # administration, so it holds across every worker and wave. None: no daily cap.
    register_queries_per_day: int | None = Field(default=None, gt=0)
    # Worker sizing: activities at once and workflows kept in memory (None: worker.py's defaults,
    # for 2 cores and 500 MiB); a wave keeps at most wave_max_busy of its cases busy at once,
    # which must stay well inside the cache of the workers serving it (README, Waves and register capacity).
    max_concurrent_activities: int | None = Field(default=None, ge=1)
    # What one worker process serves (worker.build_worker): both, or only the workflows or
    # only the activities, so that a deployment runs them in processes of their own.
    worker_role: Literal["all", "workflows", "activities"] = "all"
    workflow_cache_size: int | None = Field(default=None, ge=0)
    # PostgreSQL's threads for a worker's whole transactions (None: store.transaction_threads'
    # default, 2, for 2 cores); a SQLite file always has one (one writer at a time).
    database_threads: int | None = Field(default=None, ge=1)
    wave_max_busy: int = Field(default=DEFAULT_MAX_BUSY, ge=1)
    # The worker's Prometheus endpoint (the SDK's metrics and the engine's own); None: off.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    default_funding_ratio: Decimal | None = None
    payload_keys: str | None = Field(default=None, repr=False)
    payload_key_id: str | None = None
    codec_tokens: list[str] | None = Field(default=None, repr=False)
    codec_port: int = 8303
    codec_host: str = "127.0.0.1"
    codec_cors_origins: list[str] | None = None
    mortality_table: Path | None = None
    discount_rates: Path | None = None
    # The afkoopvoet (Besluit 16) used where no operator recorded a period (`wkp admin afkoopvoet
    # set`): "illustrative" (the shipped table, marked so), "none" (a buy-out waits until one is
    # recorded), or the path of the provider's own file (a JSON list of periods).
    afkoopvoet_file: str = "illustrative"
    # The inbound door (Besluit 17e.5): a token per sending provider, {"PF-B": "..."}.
    inbound_tokens: dict[str, str] = Field(default_factory=dict, repr=False)
    inbound_port: int = 8304
    inbound_host: str = "127.0.0.1"

    def administration_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'administration.db'}"

    def codec_token_list(self) -> list[str]:
        """The codec server's accepted tokens; for the embedded stack one made once (0600)."""
        if self.codec_tokens:
            return self.codec_tokens
        return [read_or_create(self.home / "codec-token", lambda: secrets.token_urlsafe(24))]

    def inbound_token_map(self, senders: Iterable[str] = ()) -> dict[str, str]:
        """The inbound door's token per sending provider: configured, or for the embedded stack
        made once (0600) for `senders`, the stub's other providers."""
        if self.inbound_tokens:
            return self.inbound_tokens
        path = self.home / "inbound-tokens.json"
        if not path.exists() and not senders:
            return {}
        return json.loads(read_or_create(path, lambda: json.dumps({s: secrets.token_urlsafe(24) for s in senders})))

    def ui_origins(self) -> list[str]:
        return self.codec_cors_origins or [f"http://localhost:{self.ui_port}", f"http://127.0.0.1:{self.ui_port}"]

    def threshold_table(self, extra: dict[int, Decimal] | None = None) -> ThresholdTable:
        return ThresholdTable({**self.thresholds, **(extra or {})})

    def legal_calendar(self) -> LegalCalendar:
        """The shipped Royal-decree days and any configured ones (commands that start cases add
        the recorded ones too: engine.legal_settings)."""
        return LegalCalendar({*DECREE_DAYS, *self.extra_holidays})

    def actuarial_basis(self) -> ActuarialBasis:
        return load_basis(self.mortality_table, self.discount_rates)

    def configured_afkoopvoet(self) -> list[AfkoopvoetPeriod]:
        if self.afkoopvoet_file == "none":
            return []
        return load_periods(None if self.afkoopvoet_file == "illustrative" else Path(self.afkoopvoet_file))


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""All configuration in one place: `WKP_*` environment variables (or a `.env` file).

| variable | meaning | default |
|---|---|---|
| WKP_HOME | folder for local state (databases, Temporal's file) | .wkp |
| WKP_DATABASE_URL | the administration: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB | sqlite:///WKP_HOME/administration.db |
| WKP_BSN_KEY | 32-byte key (base64) protecting BSNs at rest | a key file WKP_HOME/bsn.key, made once |
| WKP_THRESHOLDS | JSON object year -> € threshold for years published after RULES.md's table | {} |
| WKP_EXTRA_HOLIDAYS | JSON list of Royal-decree days (Atw 3.3) | ["2022-05-27"] |
| WKP_TEMPORAL_ADDRESS | the Temporal frontend (host:port) | localhost:7233 (the embedded dev server) |
| WKP_NAMESPACE | Temporal namespace | default |
| WKP_UI_PORT | the embedded dev server's web UI | 8233 |
| WKP_TASK_QUEUE | the worker's task queue | wkp |
| WKP_PROVIDER | the provider running the engine (transferring/receiving role) | PF-A |
| WKP_REGISTER_URL, WKP_REGISTER_TOKEN | the pension register API and its bearer token | http://127.0.0.1:8301, register-token |
| WKP_REGISTER_RATE_PER_SECOND | register queries per second, all workers and waves together (Temporal's task-queue rate limit) | unlimited |
| WKP_PROVIDERS_URL | the other providers' payment API | http://127.0.0.1:8302 |
| WKP_DEFAULT_FUNDING_RATIO | ratio assumed for a fund month with none recorded (empty: none is assumed, a missing ratio stops the case with an error) | empty |
| WKP_MORTALITY_TABLE | path of the provider's official mortality table (JSON) | the illustrative one |
| WKP_DISCOUNT_RATES | path of the official yearly discount rates (JSON) | the illustrative ones |
"""

from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.dates import LegalDate
from models.money import Money
from rules.basis import ActuarialBasis, load_basis
from rules.calendar import LegalCalendar
from rules.thresholds import ThresholdTable
from store.bsn_protection import load_or_create_key

# 27 May 2022 was made equal to a generally recognised holiday by Royal decree (Atw 3.3).
KNOWN_DECREE_DAYS = [date(2022, 5, 27)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WKP_", env_file=".env", extra="ignore")

    home: Path = Path(".wkp")
    database_url: str | None = None
    bsn_key: str | None = Field(default=None, repr=False)
    thresholds: dict[int, Money] = Field(default_factory=dict)
    extra_holidays: list[LegalDate] = Field(default_factory=lambda: list(KNOWN_DECREE_DAYS))
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
    default_funding_ratio: Decimal | None = None
    mortality_table: Path | None = None
    discount_rates: Path | None = None

    def administration_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'administration.db'}"

    def bsn_key_bytes(self) -> bytes:
        return load_or_create_key(self.bsn_key, self.home / "bsn.key")

    def threshold_table(self, extra: dict[int, Decimal] | None = None) -> ThresholdTable:
        return ThresholdTable({**self.thresholds, **(extra or {})})

    def legal_calendar(self) -> LegalCalendar:
        return LegalCalendar(self.extra_holidays)

    def actuarial_basis(self) -> ActuarialBasis:
        return load_basis(self.mortality_table, self.discount_rates)


@lru_cache
def get_settings() -> Settings:
    return Settings()

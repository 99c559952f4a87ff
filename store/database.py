"""Engines and migrations. One setting, WKP_DATABASE_URL, in its synchronous form:
`sqlite:///path` (the embedded default) or `postgresql+psycopg://user@host/db`.
The async engine used by the repository is derived from it."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 30


def sync_url(url: str | URL) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"WKP_DATABASE_URL: unsupported database {parsed.get_backend_name()!r} (sqlite or postgresql)")


def async_url(url: str | URL) -> URL:
    parsed = sync_url(url)
    return parsed.set(drivername="sqlite+aiosqlite") if parsed.get_backend_name() == "sqlite" else parsed


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def make_async_engine(url: str | URL) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        if target.database:
            Path(target.database).parent.mkdir(parents=True, exist_ok=True)
        # Writers wait in SQLite's busy handler. A one-connection pool measured some 7 % faster
        # in simulation but let a wave test hang in CI (a stuck connection blocks every step),
        # so the ordinary pool stays.
        engine = create_async_engine(target, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(target, pool_size=10, max_overflow=10, pool_pre_ping=True)


def alembic_config(url: str | URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).render_as_string(hide_password=False).replace("%", "%%"))
    return config


def migrate(url: str | URL, revision: str = "head") -> None:
    """Create or upgrade the administration's schema (`wkp admin init`)."""
    target = sync_url(url)
    if target.get_backend_name() == "sqlite" and target.database:
        Path(target.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def sqlite_pragmas_for_sync(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)

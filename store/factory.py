"""Build the administration from configuration."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from config.settings import Settings
from store.bsn_protection import BsnProtector, load_or_create_key
from store.database import make_async_engine
from store.repository import Administration


def configured_bsn_key(settings: Settings) -> bytes:
    """WKP_BSN_KEY, or the embedded stack's key file."""
    return load_or_create_key(settings.bsn_key, settings.home / "bsn.key")


def open_administration(settings: Settings) -> Administration:
    return Administration(
        make_async_engine(settings.administration_url()),
        BsnProtector(configured_bsn_key(settings)),
        settings.database_threads,
    )


@asynccontextmanager
async def administration(settings: Settings) -> AsyncIterator[Administration]:
    """The administration for one command: its connections are closed when the command is done."""
    admin = open_administration(settings)
    try:
        yield admin
    finally:
        await admin.close()

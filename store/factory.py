"""Build the administration from configuration."""

from config.settings import Settings
from store.bsn_protection import BsnProtector
from store.database import make_async_engine
from store.repository import Administration


def open_administration(settings: Settings) -> Administration:
    return Administration(make_async_engine(settings.administration_url()), BsnProtector(settings.bsn_key_bytes()))

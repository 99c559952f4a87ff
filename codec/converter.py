"""The one data converter of the engine: pydantic models, encrypted (see codec/encryption.py)."""

import dataclasses
import secrets

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from codec.encryption import EncryptionCodec, KeyRing


def encrypted_converter(ring: KeyRing) -> DataConverter:
    return dataclasses.replace(pydantic_data_converter, payload_codec=EncryptionCodec(ring))


def throwaway_converter() -> DataConverter:
    """For a simulation's own throwaway server: encrypted all the same, with a key that dies
    with the run."""
    return encrypted_converter(KeyRing({"simulation": secrets.token_bytes(32)}, "simulation"))

"""The one data converter of the engine: pydantic models, encrypted (see codec/encryption.py).

Failures too: their message and stack trace are moved into an encoded payload
(`DefaultFailureConverterWithEncodedAttributes`), which the codec encrypts, so a history read
without the codec shows "Encoded failure" where a remote answer or a value might have stood."""

import dataclasses
import secrets

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from codec.encryption import EncryptionCodec, KeyRing


def encrypted_converter(ring: KeyRing) -> DataConverter:
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def throwaway_converter() -> DataConverter:
    """For a simulation's own throwaway server: encrypted all the same, with a key that dies
    with the run."""
    return encrypted_converter(KeyRing({"simulation": secrets.token_bytes(32)}, "simulation"))

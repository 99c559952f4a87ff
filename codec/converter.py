"""The one data converter of the engine: pydantic models, encrypted (see codec/encryption.py).

Failures too: their message and stack trace are moved into an encoded payload
(`DefaultFailureConverterWithEncodedAttributes`), which the codec encrypts, so a history read
without the codec shows "Encoded failure" where a remote answer or a value might have stood."""

import dataclasses
import secrets

from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

from codec.encryption import EncryptionCodec, KeyRing

# One JSON converter for the whole process. The SDK builds a new payload converter of the data
# converter's class for every workflow activation, and pydantic's own converter keeps its type
# adapters per instance: every decoded value built its TypeAdapter anew (a memo read a whole
# schema), 4 % of the workflow process (issue 14). This one keeps them for the process: a type's
# adapter is the same whoever asks.
_SHARED_JSON = PydanticJSONPlainPayloadConverter()


class SharedPydanticPayloadConverter(CompositePayloadConverter):
    """`temporalio.contrib.pydantic.PydanticPayloadConverter`, with the process's one JSON converter."""

    def __init__(self) -> None:
        super().__init__(
            *(
                _SHARED_JSON if isinstance(converter, JSONPlainPayloadConverter) else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


def encrypted_converter(ring: KeyRing) -> DataConverter:
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def throwaway_converter() -> DataConverter:
    """For a simulation's own throwaway server: encrypted all the same, with a key that dies
    with the run."""
    return encrypted_converter(KeyRing({"simulation": secrets.token_bytes(32)}, "simulation"))

"""The engine's data converter: pydantic models and dates round trip encrypted, and a type's
adapter is built once per process, not once per converter the SDK makes for each activation."""

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from codec.converter import SharedPydanticPayloadConverter, encrypted_converter
from codec.encryption import KeyRing
from models.steps import PaymentOutcome, ThresholdAnswer


def converter():
    return encrypted_converter(KeyRing({"k1": secrets.token_bytes(32)}, "k1"))


async def test_models_and_plain_values_round_trip_encrypted():
    data = converter()
    values = [ThresholdAnswer(year=2026, amount=Decimal("613.24")), date(2026, 12, 4), {"summary": "paid"}]
    payloads = await data.encode(values)
    assert all(b"613.24" not in payload.data for payload in payloads)
    assert await data.decode(payloads, [ThresholdAnswer, date, dict]) == values


def test_a_type_adapter_is_shared_by_every_payload_converter_the_sdk_makes():
    # The SDK makes a new payload converter, of this class, for every workflow activation.
    assert converter().payload_converter_class is SharedPydanticPayloadConverter
    first, second = SharedPydanticPayloadConverter(), SharedPydanticPayloadConverter()
    outcome = PaymentOutcome(accepted=True, receipt_id="R1")
    [payload] = first.to_payloads([outcome])
    assert first.from_payloads([payload], [PaymentOutcome]) == [outcome]  # its adapter built here, or before
    adapters: Any = first.converters[b"json/plain"]._type_adapter  # type: ignore[attr-defined]
    built = adapters.cache_info().misses
    assert second.from_payloads([payload], [PaymentOutcome]) == [outcome]
    assert adapters.cache_info().misses == built  # the second converter did not build it again

"""Payload encryption: round trip, key rotation, refusal of an unknown key or a tampered payload."""

import secrets

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from codec.encryption import KEY_ID, EncryptionCodec, KeyRing, UnknownKey

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"bsn": "111222333", "birth_date": "1985-02-14"}')


async def test_a_payload_round_trips_and_is_unreadable_in_between():
    codec = EncryptionCodec(KeyRing({"k1": secrets.token_bytes(32)}, "k1"))
    [encrypted] = await codec.encode([PLAIN])
    assert b"111222333" not in encrypted.SerializeToString() and b"1985-02-14" not in encrypted.SerializeToString()
    assert encrypted.metadata[KEY_ID] == b"k1"
    assert await codec.decode([encrypted]) == [PLAIN]


async def test_after_rotation_new_payloads_use_the_new_key_and_old_ones_still_decrypt():
    old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
    [old] = await EncryptionCodec(KeyRing({"k1": old_key}, "k1")).encode([PLAIN])
    rotated = EncryptionCodec(KeyRing({"k1": old_key, "k2": new_key}, "k2"))
    [new] = await rotated.encode([PLAIN])
    assert new.metadata[KEY_ID] == b"k2"
    assert await rotated.decode([old, new]) == [PLAIN, PLAIN]


async def test_a_payload_of_a_key_no_longer_held_is_refused_by_name():
    [old] = await EncryptionCodec(KeyRing({"k1": secrets.token_bytes(32)}, "k1")).encode([PLAIN])
    with pytest.raises(UnknownKey, match="key 'k1'"):
        await EncryptionCodec(KeyRing({"k2": secrets.token_bytes(32)}, "k2")).decode([old])


async def test_a_tampered_payload_or_a_swapped_key_id_does_not_decrypt():
    ring = KeyRing({"k1": secrets.token_bytes(32), "k2": secrets.token_bytes(32)}, "k1")
    codec = EncryptionCodec(ring)
    [encrypted] = await codec.encode([PLAIN])
    tampered = Payload(metadata=dict(encrypted.metadata), data=encrypted.data[:-1] + bytes([encrypted.data[-1] ^ 1]))
    swapped = Payload(metadata={**encrypted.metadata, KEY_ID: b"k2"}, data=encrypted.data)
    for bad in (tampered, swapped):
        with pytest.raises(InvalidTag):  # authenticated encryption: any change fails the tag
            await codec.decode([bad])


def test_bad_key_configuration_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="WKP_PAYLOAD_KEYS: must be a JSON object"):
        KeyRing.from_json("[1, 2]", None)
    with pytest.raises(ValueError, match="WKP_PAYLOAD_KEYS: key 'k1' must be 32 bytes"):
        KeyRing.from_json('{"k1": "c2hvcnQ="}', None)
    with pytest.raises(ValueError, match="WKP_PAYLOAD_KEY_ID: several keys"):
        KeyRing.from_json(KeyRing({"a": bytes(32), "b": bytes(32)}, "a").to_json(), None)
    with pytest.raises(ValueError, match="WKP_PAYLOAD_KEY_ID: 'c' is not one of the keys"):
        KeyRing.from_json(KeyRing({"a": bytes(32), "b": bytes(32)}, "a").to_json(), "c")


async def test_a_failure_is_encrypted_message_and_stack_trace_alike():
    """A step that failed with personal data in its message (a remote answer echoing a BSN) leaves
    none in the history: the converter moves message and stack trace into an encrypted payload,
    and the codec gives them back to whoever holds the key."""
    from temporalio.api.failure.v1 import Failure
    from temporalio.exceptions import ApplicationError

    from codec.converter import encrypted_converter

    converter = encrypted_converter(KeyRing({"k1": secrets.token_bytes(32)}, "k1"))
    try:
        raise ApplicationError("register answered 503: no spell for 111222333", type="RegisterUnavailable")
    except ApplicationError as raised:
        error = raised
    failure = Failure()
    await converter.encode_failure(error, failure)
    stored = failure.SerializeToString()
    assert b"111222333" not in stored and b"register answered" not in stored
    assert failure.message == "Encoded failure" and failure.application_failure_info.type == "RegisterUnavailable"
    decoded = await converter.decode_failure(failure)
    assert "111222333" in str(decoded)

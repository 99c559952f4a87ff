"""Payload encryption for everything the engine hands Temporal: inputs, results, queries and
updates hold BSNs and birth dates, and Temporal's store must never hold them in clear text.

AES-256-GCM per payload; the key id travels in the payload's metadata so that keys can rotate:
new payloads use the current key, and every key still listed decrypts what it once encrypted.
"""

import base64
import json
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from config.secret_files import read_or_create
from config.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnknownKey(ValueError):
    """A payload was encrypted with a key this key ring does not hold."""


class KeyRing:
    """Named 32-byte keys and the id of the one that encrypts."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"WKP_PAYLOAD_KEY_ID: {current!r} is not one of the keys ({', '.join(sorted(keys))})")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"WKP_PAYLOAD_KEYS: key {key_id!r} must be 32 bytes (base64), not {len(key)}")
        self.keys, self.current = keys, current

    @classmethod
    def from_json(cls, text: str, current: str | None) -> "KeyRing":
        try:
            raw = json.loads(text)
            keys = {str(key_id): base64.b64decode(value, validate=True) for key_id, value in raw.items()}
        except (ValueError, AttributeError, TypeError):
            raise ValueError('WKP_PAYLOAD_KEYS: must be a JSON object {"key id": "base64 key", …}') from None
        if not keys:
            raise ValueError("WKP_PAYLOAD_KEYS: holds no key")
        if current is None:
            if len(keys) > 1:
                raise ValueError("WKP_PAYLOAD_KEY_ID: several keys are configured; name the one that encrypts")
            current = next(iter(keys))
        return cls(keys, current)

    def to_json(self) -> str:
        return json.dumps({key_id: base64.b64encode(key).decode() for key_id, key in self.keys.items()})


def load_or_create_key_ring(configured: str | None, current: str | None, key_file: Path) -> KeyRing:
    """The configured keys, or for the embedded setup a key file made once under WKP_HOME (0600).
    A production deployment sets WKP_PAYLOAD_KEYS and WKP_PAYLOAD_KEY_ID from its secret store."""
    if configured:
        return KeyRing.from_json(configured, current)
    return KeyRing.from_json(
        read_or_create(key_file, lambda: KeyRing({"k1": secrets.token_bytes(32)}, "k1").to_json()), current
    )


def configured_key_ring(settings: Settings) -> KeyRing:
    """WKP_PAYLOAD_KEYS / WKP_PAYLOAD_KEY_ID, or the embedded stack's key file."""
    return load_or_create_key_ring(settings.payload_keys, settings.payload_key_id, settings.home / "payload-keys.json")


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self.ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.encode_now(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.decode_now(payloads)

    def encode_now(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt (synchronously: the codec server runs it off its event loop)."""
        key_id = self.ring.current
        cipher = self.ciphers[key_id]
        encoded = []
        for payload in payloads:
            nonce = secrets.token_bytes(NONCE_BYTES)
            # The key id is bound to the ciphertext as associated data: it cannot be swapped.
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=data))
        return encoded

    def decode_now(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)  # never encrypted (e.g. written before the codec existed)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self.ciphers.get(key_id)
            if cipher is None:
                raise UnknownKey(f"payload: encrypted with key {key_id!r}, which is not in WKP_PAYLOAD_KEYS")
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
            inner = Payload()
            inner.ParseFromString(plain)
            decoded.append(inner)
        return decoded

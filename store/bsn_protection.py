"""BSNs at rest: encrypted (AES-GCM) for reading back, and a keyed hash (HMAC-SHA256) for lookup.

A leaked dump shows neither the BSN nor a hash that can be reversed by trying all 10^9 numbers,
because both need the key. The hash key is derived from the same secret with HKDF, so one key
is configured (WKP_BSN_KEY, 32 bytes base64).
"""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from config.secret_files import read_or_create

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12


class BsnProtector:
    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("WKP_BSN_KEY: must be 32 bytes, base64-encoded")
        self._aead = AESGCM(secret)
        self._lookup_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"wkp-bsn-lookup").derive(secret)

    def lookup(self, bsn: str) -> str:
        """A stable keyed hash to find a participant by BSN."""
        return hmac.new(self._lookup_key, bsn.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, bsn: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_VERSION + nonce + self._aead.encrypt(nonce, bsn.encode(), b"bsn")

    def decrypt(self, blob: bytes) -> str:
        if blob[:1] != FORMAT_VERSION:
            raise ValueError("unknown BSN cipher format")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, b"bsn").decode()


def load_or_create_key(configured: str | None, key_file: Path) -> bytes:
    """The configured key, or for the embedded setup a key file made once under WKP_HOME (0600).
    A production deployment sets WKP_BSN_KEY from its secret store."""
    if configured:
        try:
            return base64.b64decode(configured, validate=True)
        except ValueError:
            raise ValueError("WKP_BSN_KEY: is not valid base64") from None
    return base64.b64decode(read_or_create(key_file, lambda: base64.b64encode(secrets.token_bytes(32)).decode()))

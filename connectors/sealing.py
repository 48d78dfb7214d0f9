"""Sealing platform addresses (chat ids, phone numbers) while they wait in the queues.

A reply must reach the person, so the channel keeps where to send it until delivery; sealed with AES-GCM
under a key derived from the deployment's pseudonymisation key, the address never sits in clear in
``LOCI_DATA_DIR`` or Redis, and only the process that sends can open it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from genius_loci.core.errors import LociError

_NONCE_BYTES = 12
_PREFIX = "s1:"


class Sealer:
    """Seals and opens short strings; ``open`` raises ``LociError`` for anything it did not seal."""

    def __init__(self, key: bytes) -> None:
        derived = hmac.new(key, b"genius-loci reply address v1", hashlib.sha256).digest()
        self._aead = AESGCM(derived)

    def seal(self, text: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), None)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise LociError("not a sealed address")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_PREFIX):])
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None).decode()
        except (ValueError, InvalidTag) as exc:
            raise LociError("a sealed address could not be opened (another key?)") from exc

"""Secrets stored encrypted at rest (hub system secrets, agencies' hub secrets and keys).

Fernet (AES-128-CBC + HMAC) under a key derived from settings.SECRET_KEY with HKDF; each
use has its own salt, so one purpose's ciphertext never opens with another's key. The
value must be recoverable (an HMAC secret cannot be hashed), hence encryption, not hashing.
Rotating SECRET_KEY therefore needs the secrets re-entered.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"


@functools.lru_cache(maxsize=16)
def _fernet(secret_key: str, salt: bytes, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


class Sealer:
    """Encrypts and decrypts text for one purpose (`salt`, `info`)."""

    def __init__(self, salt: bytes, info: bytes):
        self.salt, self.info = salt, info

    def _key(self) -> Fernet:
        from django.conf import settings

        return _fernet(settings.SECRET_KEY, self.salt, self.info)

    def encrypt(self, plain: str | bytes) -> str:
        data = plain.encode("utf-8") if isinstance(plain, str) else plain
        return PREFIX + self._key().encrypt(data).decode("ascii")

    def decrypt_bytes(self, stored: str) -> bytes:
        if not stored.startswith(PREFIX):
            raise ValueError("unknown secret format")
        try:
            return self._key().decrypt(stored[len(PREFIX):].encode("ascii"))
        except InvalidToken:
            raise ValueError("secret cannot be decrypted: SECRET_KEY changed since it was stored") from None

    def decrypt(self, stored: str) -> str:
        return self.decrypt_bytes(stored).decode("utf-8")

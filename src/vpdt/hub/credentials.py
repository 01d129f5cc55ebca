"""System secrets encrypted at rest.

The hub must recover each system's secret to check its HMAC, so the secret cannot be
hashed: it is encrypted with Fernet (AES-128-CBC + HMAC) under a key derived from
settings.SECRET_KEY with HKDF. Rotating SECRET_KEY therefore needs the secrets re-entered
(`vpdt hub add-agency ... --secret`); the standalone hub keeps its key in its data dir.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"


@functools.lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"vpdt.hub", info=b"system secrets").derive(
        secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _secret_key() -> str:
    from django.conf import settings

    return settings.SECRET_KEY


def encrypt(secret: str) -> str:
    return PREFIX + _fernet(_secret_key()).encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("unknown secret format")
    try:
        return _fernet(_secret_key()).decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("secret cannot be decrypted: SECRET_KEY changed since it was stored") from None

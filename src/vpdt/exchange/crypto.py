"""Secrets and private keys of the exchange, encrypted at rest.

Fernet (AES-128-CBC + HMAC) under a key derived from settings.SECRET_KEY with HKDF, so
a copied database alone does not reveal an agency's hub secret or signing key.
Rotating SECRET_KEY needs the secrets re-entered (keys are regenerated at next use).
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
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"vpdt.exchange", info=b"exchange secrets").derive(
        secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _secret_key() -> str:
    from django.conf import settings

    return settings.SECRET_KEY


def encrypt(plain: str | bytes) -> str:
    data = plain.encode("utf-8") if isinstance(plain, str) else plain
    return PREFIX + _fernet(_secret_key()).encrypt(data).decode("ascii")


def decrypt_bytes(stored: str) -> bytes:
    if not stored.startswith(PREFIX):
        raise ValueError("unknown secret format")
    try:
        return _fernet(_secret_key()).decrypt(stored[len(PREFIX):].encode("ascii"))
    except InvalidToken:
        raise ValueError("secret cannot be decrypted: SECRET_KEY changed since it was stored") from None


def decrypt(stored: str) -> str:
    return decrypt_bytes(stored).decode("utf-8")

"""System secrets encrypted at rest.

The hub must recover each system's secret to check its HMAC, so the secret cannot be
hashed: it is encrypted with Fernet (AES-128-CBC + HMAC) under a key derived from
settings.SECRET_KEY with HKDF. Rotating SECRET_KEY therefore needs the secrets re-entered
(`vpdt hub add-agency ... --secret`); the standalone hub keeps its key in its data dir.
"""

from vpdt.core.sealed import PREFIX, Sealer

_sealer = Sealer(salt=b"vpdt.hub", info=b"system secrets")


def encrypt(secret: str) -> str:
    return _sealer.encrypt(secret)


def decrypt(stored: str) -> str:
    return _sealer.decrypt(stored)


__all__ = ["PREFIX", "decrypt", "encrypt"]

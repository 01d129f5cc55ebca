"""System secrets encrypted at rest.

The hub must recover each system's secret to check its HMAC, so the secret cannot be
hashed: it is encrypted with Fernet (AES-128-CBC + HMAC) under a key derived from
settings.SECRET_KEY with HKDF (vpdt.core.sealed). Rotating SECRET_KEY: the old one in
SECRET_KEY_FALLBACKS, then `vpdt rotate-secrets`; the standalone hub has its own key (VPDT_HUB_SECRET_KEY, `vpdt hub rotate-secrets`).
"""

from vpdt.core.sealed import PREFIX, Sealer, register

_sealer = Sealer(salt=b"vpdt.hub", info=b"system secrets")
register("hub.System", "secret_encrypted", _sealer, text=True)
register("hub.Upstream", "secret_encrypted", _sealer, text=True)


def encrypt(secret: str) -> str:
    return _sealer.encrypt(secret)


def decrypt(stored: str) -> str:
    return _sealer.decrypt(stored)


__all__ = ["PREFIX", "decrypt", "encrypt"]

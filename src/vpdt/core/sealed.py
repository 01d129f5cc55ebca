"""Secrets stored encrypted at rest: the one helper for every app (hub system secrets,
agencies' hub secrets, signing keys and their passwords, remote signing services' API keys).

Fernet (AES-128-CBC + HMAC, from `cryptography`) under a key derived from the deployment
secret with HKDF; each use has its own salt and info, so one purpose's ciphertext never
opens with another's key. The value must be recoverable (an HMAC secret, a PKCS#12 file),
hence encryption, not hashing.

Rotation follows Django's own: a value is sealed under settings.SECRET_KEY and opens under
it or any of settings.SECRET_KEY_FALLBACKS (cryptography's MultiFernet). To change the
deployment secret, put the old one in SECRET_KEY_FALLBACKS, re-seal what is stored
(`Sealer.rotate`), then drop the fallback.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"


class SealedError(ValueError):
    """A stored secret cannot be opened: unknown format, or sealed under another secret."""


@functools.lru_cache(maxsize=64)
def _fernet(secret: bytes, salt: bytes, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def _as_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def deployment_secrets() -> list[bytes]:
    """settings.SECRET_KEY first (sealing), then SECRET_KEY_FALLBACKS (opening only)."""
    from django.conf import settings

    return [_as_bytes(s) for s in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])] if s]


class Sealer:
    """Seals and opens secrets for one purpose (`salt`, `info`).

    `secrets`: the secrets to derive keys from, newest first (a sequence, or a callable
    giving one); by default the deployment's (`deployment_secrets`).
    """

    def __init__(self, salt: bytes, info: bytes,
                 secrets: Sequence[str | bytes] | Callable[[], Sequence[str | bytes]] | None = None):
        self.salt, self.info = salt, info
        self._secrets = secrets

    def _keys(self) -> MultiFernet:
        secrets = self._secrets() if callable(self._secrets) else self._secrets
        found = [_as_bytes(s) for s in (deployment_secrets() if secrets is None else secrets) if s]
        if not found:
            raise SealedError("no secret to seal with")
        return MultiFernet([_fernet(s, self.salt, self.info) for s in found])

    # Binary columns: the Fernet token as bytes.
    def seal(self, data: str | bytes) -> bytes:
        return self._keys().encrypt(_as_bytes(data))

    def open(self, token: bytes | memoryview) -> bytes:
        try:
            return self._keys().decrypt(bytes(token))
        except InvalidToken:
            raise SealedError("secret cannot be decrypted: sealed under another secret or damaged") from None

    def rotate(self, token: bytes | memoryview) -> bytes:
        """The same secret sealed under the current key (it may have been under a fallback)."""
        try:
            return self._keys().rotate(bytes(token))
        except InvalidToken:
            raise SealedError("secret cannot be decrypted: sealed under another secret or damaged") from None

    # Text columns: the token with a PREFIX that names the format.
    def encrypt(self, plain: str | bytes) -> str:
        return PREFIX + self.seal(plain).decode("ascii")

    def decrypt_bytes(self, stored: str) -> bytes:
        if not stored.startswith(PREFIX):
            raise SealedError("unknown secret format")
        return self.open(stored[len(PREFIX):].encode("ascii"))

    def decrypt(self, stored: str) -> str:
        return self.decrypt_bytes(stored).decode("utf-8")

    def rotate_text(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            raise SealedError("unknown secret format")
        return PREFIX + self.rotate(stored[len(PREFIX):].encode("ascii")).decode("ascii")


# Where sealed values live, so that `vpdt manage reseal_secrets` can re-seal every one of
# them under the current SECRET_KEY: (model label, field, sealer, text column or binary).
_SEALED_FIELDS: list[tuple[str, str, Sealer, bool]] = []


def register(model: str, field: str, sealer: Sealer, *, text: bool) -> None:
    """Declare that `model.field` holds values sealed by `sealer` (apps call it at import)."""
    if not any(m == model and f == field for m, f, _s, _t in _SEALED_FIELDS):
        _SEALED_FIELDS.append((model, field, sealer, text))


def reseal_all() -> dict[str, int]:
    """Re-seal every registered value under the current key; {"model.field": rows re-sealed}.

    Run it after moving the old key into SECRET_KEY_FALLBACKS; once it has run, the fallback
    can go. A value that opens under no key stops the run (nothing of that field changes).
    """
    from django.apps import apps
    from django.db import router, transaction

    done: dict[str, int] = {}
    for label, field, sealer, text in _SEALED_FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # that app is not installed here
        db = router.db_for_write(model)
        rows = model._base_manager.using(db).exclude(**{field: "" if text else b""})
        count = 0
        with transaction.atomic(using=db):
            for pk, value in rows.values_list("pk", field).iterator():
                new = sealer.rotate_text(value) if text else sealer.rotate(value)
                model._base_manager.using(db).filter(pk=pk).update(**{field: new})
                count += 1
        done[f"{label}.{field}"] = count
    return done

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


# Where sealed values live, so that `vpdt rotate-secrets` can re-seal every one of them under
# the current SECRET_KEY: (model label, field, sealer, text column or binary).
_SEALED_FIELDS: list[tuple[str, str, Sealer, bool]] = []


def register(model: str, field: str, sealer: Sealer, *, text: bool) -> None:
    """Declare that `model.field` holds values sealed by `sealer` (apps call it at import)."""
    if not any(m == model and f == field for m, f, _s, _t in _SEALED_FIELDS):
        _SEALED_FIELDS.append((model, field, sealer, text))


def registered() -> list[tuple[str, str]]:
    """(model label, field) of every sealed column declared so far."""
    return [(m, f) for m, f, _s, _t in _SEALED_FIELDS]


def _is_current(sealer: Sealer, value, text: bool) -> bool:
    """Does the value open under the current key alone (nothing to re-seal)?"""
    current = Sealer(sealer.salt, sealer.info, deployment_secrets()[:1])
    try:
        current.decrypt_bytes(value) if text else current.open(value)
    except SealedError:
        return False
    return True


def reseal_all() -> dict[str, tuple[int, int]]:
    """Re-seal every registered value under the current key: {"model.field": (re-sealed, already current)}.

    Run it after moving the old key into SECRET_KEY_FALLBACKS; once it has run, the fallback
    can go. Idempotent: a value already under the current key is left as it is. Every value is
    opened before anything is written, so a value that opens under no key stops the run with
    SealedError and nothing changes; the writes of each database are one transaction.
    """
    from django.apps import apps
    from django.db import router, transaction

    if not deployment_secrets():
        raise SealedError("no secret to seal with")
    done: dict[str, tuple[int, int]] = {}
    updates: dict[str, list] = {}  # database alias -> [(model, pk, field, new value)]
    for label, field, sealer, text in _SEALED_FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # that app is not installed here
        db = router.db_for_write(model)
        rows = model._base_manager.using(db).exclude(**{field: "" if text else b""})
        moved = current = 0
        for pk, value in rows.values_list("pk", field).iterator():
            value = value if text else bytes(value)
            if _is_current(sealer, value, text):
                current += 1
                continue
            try:
                new = sealer.rotate_text(value) if text else sealer.rotate(value)
            except SealedError as exc:
                raise SealedError(f"{label}.{field} #{pk}: {exc}") from None
            updates.setdefault(db, []).append((model, pk, field, new))
            moved += 1
        done[f"{label}.{field}"] = (moved, current)
    for db, rows in updates.items():
        with transaction.atomic(using=db):
            for model, pk, field, new in rows:
                model._base_manager.using(db).filter(pk=pk).update(**{field: new})
    return done


def rotation_report(done: dict[str, tuple[int, int]], env: str = "VPDT_SECRET_KEY") -> list[str]:
    """What `rotate-secrets` prints: the counts, then what to do with the environment."""
    lines = [f"{field}: {moved} mã hóa lại, {current} đã dùng khóa mới (re-sealed {moved}, current {current})"
             for field, (moved, current) in done.items()]
    total = sum(m for m, _c in done.values())
    lines.append(f"Tổng cộng {total} khóa bí mật đã chuyển sang khóa mới (SECRET_KEY hiện hành).")
    lines.append(f"Việc tiếp theo: bỏ khóa cũ khỏi {env}_FALLBACKS khi mọi tiến trình đã chạy với khóa mới "
                 "(phiên đăng nhập ký bằng khóa cũ sẽ phải đăng nhập lại), rồi khởi động lại. "
                 f"Next: remove the old key from {env}_FALLBACKS and restart.")
    return lines

"""Signing keys' secrets at rest: PKCS#12 files, their passwords, API keys, sealed for the database.

Apart from vpdt.signing.keys so that a process that only seals or opens a secret (every web
process, at start, through the exchange's package keys) does not import pyHanko (~45 MB of
memory, seconds of start-up); vpdt.signing.keys re-exports these names.
"""

from __future__ import annotations

from vpdt.core.sealed import SealedError, Sealer, register

from .errors import SigningError

# At-rest protection of PKCS#12 files, their passwords and API keys: the one sealed-secrets
# helper (vpdt.core.sealed) with signing's own salt. The derivation is the one these keys were
# always sealed with, so stored keys keep opening; the deployment's secret may now rotate.
_SALT, _INFO = b"vpdt-signing", b"vpdt.signing.pkcs12-at-rest.v1"
_DECRYPT_FAILED = ("KEY_DECRYPT_FAILED",
                   "Không giải mã được tệp khóa ký đã lưu (khóa bảo vệ đã đổi hoặc dữ liệu hỏng).")


def sealer(secrets=None) -> Sealer:
    """Signing's sealer: under `secrets` if given, else the deployment's (SECRET_KEY and fallbacks)."""
    return Sealer(_SALT, _INFO, secrets)


for _field in ("pkcs12_encrypted", "password_encrypted", "remote_api_key_encrypted", "ready_encrypted"):
    register("signing.SigningKey", _field, sealer(), text=False)


def encrypt_pkcs12(data: bytes, secret: bytes) -> bytes:
    if not secret:
        raise SigningError("KEY_SECRET_MISSING", "Chưa cấu hình khóa bảo vệ tệp khóa ký.", "empty secret")
    return sealer([secret]).seal(data)


def decrypt_pkcs12(token: bytes, secret: bytes) -> bytes:
    if not secret:
        raise SigningError("KEY_SECRET_MISSING", "Chưa cấu hình khóa bảo vệ tệp khóa ký.", "empty secret")
    try:
        return sealer([secret]).open(token)
    except SealedError as exc:
        raise SigningError(*_DECRYPT_FAILED, str(exc)) from exc


def seal_secret(data: bytes) -> bytes:
    """A key file, password or API key sealed for the database (under settings.SECRET_KEY)."""
    return sealer().seal(data)


def open_secret(token: bytes | memoryview) -> bytes:
    """What `seal_secret` sealed (under SECRET_KEY or one of SECRET_KEY_FALLBACKS)."""
    try:
        return sealer().open(token)
    except SealedError as exc:
        raise SigningError(*_DECRYPT_FAILED, str(exc)) from exc

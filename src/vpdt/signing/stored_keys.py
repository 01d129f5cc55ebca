"""Stored software keys (SigningKey), opened without paying cryptography's RSA check each time.

cryptography checks an RSA private key's consistency every time it loads one, from a PKCS#12
file or any other form: ~48 ms of CPU for RSA-2048 on the benchmark machine, more than the
signature itself. A key the server may use alone (its password kept on the server, or none:
a package key) is opened from its file and checked once, then kept beside the file as its
*ready form* (`SigningKey.ready_encrypted`: the key in PKCS#8 and its certificates in PEM,
sealed like the file, with the SHA-256 of the file it came from) and opened from that without
the check. A key whose password a person types never gets one: its file is opened with that
password each time, and a wrong password is refused.

The ready form names the file it was made from: a file replaced in place, or a ready form
that does not open, sends the key back to its file (and a new ready form is made).
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import SigningError
from .sealing import open_secret, seal_secret

_MAGIC = b"vpdt-ready-key-v1"


def load_pkcs12(data: bytes, password: str | bytes | None):
    """(private key, certificate, other certificates) of a PKCS#12 file, the key checked."""
    if isinstance(password, str):
        password = password.encode()
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError as exc:
        raise SigningError("KEY_BAD_PASSWORD", "Không mở được khóa ký: sai mật khẩu hoặc tệp khóa không hợp lệ.",
                           f"PKCS#12 could not be decrypted: {exc}") from exc
    if key is None or cert is None:
        raise SigningError("KEY_INVALID", "Tệp khóa ký không chứa khóa và chứng thư số.", "PKCS#12 without key or cert")
    return key, cert, list(others)


def seal_ready(key, certs, source: bytes) -> bytes:
    """The sealed ready form of `key` and `certs` (the signing certificate first), made from the
    PKCS#12 file `source` (its bytes in the clear)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    body = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    return seal_secret(b"\n".join([_MAGIC, hashlib.sha256(source).hexdigest().encode(), pem + body]))


def open_ready(token: bytes | memoryview, source: bytes | None = None):
    """(private key, certificate, other certificates) from a ready form; None when it does not
    open or was made from another file than `source` (when given)."""
    try:
        magic, digest, rest = open_secret(token).split(b"\n", 2)
        if magic != _MAGIC or (source is not None and digest != hashlib.sha256(source).hexdigest().encode()):
            return None
        key = serialization.load_pem_private_key(rest, None, unsafe_skip_rsa_key_validation=True)
        certs = x509.load_pem_x509_certificates(rest)
    except (SigningError, ValueError):
        return None
    return key, certs[0], certs[1:]


def server_usable(qs=None):
    """Of `qs` (all signing keys by default), the software keys the server may open alone:
    active, and a package key or one whose password is kept."""
    from django.db.models import Q

    from .models import SigningKey

    qs = SigningKey.objects.all() if qs is None else qs
    return qs.filter(Q(purpose=SigningKey.Purpose.PACKAGES) | ~Q(password_encrypted=b""),
                     active=True, kind=SigningKey.Kind.SOFTWARE)


def open_software(record, typed_password: str | None = None):
    """(private key, certificate, other certificates) of a stored software key.

    The server may use it alone: from its ready form, made (and audited) at the first opening.
    Otherwise: from its file with `typed_password` (SigningError when wrong)."""
    data = open_secret(record.pkcs12_encrypted)
    if not (record.purpose == record.Purpose.PACKAGES or record.password_encrypted):
        return load_pkcs12(data, typed_password or "")
    if record.ready_encrypted:
        opened = open_ready(record.ready_encrypted, data)
        if opened is not None:
            return opened
    password = open_secret(record.password_encrypted) if record.password_encrypted else b""
    key, cert, others = load_pkcs12(data, password)
    _keep_ready(record, seal_ready(key, [cert, *others], data))
    return key, cert, others


def _keep_ready(record, token: bytes) -> None:
    """Store the ready form once: not over one another process stored since `record` was read."""
    from vpdt.core import audit

    from .models import SigningKey

    stale = bytes(record.ready_encrypted or b"")
    if SigningKey.objects.filter(pk=record.pk, ready_encrypted=stale).update(ready_encrypted=token):
        record.ready_encrypted = token
        owner = record.agency if record.agency_id else record.user.agency
        audit.record("signing.key_ready", record, agency_code=owner.code if owner else "",
                     detail={"subject": record.subject[:200]})

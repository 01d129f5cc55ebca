"""The key that signs an agency's edXML packages (XML-DSig), taken from the one key store.

The agency's seal signs its packages too when the server can use it alone: an active PKCS#12
file whose password is kept, with an RSA key (the package signature is RSA-SHA256). Otherwise
(no seal yet, a token that needs a person's PIN, a remote service) the agency's package key
does: a SigningKey with purpose PACKAGES, generated at first use as a self-signed RSA-2048
certificate naming the agency, or put there by the platform admin.

Keys are opened from their ready form (vpdt.signing.stored_keys: checked once, not at each
opening). Opened keys are cached per process by the key's row and sealed content (a new seal is a new
row; a restored or flushed database may give an old id to another key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from vpdt.core import audit
from vpdt.core.prepared import Read
from vpdt.signing import stored_keys
from vpdt.signing.models import SigningKey
from vpdt.signing.sealing import seal_secret

# (SigningKey pk, digest of its sealed file) -> (private key, certificate PEM), None if unusable.
_cache: dict[tuple[int, bytes], tuple | None] = {}
_lock = threading.Lock()


def _generate(agency):
    """(a PKCS#12 file without password, its RSA-2048 key, its self-signed certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, agency.code),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(agency.code.encode(), key, cert, None,
                                                 serialization.NoEncryption())
    return data, key, cert


def _identity(record: SigningKey) -> tuple[int, bytes]:
    return record.pk, hashlib.sha256(bytes(record.pkcs12_encrypted)).digest()


def _open(record: SigningKey) -> tuple | None:
    identity = _identity(record)
    with _lock:
        if identity in _cache:
            return _cache[identity]
    key, cert, _chain = stored_keys.open_software(record)  # from its ready form: no RSA check here
    found = None
    if isinstance(key, rsa.RSAPrivateKey) and cert is not None:
        found = (key, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    with _lock:
        _cache[identity] = found
    return found


def _signs_packages() -> Q:
    """The keys that may sign an agency's packages: its package key, or its seal when the server
    can open it alone (a password stored with it)."""
    return Q(active=True, kind=SigningKey.Kind.SOFTWARE) & (
        Q(purpose=SigningKey.Purpose.PACKAGES) | (Q(purpose=SigningKey.Purpose.DOCUMENTS) & ~Q(password_encrypted=b"")))


def _candidates(agency) -> list[SigningKey]:
    # "documents" sorts before "packages": the seal first.
    return _CANDIDATES.instances(agency_id=agency.pk)


# Every package written asks it (vpdt.core.prepared: the SQL written once).
_CANDIDATES = Read(lambda agency_id: SigningKey.objects.filter(_signs_packages(), agency_id=agency_id)
                   .order_by("purpose", "-pk"), agency_id=int)


def without_package_key(agencies):
    """Of `agencies` (a queryset), those with no key that may sign their packages: the ones
    `package_key` would generate a key for."""
    return agencies.exclude(pk__in=SigningKey.objects.filter(_signs_packages(), agency__isnull=False)
                            .values("agency_id"))


# Making an agency's package key, on PostgreSQL: a transaction-scoped advisory lock (this class,
# the agency's id) taken before the key's row is inserted.
#
# Why: a release that generates the key at first use may already hold the audit chain's head (an
# audited change earlier in its transaction), then inserts the key. The background job inserted
# the key, then took the head for its audit entry. Each waited for the other (the unique index
# of one package key per agency, the head): PostgreSQL aborted one, the release or the job
# (found by bench/exchange_bench.py, whose releases start with the workers). Now the job takes
# the head first, then only tries this lock, and gives up when a release is making the key: it
# never waits while holding what a release waits for.
_KEY_LOCK_CLASS = 0x76706B31  # "vpk1"


def _key_lock(agency, *, wait: bool) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one writer at a time, no lock to order
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_KEY_LOCK_CLASS, agency.pk])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_KEY_LOCK_CLASS, agency.pk])
        return bool(cursor.fetchone()[0])


def _store_generated(agency, data: bytes, key, cert) -> SigningKey:
    record = SigningKey.objects.create(
        agency=agency, kind=SigningKey.Kind.SOFTWARE, purpose=SigningKey.Purpose.PACKAGES,
        label="Khóa ký gói tin (tự sinh)", subject=cert.subject.rfc4514_string()[:500],
        pkcs12_encrypted=seal_secret(data), password_encrypted=b"",
        ready_encrypted=stored_keys.seal_ready(key, [cert], data))
    audit.record("exchange.key_generated", agency, agency_code=agency.code,
                 detail={"certificate": cert.public_bytes(serialization.Encoding.PEM)
                         .decode("ascii").splitlines()[1][:40]})
    return record


def package_key(agency) -> tuple[tuple, object, str]:
    """(the key's identity for caches, RSA private key, certificate PEM) that sign the agency's packages."""
    found = _usable(agency)
    if found is not None:
        return found
    data, key, cert = _generate(agency)
    try:
        with transaction.atomic():
            # The same order as the job: the head, then the key lock. Two first releases of one
            # agency used to deadlock: one held the head (an audited change) and waited for the
            # key lock; the other held the key lock (its key inserted) and waited for the head.
            audit.hold_head()
            _key_lock(agency, wait=True)
            found = _usable(agency)  # made and committed while this one waited
            if found is not None:
                return found
            record = _store_generated(agency, data, key, cert)
    except IntegrityError:  # generated concurrently (SQLite): use the one that won
        record = SigningKey.objects.get(agency=agency, active=True, purpose=SigningKey.Purpose.PACKAGES)
    found = _open(record)
    return (_identity(record), *found)


def _usable(agency) -> tuple | None:
    for record in _candidates(agency):
        found = _open(record)
        if found is not None:
            return (_identity(record), *found)
    return None


def _needs_package_key(agency) -> bool:
    return without_package_key(type(agency).objects.filter(pk=agency.pk)).exists()


def make_package_key(agency) -> bool:
    """The background job's way (exchange.package_keys): the agency gets its package key now,
    unless it has a key that may sign its packages. The key is generated outside any lock; then,
    in one transaction, the audit chain's head first, the key lock only if free (a release making
    the key now holds it: False, nothing written, that release makes it)."""
    if not _needs_package_key(agency):
        return True
    data, key, cert = _generate(agency)
    with transaction.atomic():
        audit.hold_head()
        if not _key_lock(agency, wait=False):
            return False
        if not _needs_package_key(agency):
            return True  # made and committed meanwhile
        _store_generated(agency, data, key, cert)
    return True

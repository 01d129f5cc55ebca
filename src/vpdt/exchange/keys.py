"""Each agency's key for the XML signature of its packages: configured, or generated at first use.

A generated key is a self-signed RSA-2048 certificate naming the agency; the private key
is stored encrypted (crypto.py). The signing issue replaces it with the agency's token
or CA-issued certificate by writing an AgencyKey with generated=False.
"""

from __future__ import annotations

import datetime as dt
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction

from vpdt.core import audit
from vpdt.directory.models import Agency
from vpdt.edxml import XmlSigner
from vpdt.exchange import crypto
from vpdt.exchange.models import AgencyKey

_cache: dict[tuple[int, int], XmlSigner] = {}
_lock = threading.Lock()


def _generate(agency: Agency) -> tuple[bytes, str]:
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
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_for(agency: Agency) -> AgencyKey:
    found = AgencyKey.objects.filter(agency=agency).first()
    if found is not None:
        return found
    pem, cert = _generate(agency)
    try:
        with transaction.atomic():
            found = AgencyKey.objects.create(agency=agency, key_encrypted=crypto.encrypt(pem), cert_pem=cert)
            audit.record("exchange.key_generated", agency, agency_code=agency.code,
                         detail={"certificate": cert.splitlines()[1][:40]})
    except IntegrityError:  # generated concurrently: use the one that won
        found = AgencyKey.objects.get(agency=agency)
    return found


def signer_for(agency: Agency) -> XmlSigner:
    """The XmlSigner of the agency (cached per process; the key is decrypted once)."""
    record = key_for(agency)
    cache_key = (agency.pk, record.pk)
    with _lock:
        signer = _cache.get(cache_key)
    if signer is None:
        key = serialization.load_pem_private_key(crypto.decrypt_bytes(record.key_encrypted), password=None)
        signer = XmlSigner(key=key, cert=record.cert_pem)
        with _lock:
            _cache[cache_key] = signer
    return signer

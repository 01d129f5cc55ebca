"""Fixtures for the edXML library tests; nothing here needs Django."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

try:
    import vpdt.edxml  # noqa: F401
except ModuleNotFoundError:  # not installed yet: run from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "edxml"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/edxml")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def key_and_cert():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư UBND tỉnh Tây Ninh"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture()
def signer(key_and_cert):
    from vpdt.edxml import XmlSigner

    key, cert = key_and_cert
    return XmlSigner(key=key, cert=cert)

"""The demo PKI: a root CA, an intermediate CA, a PKCS#12 per person and per agency, and CRLs.

`vpdt pki demo-ca` and the tests use it so the demo can sign and verify for real without
the government CA. Two extra people exist only for tests: `expired` (certificate no longer
valid) and `revoked` (listed on the intermediate's CRL).
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO_PASSWORD = "Demo@2026"
EXPIRED_USER = "expired"
REVOKED_USER = "revoked"


@dataclass
class DemoCA:
    directory: Path
    password: str
    root_cert: x509.Certificate
    intermediate_cert: x509.Certificate
    root_key: rsa.RSAPrivateKey
    intermediate_key: rsa.RSAPrivateKey
    root_pem: Path
    intermediate_pem: Path
    chain_pem: Path  # root + intermediate: a trust bundle for VPDT_TRUST_ROOTS
    crl_path: Path  # the intermediate's CRL (lists the revoked person)
    root_crl_path: Path  # the root's CRL (empty): lets revocation of the intermediate be checked too
    people: dict[str, Path] = field(default_factory=dict)  # username -> .p12
    agencies: dict[str, Path] = field(default_factory=dict)  # agency code -> .p12
    certs: dict[str, x509.Certificate] = field(default_factory=dict)  # username/code -> cert

    @property
    def crl_paths(self) -> list[Path]:
        return [self.crl_path, self.root_crl_path]

    def p12(self, name: str) -> Path:
        return self.people.get(name) or self.agencies[name]


def _key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _cert(subject, subject_key, issuer, issuer_key, *, ca: bool, not_before, not_after, crl_url=None, path_len=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if ca:
        usage = dict(key_cert_sign=True, crl_sign=True, digital_signature=False, content_commitment=False)
    else:
        usage = dict(key_cert_sign=False, crl_sign=False, digital_signature=True, content_commitment=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    builder = builder.add_extension(
        x509.KeyUsage(
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False, **usage,
        ),
        critical=True,
    )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _crl(issuer_cert, issuer_key, revoked: list[x509.Certificate], now) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + dt.timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(minutes=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_demo_ca(
    directory,
    *,
    people: list[tuple[str, str]] = (),
    agencies: list[tuple[str, str]] = (),
    password: str = DEMO_PASSWORD,
    crl_base_url: str = "http://pki.vpdt.invalid/demo",
    key_bits: int = 2048,
) -> DemoCA:
    """Write a demo PKI into `directory` and return where everything is.

    Every certificate names a CRL distribution point under `crl_base_url` (validators only
    check revocation of certificates that name a source); pass e.g. "http://127.0.0.1:8765"
    so verification with fetching finds the CRLs that `serve_crl` serves.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    root_key, inter_key = _key(key_bits), _key(key_bits)
    root_name = _name("vpdt Demo Root CA", "vpdt demo")
    inter_name = _name("vpdt Demo Signing CA", "vpdt demo")
    root = _cert(
        root_name, root_key, root_name, root_key, ca=True, path_len=1,
        not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=3650),
    )
    inter = _cert(
        inter_name, inter_key, root_name, root_key, ca=True, path_len=0,
        not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=1825),
        crl_url=f"{crl_base_url}/root.crl" if crl_base_url else None,
    )
    ca = DemoCA(
        directory=directory, password=password, root_cert=root, intermediate_cert=inter,
        root_key=root_key, intermediate_key=inter_key,
        root_pem=directory / "root.pem", intermediate_pem=directory / "intermediate.pem",
        chain_pem=directory / "trust.pem", crl_path=directory / "intermediate.crl",
        root_crl_path=directory / "root.crl",
    )
    ca.root_pem.write_bytes(_pem(root))
    ca.intermediate_pem.write_bytes(_pem(inter))
    ca.chain_pem.write_bytes(_pem(root) + _pem(inter))

    def issue(name: str, cn: str, org: str | None, *, expired=False) -> x509.Certificate:
        key = _key(key_bits)
        if expired:
            nb, na = now - dt.timedelta(days=400), now - dt.timedelta(days=35)
        else:
            nb, na = now - dt.timedelta(days=1), now + dt.timedelta(days=730)
        cert = _cert(
            _name(cn, org), key, inter_name, inter_key, ca=False, not_before=nb, not_after=na,
            crl_url=f"{crl_base_url}/intermediate.crl" if crl_base_url else None,
        )
        data = pkcs12.serialize_key_and_certificates(
            name.encode(), key, cert, [inter, root],
            serialization.BestAvailableEncryption(password.encode()),
        )
        path = directory / f"{name}.p12"
        path.write_bytes(data)
        (directory / f"{name}.pem").write_bytes(_pem(cert))
        ca.certs[name] = cert
        return cert

    for username, full_name in people:
        issue(username, full_name, None)
        ca.people[username] = directory / f"{username}.p12"
    for code, agency_name in agencies:
        issue(code, agency_name, agency_name)
        ca.agencies[code] = directory / f"{code}.p12"
    issue(EXPIRED_USER, "Người Thử Hết Hạn", None, expired=True)
    ca.people[EXPIRED_USER] = directory / f"{EXPIRED_USER}.p12"
    revoked = issue(REVOKED_USER, "Người Thử Bị Thu Hồi", None)
    ca.people[REVOKED_USER] = directory / f"{REVOKED_USER}.p12"

    ca.crl_path.write_bytes(_crl(inter, inter_key, [revoked], now).public_bytes(serialization.Encoding.DER))
    ca.root_crl_path.write_bytes(_crl(root, root_key, [], now).public_bytes(serialization.Encoding.DER))
    return ca


def load_crls(paths) -> list[bytes]:
    """DER bytes of each CRL file (PEM or DER), as pyHanko's ValidationContext wants them."""
    out = []
    for p in paths:
        data = Path(p).read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            data = x509.load_pem_x509_crl(data).public_bytes(serialization.Encoding.DER)
        out.append(data)
    return out


def load_certs(paths) -> list[x509.Certificate]:
    """Every certificate in the given PEM bundles or DER files."""
    certs: list[x509.Certificate] = []
    for p in paths:
        data = Path(p).read_bytes()
        if b"-----BEGIN CERTIFICATE-----" in data:
            certs.extend(x509.load_pem_x509_certificates(data))
        else:
            certs.append(x509.load_der_x509_certificate(data))
    return certs


def serve_crl(directory, port: int = 0) -> tuple[http.server.HTTPServer, str]:
    """Serve the CRL files of `directory` over HTTP on 127.0.0.1 (tests, demo).

    Returns the server (call `.shutdown()`) and its base URL.
    """
    directory = str(directory)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=directory, **kw)

        def log_message(self, *a):  # keep test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"

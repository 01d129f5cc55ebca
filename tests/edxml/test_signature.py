"""The header signature: made with signxml, checked on reading, reported never raised."""

from __future__ import annotations

import io
import re

from cryptography.hazmat.primitives import serialization
from lxml import etree

from vpdt.edxml import read_package, write_package
from vpdt.edxml.header_xml import build_header
from vpdt.edxml.signature import EXC_C14N, verify_header

from .factories import header


def _signed_package(signer) -> bytes:
    buf = io.BytesIO()
    write_package(buf, header(), [], signer=signer)
    return buf.getvalue()


def test_signed_package_verifies_and_names_the_signer(signer):
    pkg = read_package(io.BytesIO(_signed_package(signer)))
    assert pkg.signature.present and pkg.signature.valid
    assert "Văn thư UBND tỉnh Tây Ninh" in pkg.signature.signer_subject
    assert pkg.signature.algorithm.endswith("rsa-sha256")
    assert pkg.warnings == []


def test_signature_sits_in_the_header_with_an_empty_reference_uri(signer):
    data = _signed_package(signer)
    root = etree.fromstring(data)
    ns = {"e": "http://www.mic.gov.vn/TBT/QCVN_102_2016", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    header_el = root.find("e:edXMLEnvelope/e:edXMLHeader", ns)
    assert etree.QName(header_el[-1]).localname == "Signature"
    assert header_el.find("ds:Signature/ds:SignedInfo/ds:Reference", ns).get("URI") == ""


def test_tampered_header_is_invalid_but_still_read(signer):
    data = _signed_package(signer).replace("Sở Thông tin".encode(), "Sở Thong tin".encode(), 1)
    pkg = read_package(io.BytesIO(data))
    assert pkg.signature.present and pkg.signature.valid is False
    assert any(w.code == "EDXML_SIGNATURE" for w in pkg.warnings)


def test_rsa_sha1_signatures_are_read(key_and_cert):
    # Older systems still sign with RSA-SHA1; signxml refuses to *make* those, so the
    # test unlocks it, while the reader accepts them for verification.
    from signxml import XMLSigner

    class Sha1Signer(XMLSigner):
        def check_deprecated_methods(self):
            pass

    key, cert = key_and_cert
    el = Sha1Signer(signature_algorithm="rsa-sha1", digest_algorithm="sha1", c14n_algorithm=EXC_C14N).sign(
        build_header(header()), key=key, cert=cert.public_bytes(serialization.Encoding.PEM).decode()
    )
    info = verify_header(etree.fromstring(etree.tostring(el)))
    assert info.valid is True and info.algorithm.endswith("rsa-sha1")


def test_unsigned_package_has_no_signature():
    buf = io.BytesIO()
    write_package(buf, header(), [])
    pkg = read_package(io.BytesIO(buf.getvalue()))
    assert pkg.signature.present is False and pkg.signature.valid is None


def test_each_signer_is_named_by_its_own_certificate_read_once_per_certificate(signer):
    """The certificate of a KeyInfo is read once per text (vpdt.edxml.signature._certificate): two
    signers keep their own names, a broken certificate stays "no usable certificate" after good
    ones, and the same signer's packages all verify."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from vpdt.edxml import XmlSigner
    from vpdt.edxml.signature import _certificate

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư Sở Tài chính")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    other = XmlSigner(key=key, cert=cert)
    _certificate.cache_clear()
    for _ in range(3):
        for who, expected in ((signer, "Văn thư UBND tỉnh Tây Ninh"), (other, "Văn thư Sở Tài chính")):
            pkg = read_package(io.BytesIO(_signed_package(who)))
            assert pkg.signature.valid and expected in pkg.signature.signer_subject
    assert _certificate.cache_info().misses == 2 and _certificate.cache_info().hits == 4

    broken = re.sub(rb"(<(?:ds:)?X509Certificate>)[A-Za-z0-9+/]{8}", rb"\1!!!!!!!!", _signed_package(other), count=1)
    pkg = read_package(io.BytesIO(broken))
    assert pkg.signature.present and pkg.signature.valid is False
    assert "no usable X509Certificate" in (pkg.signature.detail or "")

"""The XML signature of a package: enveloped XML-DSig over the edXMLHeader, via signxml.

Real packages carry a ``Signature`` as the last child of ``edXMLHeader`` with
``Reference URI=""`` and the enveloped-signature transform. We read that as: the signed
document is the edXMLHeader taken as a document of its own (the header is small, so
signxml may hold it in memory; attachments are never part of it). We sign with
RSA-SHA256 and exclusive canonicalisation (independent of the ancestors' namespace
declarations) and verify RSA-SHA256 and RSA-SHA1.

Verification checks the signature against the certificate the package carries; whether
that certificate is trusted is the receiving agency's policy, not a format question. A
signature that does not verify is reported (valid=False and a warning), never raised.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from .model import DSIG_NS, SignatureInfo

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


@dataclass
class XmlSigner:
    """A private key and its certificate (PEM bytes/str, paths or cryptography objects)."""

    key: Any
    cert: Any
    passphrase: bytes | None = None
    signature_algorithm: str = "rsa-sha256"
    digest_algorithm: str = "sha256"

    @classmethod
    def from_files(cls, key_path: str, cert_path: str, passphrase: bytes | None = None) -> XmlSigner:
        with open(key_path, "rb") as f:
            key = f.read()
        with open(cert_path, "rb") as f:
            cert = f.read()
        return cls(key=key, cert=cert, passphrase=passphrase)

    def _key(self):
        if isinstance(self.key, bytes | str):
            data = self.key.encode() if isinstance(self.key, str) else self.key
            return serialization.load_pem_private_key(data, password=self.passphrase)
        return self.key

    def _cert_pem(self) -> str:
        if isinstance(self.cert, x509.Certificate):
            return self.cert.public_bytes(serialization.Encoding.PEM).decode()
        return self.cert.decode() if isinstance(self.cert, bytes) else self.cert

    def sign(self, header: etree._Element) -> etree._Element:
        """The header with a Signature appended as its last child (enveloped)."""
        from signxml import XMLSigner

        signer = XMLSigner(
            signature_algorithm=self.signature_algorithm,
            digest_algorithm=self.digest_algorithm,
            c14n_algorithm=EXC_C14N,
        )
        # The certificate as an object (read once per signer): signxml then neither re-reads
        # the PEM nor re-wraps it to check it (a third of its work for a status's header).
        certificate, subject = self._read_certificate()
        signed = signer.sign(header, key=self._key(), cert=[certificate])
        _name_the_subject(_find_signature(signed), subject)
        return signed

    def _read_certificate(self) -> tuple[x509.Certificate, str]:
        """The certificate and its subject (RFC 4514), read from `cert` at the first signature."""
        read = self.__dict__.get("_read")
        if read is None or read[0] is not self.cert:
            cert = self.cert if isinstance(self.cert, x509.Certificate) else \
                x509.load_pem_x509_certificate(self._cert_pem().encode())
            read = self.__dict__["_read"] = (self.cert, cert, cert.subject.rfc4514_string())
        return read[1], read[2]


def _name_the_subject(sig, subject: str) -> None:
    """Add X509SubjectName (RFC 4514, as Java's X500Principal writes it) before the certificate
    in KeyInfo/X509Data: signxml writes only the certificate, and the official edXML parser
    reports the signer from X509SubjectName. KeyInfo is outside SignedInfo: the signature holds."""
    if sig is None:
        return
    ns = DSIG_NS
    for data in sig.iter(f"{{{ns}}}X509Data"):
        name = data.find(f"{{{ns}}}X509SubjectName")
        if name is None:
            name = etree.Element(f"{{{ns}}}X509SubjectName")
            data.insert(0, name)
        name.text = subject
        return


def _local(el) -> str:
    return etree.QName(el).localname


def _find_signature(header):
    for child in header:
        if isinstance(child.tag, str) and _local(child) == "Signature":
            return child
    return None


def _subject_from(sig) -> tuple[str | None, x509.Certificate | None]:
    """Subject of the certificate in KeyInfo (or the X509SubjectName when it does not parse)."""
    cert = None
    subject = None
    for el in sig.iter():
        if not isinstance(el.tag, str):
            continue
        name = _local(el)
        if name == "X509Certificate" and cert is None and el.text:
            cert, cert_subject = _certificate("".join(el.text.split()))
            if cert is not None:
                subject = cert_subject
        elif name == "X509SubjectName" and subject is None and el.text:
            subject = el.text.strip()
    return subject, cert


@functools.lru_cache(maxsize=512)
def _certificate(text: str) -> tuple[x509.Certificate | None, str | None]:
    """The certificate of a KeyInfo's base64 text and its subject, or (None, None).

    Read once per text: a system signs every package with the same certificate, so a hub or
    an e-office reads the same few again and again (decoding and naming one was a quarter of
    checking a header's signature). The certificate object is immutable; only the text, an
    exact key, selects it."""
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except Exception:  # noqa: BLE001 - placeholder certificates are common
        return None, None
    return cert, cert.subject.rfc4514_string()


def _algorithm(sig) -> str | None:
    for el in sig.iter():
        if isinstance(el.tag, str) and _local(el) == "SignatureMethod":
            return el.get("Algorithm")
    return None


@functools.cache
def _expected():
    """What a header's signature must be: one reference (the header itself), an X.509
    certificate, RSA with SHA-1 (older systems) or SHA-2. Made once: signxml's configuration
    is immutable."""
    from signxml import SignatureConfiguration, SignatureMethod
    from signxml.algorithms import DigestAlgorithm

    return SignatureConfiguration(
        require_x509=True,
        location="./",
        expect_references=1,
        signature_methods=frozenset(
            {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
        ),
        digest_algorithms=frozenset(
            {DigestAlgorithm.SHA1, DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
        ),
    )


def verify_header(header: etree._Element) -> SignatureInfo:
    """Checks the Signature inside an edXMLHeader that is the root of its own tree."""
    from signxml import XMLVerifier

    sig = _find_signature(header)
    if sig is None:
        return SignatureInfo(present=False, valid=None)
    subject, cert = _subject_from(sig)
    info = SignatureInfo(present=True, valid=False, signer_subject=subject, algorithm=_algorithm(sig))
    if etree.QName(sig).namespace != DSIG_NS:
        info.detail = f"Signature element is in namespace {etree.QName(sig).namespace!r}, not XML-DSig"
        return info
    if cert is None:
        info.detail = "no usable X509Certificate in KeyInfo"
        return info
    config = _expected()
    try:
        XMLVerifier().verify(header, x509_cert=cert, expect_config=config)
    except Exception as exc:  # noqa: BLE001 - any failure means "does not verify"
        info.detail = f"{type(exc).__name__}: {exc}"
        return info
    info.valid = True
    return info

"""Where signing keys live: PKCS#12 files, PKCS#11 tokens and remote signing services.

Each kind is a `Signer`: it names its holder (`subject`) and hands pyHanko a signer object.
`seal_secret`/`open_secret` protect PKCS#12 files and other secrets at rest (the database
stores only the sealed form, vpdt.core.sealed); `encrypt_pkcs12`/`decrypt_pkcs12` do the
same under a secret given by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from typing import Protocol, runtime_checkable

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .errors import SigningError


@runtime_checkable
class Signer(Protocol):
    subject: str

    def pyhanko_signer(self) -> signers.Signer: ...


def _subject(cert: asn1_x509.Certificate) -> str:
    return cert.subject.human_friendly


class _Container:
    """The DER of one key's PAdES CMS container, built once by pyHanko, with the place of the two
    parts a signature changes: the document's digest (in the signed attributes) and the signature
    value. Everything else (certificates, signer identifier, algorithms, the signing certificate's
    ESS attribute) is the same in every signature this key makes for one digest algorithm."""

    def __init__(self, container: bytes, attrs: bytes, marker: bytes, signature: bytes):
        self.container, self.attrs = container, attrs
        self.digest_len, self.signature_len = len(marker), len(signature)
        self.attrs_at = _only(attrs, marker)
        self.digest_at = _only(container, marker)
        self.signature_at = _only(container, signature)
        if None in (self.attrs_at, self.digest_at, self.signature_at) or self.digest_at > self.signature_at:
            raise ValueError("the container's parts are not where a signature's parts can be replaced")

    def signed_attrs(self, digest: bytes) -> bytes:
        at = self.attrs_at
        return self.attrs[:at] + digest + self.attrs[at + self.digest_len:]

    def with_parts(self, digest: bytes, signature: bytes) -> bytes:
        d, s = self.digest_at, self.signature_at
        return b"".join((self.container[:d], digest, self.container[d + self.digest_len:s], signature,
                         self.container[s + self.signature_len:]))


def _only(data: bytes, part: bytes) -> int | None:
    at = data.find(part)
    return at if at >= 0 and data.find(part, at + 1) < 0 else None


class _PreparedContainer:
    """A PAdES signature's CMS container without rebuilding it each time (a mixin before one of
    pyHanko's signers: a software key's, a PKCS#11 token's).

    pyHanko builds the container with asn1crypto, which re-encodes the certificates and the signer's
    name at every signature: ~18 ms for an RSA-2048 key with its chain, where the RSA operation
    takes 0.3 ms (docs/BENCHMARKS.md, "Signing"). For the e-office's signatures (PAdES B-B: no
    timestamp, no extra signed attributes, no attribute certificates) only the document's digest and
    the signature value differ between two signatures of one key, so pyHanko's own container is
    built once per certificate and digest algorithm and those two parts are put in its place. The
    bytes are those pyHanko would write (`tests/signing/test_keys.py` compares them). Anything else (a timestamp,
    CAdES attributes, a dry run, a signature of another length) goes through pyHanko as before.
    """

    _containers: dict

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run=False, use_pades=False,
                         timestamper=None, signed_attr_settings=None, is_pdf_sig=True, encap_content_info=None):
        plain = (use_pades and is_pdf_sig and not dry_run and timestamper is None and encap_content_info is None
                 and not self.attribute_certs and self.signed_attr_prov_spec is None
                 and self.unsigned_attr_prov_spec is None
                 and (signed_attr_settings is None or (signed_attr_settings.cades_signed_attrs is None
                                                       and getattr(signed_attr_settings, "adobe_revinfo_attr", None) is None)))
        container = await self._container(digest_algorithm.lower(), len(data_digest)) if plain else None
        if container is None:
            return await super().async_sign(
                data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades, timestamper=timestamper,
                signed_attr_settings=signed_attr_settings, is_pdf_sig=is_pdf_sig, encap_content_info=encap_content_info)
        signature = await self.async_sign_raw(container.signed_attrs(data_digest), digest_algorithm.lower())
        if len(signature) != container.signature_len:  # not for RSA; an ECDSA value's length varies
            return await super().async_sign(data_digest, digest_algorithm, use_pades=True,
                                            signed_attr_settings=signed_attr_settings)
        return cms.ContentInfo.load(container.with_parts(data_digest, signature))

    async def _container(self, digest_algorithm: str, digest_len: int) -> _Container | None:
        containers = self.__dict__.setdefault("_containers", {})
        key = (digest_algorithm, digest_len)
        if key not in containers:
            # Shared by every signer of the same certificates: the e-office opens a stored key
            # for each signature, and a container costs a whole pyHanko signature to build.
            identity = self._identity(digest_algorithm, digest_len)
            container = _CONTAINERS.get(identity, _UNBUILT)
            if container is _UNBUILT:
                container = await self._build(digest_algorithm, digest_len)
                with _CONTAINERS_LOCK:
                    while len(_CONTAINERS) >= _CONTAINERS_KEPT:
                        _CONTAINERS.pop(next(iter(_CONTAINERS)))
                    _CONTAINERS[identity] = container
            containers[key] = container
        return containers[key]

    def _identity(self, digest_algorithm: str, digest_len: int) -> bytes:
        """What the container depends on: the algorithms, the signer's certificate and the others
        it carries (a certificate names one public key, so one private key signs under it)."""
        parts = [digest_algorithm.encode(), b"%d" % digest_len, b"%d" % bool(self.embed_roots),
                 self.get_signature_mechanism_for_digest(digest_algorithm).dump(), self.signing_cert.dump(),
                 *sorted(cert.dump() for cert in (self.cert_registry or ()))]
        digest = hashlib.sha256()
        for part in parts:
            digest.update(b"%d:" % len(part) + part)
        return digest.digest()

    async def _build(self, digest_algorithm: str, digest_len: int) -> _Container | None:
        marker = os.urandom(digest_len)
        built = await super().async_sign(marker, digest_algorithm, use_pades=True)
        signer_info = built["content"]["signer_infos"][0]
        in_container = signer_info["signed_attrs"].dump()
        if in_container[:1] != b"\xa0":
            return None  # not the [0] IMPLICIT SET OF of RFC 5652: never expected; pyHanko then
        # What is signed is the same attributes as a SET OF (RFC 5652 §5.4): the tag alone differs.
        try:
            return _Container(built.dump(), b"\x31" + in_container[1:], marker, signer_info["signature"].native)
        except ValueError:
            return None


_CONTAINERS: dict[bytes, _Container | None] = {}
_CONTAINERS_KEPT = 1024  # ~3 KB each (an RSA-2048 key's container with its chain)
_CONTAINERS_LOCK = threading.Lock()
_UNBUILT = object()  # a container that could not be prepared is kept as None: pyHanko signs whole


_PREPARED: dict[type, type] = {}


def _prepared(signer_class: type) -> type:
    """`signer_class` with its PAdES containers prepared once (`_PreparedContainer`)."""
    if signer_class not in _PREPARED:
        _PREPARED[signer_class] = type(f"Prepared{signer_class.__name__}", (_PreparedContainer, signer_class), {})
    return _PREPARED[signer_class]


class _CachedKeySigner(_PreparedContainer, signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key at every signature, and cryptography
    checks an RSA key's consistency on each parse (~0.1 s for 2048 bits): keep it parsed."""

    def __init__(self, base: signers.SimpleSigner, pyca_key):
        super().__init__(
            signing_cert=base.signing_cert, signing_key=base.signing_key, cert_registry=base.cert_registry,
            signature_mechanism=base._signature_mechanism,
        )
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko.sign.general import get_pyca_cryptography_hash

        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._pyca_key, rsa.RSAPrivateKey):
            return self._pyca_key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._pyca_key, ec.EllipticCurvePrivateKey):
            return self._pyca_key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


class SoftwareKey:
    """A key and its chain from a PKCS#12 file, held in memory."""

    def __init__(self, signer: signers.SimpleSigner):
        self._signer = signer
        self.subject = _subject(signer.signing_cert)

    @classmethod
    def from_pkcs12(cls, data: bytes, password: str) -> SoftwareKey:
        # One parse: decrypting a PKCS#12 (its key derivation) and checking its RSA key are most
        # of the cost of opening a key, so the asn1 objects pyHanko needs are translated from
        # cryptography's. A stored key is opened by vpdt.signing.stored_keys (its ready form).
        from .stored_keys import load_pkcs12

        return cls.from_opened(*load_pkcs12(data, password))

    @classmethod
    def from_opened(cls, pyca_key, pyca_cert, pyca_others=()) -> SoftwareKey:
        """A key, its certificate and the other certificates of its chain, as cryptography opened them."""
        from pyhanko.keys.internal import (
            translate_pyca_cryptography_cert_to_asn1,
            translate_pyca_cryptography_key_to_asn1,
        )

        registry = SimpleCertificateStore()
        registry.register_multiple({translate_pyca_cryptography_cert_to_asn1(c) for c in pyca_others})
        base = signers.SimpleSigner(signing_key=translate_pyca_cryptography_key_to_asn1(pyca_key),
                                    signing_cert=translate_pyca_cryptography_cert_to_asn1(pyca_cert),
                                    cert_registry=registry)
        return cls(_CachedKeySigner(base, pyca_key))

    @classmethod
    def from_file(cls, path, password: str) -> SoftwareKey:
        with open(path, "rb") as fh:
            return cls.from_pkcs12(fh.read(), password)

    @property
    def certificate(self) -> asn1_x509.Certificate:
        return self._signer.signing_cert

    def pyhanko_signer(self) -> signers.Signer:
        return self._signer


class Pkcs11Key:
    """A key on a PKCS#11 token (USB token, HSM, SoftHSM2 in tests).

    The session opens at construction and stays open for repeated signing; `close()` it (or use
    the object as a context manager) when done.
    """

    def __init__(
        self, lib: str, token_label: str, key_label: str, pin: str, cert_label: str | None = None, *, ca_chain=()
    ):
        self._ca_chain = list(ca_chain)  # intermediates not stored on the token (asn1crypto certs)
        self.lib, self.token_label, self.key_label = lib, token_label, key_label
        self.cert_label = cert_label or key_label
        self._pin = pin
        self._session = None
        self._signer = None
        self.subject = ""
        self._open()

    def _open(self) -> None:
        from pkcs11 import exceptions as p11_exc
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11 as pyhanko_pkcs11

        try:
            self._session = pyhanko_pkcs11.open_pkcs11_session(
                self.lib, token_criteria=TokenCriteria(label=self.token_label), user_pin=self._pin
            )
        except p11_exc.PinIncorrect as exc:
            raise SigningError("KEY_BAD_PIN", "Sai mã PIN của thiết bị ký số (token).", str(exc)) from exc
        except (OSError, RuntimeError, p11_exc.PKCS11Error) as exc:
            raise SigningError(
                "TOKEN_UNAVAILABLE",
                "Không kết nối được thiết bị ký số (token): kiểm tra token đã cắm và đúng tên.",
                f"lib={self.lib} token={self.token_label}: {type(exc).__name__} {exc}",
            ) from exc
        try:
            self._signer = _prepared(pyhanko_pkcs11.PKCS11Signer)(
                self._session, cert_label=self.cert_label, key_label=self.key_label,
                # Tokens usually hold the issuing chain too: embed every certificate found.
                other_certs_to_pull=None, ca_chain=self._ca_chain or None,
            )
            self.subject = _subject(self._signer.signing_cert)
        except Exception as exc:
            self.close()
            raise SigningError(
                "KEY_NOT_FOUND",
                "Không tìm thấy khóa ký hoặc chứng thư số trên thiết bị ký số.",
                f"token={self.token_label} key={self.key_label} cert={self.cert_label}: {exc}",
            ) from exc

    def pyhanko_signer(self) -> signers.Signer:
        return self._signer

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _RemotePyhankoSigner(signers.Signer):
    def __init__(self, remote: RemoteSigner, cert, chain):
        super().__init__(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs(chain))
        self._remote = remote

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run:
            return bytes(self.signing_cert.public_key.byte_size + 16)
        return self._remote.sign_raw(data, digest_algorithm)


class RemoteSigner:
    """A signing service reached over HTTP (the services agencies buy).

    Protocol: `GET {url}/certificate?key_id=` returns the PEM chain (signer first);
    `POST {url}/sign` with JSON `{key_id, digest_algorithm, data_to_sign_b64}` returns
    `{signature_b64}`, the raw signature over the data hashed with that algorithm.
    The API key travels in the `Authorization: Bearer` header.
    """

    def __init__(self, url: str, key_id: str, api_key: str, timeout: float = 30.0):
        import httpx

        self.url, self.key_id = url.rstrip("/"), key_id
        self._client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {api_key}"})
        try:
            resp = self._client.get(f"{self.url}/certificate", params={"key_id": key_id})
        except httpx.HTTPError as exc:
            raise SigningError("REMOTE_UNAVAILABLE", "Không kết nối được dịch vụ ký số từ xa.", f"{url}: {exc}") from exc
        self._check(resp)
        from pyhanko.keys import load_certs_from_pemder_data

        chain = list(load_certs_from_pemder_data(resp.content))
        if not chain:
            raise SigningError("REMOTE_BAD_RESPONSE", "Dịch vụ ký số từ xa không trả về chứng thư số.", f"{url} key_id={key_id}")
        self._signer = _RemotePyhankoSigner(self, chain[0], chain[1:])
        self.subject = _subject(chain[0])

    def _check(self, resp) -> None:
        if resp.status_code in (401, 403):
            raise SigningError("REMOTE_UNAUTHORIZED", "Dịch vụ ký số từ xa từ chối: khóa truy cập không hợp lệ.", f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise SigningError(
                "REMOTE_BAD_RESPONSE", "Dịch vụ ký số từ xa báo lỗi.", f"HTTP {resp.status_code}: {resp.text[:200]}"
            )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        import httpx

        body = {"key_id": self.key_id, "digest_algorithm": digest_algorithm,
                "data_to_sign_b64": base64.b64encode(data).decode()}
        try:
            resp = self._client.post(f"{self.url}/sign", json=body)
        except httpx.HTTPError as exc:
            raise SigningError("REMOTE_UNAVAILABLE", "Không kết nối được dịch vụ ký số từ xa.", str(exc)) from exc
        self._check(resp)
        try:
            return base64.b64decode(resp.json()["signature_b64"])
        except (ValueError, KeyError) as exc:
            raise SigningError("REMOTE_BAD_RESPONSE", "Dịch vụ ký số từ xa trả lời không đúng định dạng.", str(exc)) from exc

    def pyhanko_signer(self) -> signers.Signer:
        return self._signer

    def close(self) -> None:
        self._client.close()


# At-rest protection (seal_secret, open_secret, encrypt_pkcs12, decrypt_pkcs12, sealer) lives in
# vpdt.signing.sealing, which imports no pyHanko: what every process loads at start stays small.
from .sealing import decrypt_pkcs12, encrypt_pkcs12, open_secret, seal_secret, sealer  # noqa: E402,F401

"""Where signing keys live: PKCS#12 files, PKCS#11 tokens and remote signing services.

Each kind is a `Signer`: it names its holder (`subject`) and hands pyHanko a signer object.
`seal_secret`/`open_secret` protect PKCS#12 files and other secrets at rest (the database
stores only the sealed form, vpdt.core.sealed); `encrypt_pkcs12`/`decrypt_pkcs12` do the
same under a secret given by the caller.
"""

from __future__ import annotations

import base64
from typing import Protocol, runtime_checkable

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


class _CachedKeySigner(signers.SimpleSigner):
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
            self._signer = pyhanko_pkcs11.PKCS11Signer(
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

"""Keys: PKCS#12 with passwords, at-rest encryption, and the remote signing seam."""

from __future__ import annotations

import io

import pytest

from vpdt.signing import keys, pdf
from vpdt.signing.errors import SigningError

from .conftest import FakeSigningService


def test_wrong_pkcs12_password_is_a_clear_error(demo_ca):
    with pytest.raises(SigningError) as err:
        keys.SoftwareKey.from_pkcs12(demo_ca.people["an"].read_bytes(), "sai mật khẩu")
    assert err.value.code == "KEY_BAD_PASSWORD"
    assert "mật khẩu" in err.value.message


def test_pkcs12_encrypted_at_rest_round_trips_only_with_the_same_secret(demo_ca):
    data = demo_ca.people["an"].read_bytes()
    token = keys.encrypt_pkcs12(data, b"secret-of-the-deployment")
    assert data not in token
    assert keys.decrypt_pkcs12(token, b"secret-of-the-deployment") == data
    with pytest.raises(SigningError) as err:
        keys.decrypt_pkcs12(token, b"another secret")
    assert err.value.code == "KEY_DECRYPT_FAILED"


def test_software_key_is_a_signer(person_key):
    assert isinstance(person_key, keys.Signer)
    assert "Nguyễn Văn An" in person_key.subject


def test_remote_signer_signs_through_the_local_fake_service(signing_service, letter_pdf, demo_ca):
    remote = keys.RemoteSigner(signing_service.url, "an-01", FakeSigningService.API_KEY)
    assert "Nguyễn Văn An" in remote.subject
    out = io.BytesIO()
    pdf.sign_pdf(letter_pdf, out, remote, field_name="Remote")
    remote.close()
    assert len(signing_service.calls) == 1 and signing_service.calls[0]["key_id"] == "an-01"
    [report] = pdf.verify_pdf(io.BytesIO(out.getvalue()), trust_roots=[demo_ca.root_cert])
    assert report.summary == "valid"


def test_remote_signer_with_a_wrong_api_key_is_refused(signing_service):
    with pytest.raises(SigningError) as err:
        keys.RemoteSigner(signing_service.url, "an-01", "wrong")
    assert err.value.code == "REMOTE_UNAUTHORIZED"


def test_remote_signer_unreachable_is_a_clear_error():
    with pytest.raises(SigningError) as err:
        keys.RemoteSigner("http://127.0.0.1:9", "x", "y", timeout=2)
    assert err.value.code == "REMOTE_UNAVAILABLE"


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_the_prepared_container_is_byte_for_byte_the_one_pyhanko_builds(person_key, algorithm):
    """The CMS container of a PAdES signature is pyHanko's, built once per key and digest
    algorithm, with each signature's digest and value put in (RSA PKCS#1 v1.5 is deterministic:
    the same digest gives the same bytes)."""
    import asyncio
    import datetime
    import hashlib

    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    signer = person_key.pyhanko_signer()
    # as pyHanko's PdfSigner asks: the signing time given (PAdES keeps it out of the CMS: the /M entry)
    settings = PdfCMSSignedAttributes(signing_time=datetime.datetime.now(datetime.UTC))
    for text in (b"one", b"two", b"three"):
        digest = hashlib.new(algorithm, text).digest()
        ours = asyncio.run(signer.async_sign(digest, algorithm, use_pades=True, signed_attr_settings=settings))
        theirs = asyncio.run(signers.SimpleSigner.async_sign(signer, digest, algorithm, use_pades=True,
                                                             signed_attr_settings=settings))
        assert ours.dump() == theirs.dump()
        assert ours["content"]["signer_infos"][0]["signed_attrs"][1]["values"][0].native == digest
    assert (algorithm, hashlib.new(algorithm).digest_size) in signer._containers


def test_a_signature_with_other_signed_attributes_is_built_by_pyhanko(person_key):
    import asyncio
    import hashlib

    from pyhanko.sign.ades.api import CAdESSignedAttrSpec, GenericCommitment
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    settings = PdfCMSSignedAttributes(
        cades_signed_attrs=CAdESSignedAttrSpec(commitment_type=GenericCommitment.PROOF_OF_APPROVAL.asn1))
    signed = asyncio.run(person_key.pyhanko_signer().async_sign(
        hashlib.sha256(b"x").digest(), "sha256", use_pades=True, signed_attr_settings=settings))
    types = [a["type"].native for a in signed["content"]["signer_infos"][0]["signed_attrs"]]
    assert "commitment_type" in types


def test_keys_of_one_certificate_share_a_container_and_another_certificate_has_its_own(demo_ca, letter_pdf):
    """The e-office opens a stored key for each signature: its container is built once per process."""
    keys._CONTAINERS.clear()
    first, second = (keys.SoftwareKey.from_pkcs12(demo_ca.people["an"].read_bytes(), demo_ca.password) for _ in "12")
    other = keys.SoftwareKey.from_pkcs12(demo_ca.people["binh"].read_bytes(), demo_ca.password)
    for key in (first, second, other):
        pdf.sign_pdf(letter_pdf, io.BytesIO(), key, field_name="S")
    assert len(keys._CONTAINERS) == 2
    assert first.pyhanko_signer()._containers == second.pyhanko_signer()._containers
    assert first.pyhanko_signer()._containers != other.pyhanko_signer()._containers

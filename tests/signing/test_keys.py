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

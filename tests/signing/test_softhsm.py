"""Signing through a PKCS#11 token (SoftHSM2 stands in for the USB tokens of the government CA)."""

from __future__ import annotations

import io

import pytest

from vpdt.signing import keys, pdf
from vpdt.signing.errors import SigningError

pytestmark = pytest.mark.softhsm


def test_sign_and_verify_through_softhsm(softhsm_token, letter_pdf, demo_ca, signature_image):
    with softhsm_token.key() as key:
        assert softhsm_token.subject_cn in key.subject
        out = io.BytesIO()
        pdf.sign_as_signer(letter_pdf, out, key, signer_name="Nguyễn Văn An", title="PHÓ CHỦ TỊCH",
                           image=signature_image, field_name="Token")
    [report] = pdf.verify_pdf(io.BytesIO(out.getvalue()), trust_roots=[demo_ca.root_cert], crls=demo_ca.crl_paths)
    assert report.summary == "valid"
    assert report.trusted and report.revocation_checked
    assert softhsm_token.subject_cn in report.signer_subject


def test_a_token_signs_in_the_prepared_container_pyhanko_would_build(softhsm_token, letter_pdf, demo_ca):
    import asyncio
    import hashlib

    from pyhanko.sign.pkcs11 import PKCS11Signer

    with softhsm_token.key() as key:
        signer = key.pyhanko_signer()
        for text in (b"one", b"two"):
            digest = hashlib.sha256(text).digest()
            ours = asyncio.run(signer.async_sign(digest, "sha256", use_pades=True))
            theirs = asyncio.run(PKCS11Signer.async_sign(signer, digest, "sha256", use_pades=True))
            assert ours.dump() == theirs.dump()
        assert signer._containers
        out = io.BytesIO()
        pdf.sign_pdf(letter_pdf, out, key, field_name="Token2")
    [report] = pdf.verify_pdf(io.BytesIO(out.getvalue()), trust_roots=[demo_ca.root_cert], crls=demo_ca.crl_paths)
    assert report.summary == "valid"


def test_wrong_pin_is_a_clear_error(softhsm_token):
    with pytest.raises(SigningError) as err:
        keys.Pkcs11Key(softhsm_token.lib, softhsm_token.token_label, softhsm_token.key_label, "000000")
    assert err.value.code == "KEY_BAD_PIN"


def test_unknown_token_is_a_clear_error(softhsm_token):
    with pytest.raises(SigningError) as err:
        keys.Pkcs11Key(softhsm_token.lib, "no-such-token", "signer", softhsm_token.pin)
    assert err.value.code == "TOKEN_UNAVAILABLE"

"""`vpdt pdf sign|verify` and `vpdt pki demo-ca`: exit codes and JSON."""

from __future__ import annotations

import json

import pytest

from vpdt.cli import main
from vpdt.signing import images, pki

from .conftest import AGENCY


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def signed(tmp_path, letter_pdf, demo_ca, capsys):
    out = tmp_path / "signed.pdf"
    png = tmp_path / "sig.png"
    png.write_bytes(images.signature_png("Nguyễn Văn An"))
    code, stdout, err = _run(capsys, "pdf", "sign", letter_pdf, out, "--key", demo_ca.people["an"],
                             "--password", demo_ca.password, "--image", png, "--field-box", "360,240,500,320",
                             "--page", "-1", "--field-name", "Leader")
    assert code == 0, err
    assert json.loads(stdout)["field_name"] == "Leader"
    return out


def test_verify_valid_and_trusted_exits_0_with_one_entry_per_signature(signed, demo_ca, capsys):
    code, out, _ = _run(capsys, "pdf", "verify", signed, "--trust", demo_ca.root_pem, "--crl", demo_ca.crl_path,
                        "--crl", demo_ca.root_crl_path)
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"] == "valid" and doc["file"] == str(signed)
    [sig] = doc["signatures"]
    assert sig["field_name"] == "Leader" and sig["intact"] and sig["trusted"] and sig["covers_whole_document"]
    assert sig["revocation_checked"] and sig["summary"] == "valid" and sig["message_vi"]
    assert sig["signing_time"].endswith("+07:00")
    assert "Nguyễn Văn An" in sig["signer_subject"]


def test_verify_untrusted_exits_1(signed, capsys, monkeypatch):
    monkeypatch.delenv("VPDT_TRUST_ROOTS", raising=False)
    code, out, _ = _run(capsys, "pdf", "verify", signed)
    assert code == 1
    assert json.loads(out)["signatures"][0]["summary"] == "valid_untrusted"


def test_trust_roots_default_to_the_bundle_in_vpdt_trust_roots(signed, demo_ca, capsys, monkeypatch):
    monkeypatch.setenv("VPDT_TRUST_ROOTS", str(demo_ca.chain_pem))
    code, out, _ = _run(capsys, "pdf", "verify", signed)
    assert code == 0 and json.loads(out)["summary"] == "valid"


def test_verify_unsigned_exits_1(letter_pdf, capsys):
    code, out, _ = _run(capsys, "pdf", "verify", letter_pdf)
    assert code == 1
    assert json.loads(out) | {"file": None} == {"file": None, "summary": "unsigned",
                                                 "message_vi": json.loads(out)["message_vi"], "signatures": []}


def test_verify_unreadable_input_exits_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "x.pdf"
    bad.write_text("hello")
    code, out, err = _run(capsys, "pdf", "verify", bad)
    assert code == 2 and out == "" and "PDF" in err
    code, _, err = _run(capsys, "pdf", "verify", tmp_path / "missing.pdf")
    assert code == 2 and "missing.pdf" in err


def test_sign_with_a_password_from_the_environment_and_a_wrong_one(tmp_path, letter_pdf, demo_ca, capsys, monkeypatch):
    monkeypatch.setenv("P12_PASS", demo_ca.password)
    code, _, err = _run(capsys, "pdf", "sign", letter_pdf, tmp_path / "a.pdf", "--key", demo_ca.agencies[AGENCY],
                        "--password-env", "P12_PASS")
    assert code == 0, err
    code, _, err = _run(capsys, "pdf", "sign", letter_pdf, tmp_path / "b.pdf", "--key", demo_ca.agencies[AGENCY],
                        "--password", "wrong")
    assert code == 1 and "mật khẩu" in err
    assert not (tmp_path / "b.pdf").exists()


@pytest.mark.softhsm
def test_sign_with_a_pkcs11_token(tmp_path, letter_pdf, softhsm_token, demo_ca, capsys):
    out = tmp_path / "t.pdf"
    code, _, err = _run(capsys, "pdf", "sign", letter_pdf, out, "--pkcs11-lib", softhsm_token.lib,
                        "--token-label", softhsm_token.token_label, "--key-label", softhsm_token.key_label,
                        "--pin", softhsm_token.pin)
    assert code == 0, err
    code, stdout, _ = _run(capsys, "pdf", "verify", out, "--trust", demo_ca.root_pem)
    assert code == 0 and softhsm_token.subject_cn in json.loads(stdout)["signatures"][0]["signer_subject"]


def test_pki_demo_ca_writes_keys_for_people_and_agencies(tmp_path, capsys):
    code, out, _ = _run(capsys, "pki", "demo-ca", tmp_path / "ca", "--people", "lan:Lê Thị Lan",
                        "--agencies", "000.00.00.H02:Sở Nội vụ")
    assert code == 0
    doc = json.loads(out)
    assert set(doc["people"]) == {"lan", pki.EXPIRED_USER, pki.REVOKED_USER}
    assert set(doc["agencies"]) == {"000.00.00.H02"}
    for path in [doc["root"], doc["trust_bundle"], *doc["crls"], *doc["people"].values()]:
        assert (tmp_path / "ca").joinpath(path).exists()

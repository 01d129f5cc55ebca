"""`vpdt edxml ...` as operators and checks use it."""

from __future__ import annotations

import json

from vpdt.edxml.cli import main

from .conftest import FIXTURES

SHOW_KEYS = {
    "kind", "from", "to", "document_id", "code", "promulgation", "document_type", "subject", "signer", "due_date",
    "priority", "steering_type", "to_places", "response_for", "business", "status", "signature", "warnings",
    "attachments",
}


def test_validate_passes_every_fixture_and_prints_warnings(capsys):
    assert main(["edxml", "validate", *map(str, sorted(FIXTURES.glob("*.edxml")))]) == 0
    assert "28.22.H17" in capsys.readouterr().err


def test_validate_strict_fails_with_one_line_per_bad_file(capsys, tmp_path):
    bad = tmp_path / "bad.edxml"
    bad.write_bytes(b"<edXML xmlns='http://www.mic.gov.vn/TBT/QCVN_102_2016'><a>")
    rc = main(["edxml", "validate", "--strict", str(FIXTURES / "edoc_new.edxml"), str(bad), str(FIXTURES / "edoc_update.edxml")])
    assert rc == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{FIXTURES / 'edoc_new.edxml'}: EDXML_ORGAN_ID: Mã định danh đơn vị không theo QCVN 102:2016 hay QĐ 20/2020/QĐ-TTg "
        "(/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganId)",
        f"{bad}: EDXML_TRUNCATED: Gói tin bị cắt cụt, chưa kết thúc (/edXML/a)",
    ]


def test_show_prints_the_schema_of_the_issue(capsys):
    assert main(["edxml", "show", str(FIXTURES / "edoc_revocation.edxml")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == SHOW_KEYS
    assert out["kind"] == "document"
    assert out["document_id"] == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert out["business"] == {"doc_type": 1, "reason": "Thu hồi văn bản điện tử", "replaced": []}
    assert out["promulgation"] == {"place": "Hà Nội", "date": "2018-09-28"}
    assert out["status"] is None
    assert out["signature"] == {"present": True, "valid": False, "signer_subject": "CN=user05"}
    (att,) = out["attachments"]
    assert set(att) == {"content_id", "name", "content_type", "size", "sha256", "zip_entries"}
    assert att["zip_entries"][0]["size"] == 388347


def test_show_status(capsys):
    assert main(["edxml", "show", str(FIXTURES / "status_acceptance_03.edxml")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "status" and out["code"] is None and out["attachments"] is None
    assert out["status"]["code"] == "03"
    assert out["status"]["description"].startswith("Văn thư cơ")
    assert out["status"]["timestamp"] == "2015-09-20T11:08:36"
    assert out["status"]["staff"]["mobile"] == "84912000001"
    assert out["response_for"][0]["promulgation_date"] == "2015-09-30"


def test_build_extract_and_status_from_the_command_line(tmp_path, capsys, key_and_cert):
    from cryptography.hazmat.primitives import serialization

    key, cert = key_and_cert
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    spec = {
        "from": {"organ_id": "000.00.00.H53", "organ_name": "UBND tỉnh Tây Ninh"},
        "to": [{"organ_id": "000.00.13.H53"}, {"organ_id": "000.00.38.H53"}],
        "code": {"number": "45", "notation": "UBND-VP"},
        "promulgation": {"place": "Tây Ninh", "date": "2025-07-01"},
        "document_type": {"type": 1, "type_detail": 0, "type_name": "Công văn"},
        "subject": "V/v sắp xếp đơn vị hành chính",
        "priority": 2,
        "business": {"doc_type": 3, "replaced": ["000.00.00.H53,2025/06/01,40/UBND-VP"]},
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "Công văn 45.pdf").write_bytes(b"%PDF-1.7 test")
    out = tmp_path / "out.edxml"
    rc = main(["edxml", "build", str(tmp_path / "spec.json"), "--attach", str(tmp_path / "Công văn 45.pdf"), "--zip",
               "--sign-key", str(tmp_path / "k.pem"), "--sign-cert", str(tmp_path / "c.pem"), "-o", str(out)])
    assert rc == 0
    capsys.readouterr()
    assert main(["edxml", "show", str(out)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["document_id"] == "000.00.00.H53,2025/07/01,45/UBND-VP"
    assert shown["business"]["replaced"] == ["000.00.00.H53,2025/06/01,40/UBND-VP"]
    assert shown["signature"]["valid"] is True and shown["priority"] == 2
    assert main(["edxml", "extract", str(out), str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "Công văn 45.pdf").read_bytes() == b"%PDF-1.7 test"
    st = tmp_path / "st.edxml"
    assert main(["edxml", "status", "--from", "000.00.13.H53", "--document-id", shown["document_id"], "--code", "03",
                 "--description", "Đã tiếp nhận", "--staff", "Trần Thị B", "-o", str(st)]) == 0
    capsys.readouterr()
    assert main(["edxml", "show", str(st)]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["status"]["code"] == "03" and s["response_for"][0]["code"] == "45/UBND-VP"
    assert s["response_for"][0]["promulgation_date"] == "2025-07-01"

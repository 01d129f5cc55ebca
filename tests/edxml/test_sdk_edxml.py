"""What the official SDK's peers read from packages vpdt writes: the signer's X509SubjectName,
codes of both schemes under --strict, and `build --zip` leaving a .zip file as it is."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
from lxml import etree

from vpdt.edxml import code_scheme, read_package, validate_organ_id, validate_qd20_code, write_package
from vpdt.edxml.cli import main

from .factories import header

DS = {"ds": "http://www.w3.org/2000/09/xmldsig#"}


def test_the_signature_names_its_subject_and_still_verifies(signer):
    buf = io.BytesIO()
    write_package(buf, header(), [], signer=signer)
    root = etree.fromstring(buf.getvalue())
    (name,) = root.iterfind(".//ds:KeyInfo/ds:X509Data/ds:X509SubjectName", DS)
    assert "Văn thư UBND tỉnh Tây Ninh" in name.text
    assert name.getnext() is not None and etree.QName(name.getnext()).localname == "X509Certificate"
    pkg = read_package(io.BytesIO(buf.getvalue()))
    assert pkg.signature.valid and pkg.signature.signer_subject == name.text


@pytest.mark.parametrize("code, scheme", [
    ("000.00.13.H53", "qcvn102"), ("000.00.00.G22", "qcvn102"),
    ("H53", "qd20"), ("H53.13", "qd20"), ("H53.38.30", "qd20"), ("G22.01.02.001", "qd20"),
    ("vxp.saas.03", None), ("28.22.H17", None), ("h53.13", None), ("H53.1", None), ("", None),
])
def test_both_code_patterns(code, scheme):
    assert code_scheme(code) == scheme
    assert validate_organ_id(code) == (scheme == "qcvn102")
    assert validate_qd20_code(code) == (scheme == "qd20")


def _spec(tmp_path, from_code: str, to_code: str):
    spec = {"from": {"organ_id": from_code, "organ_name": "UBND tỉnh Tây Ninh"},
            "to": [{"organ_id": to_code, "organ_name": "Sở TT&TT"}],
            "code": {"number": "12", "notation": "UBND-VP"},
            "promulgation": {"place": "Tây Ninh", "date": "2026-03-14"},
            "document_type": {"type": 1, "type_name": "Công văn"},
            "subject": "Thử mã định danh"}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return path


def test_strict_validation_knows_both_patterns(tmp_path, capsys):
    good = tmp_path / "qd20.edxml"
    assert main(["edxml", "build", str(_spec(tmp_path, "H53", "H53.13")), "-o", str(good)]) == 0
    bad = tmp_path / "saas.edxml"
    assert main(["edxml", "build", str(_spec(tmp_path, "H53", "vxp.saas.03")), "-o", str(bad)]) == 0
    capsys.readouterr()
    assert main(["edxml", "validate", "--strict", str(good)]) == 0
    assert main(["edxml", "validate", "--strict", str(bad)]) == 1
    assert "QĐ 20/2020" in capsys.readouterr().out
    assert main(["edxml", "validate", str(bad)]) == 0  # a warning without --strict


def test_build_zip_leaves_a_zip_file_as_it_is(tmp_path):
    inner = tmp_path / "ho-so.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("van-ban.txt", "nội dung")
    text = tmp_path / "to-trinh.txt"
    text.write_text("tờ trình", encoding="utf-8")
    out = tmp_path / "out.edxml"
    assert main(["edxml", "build", str(_spec(tmp_path, "000.00.00.H53", "000.00.13.H53")), "--zip",
                 "--attach", str(inner), str(text), "-o", str(out)]) == 0
    root = etree.fromstring(out.read_bytes())
    encoded = {a.findtext("{*}AttachmentName"): a.findtext("{*}ContentTransferEncoded")
               for a in root.iter("{*}Attachment")}
    assert set(encoded) == {"ho-so.zip", "to-trinh.txt"}
    # the zip travels as it is: its bytes are the file's own; the text file is wrapped once
    assert base64.b64decode(encoded["ho-so.zip"]) == inner.read_bytes()
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded["to-trinh.txt"]))) as z:
        assert z.namelist() == ["to-trinh.txt"] and z.read("to-trinh.txt") == text.read_bytes()
    extracted = tmp_path / "x"
    assert main(["edxml", "extract", str(out), str(extracted)]) == 0
    assert (extracted / "to-trinh.txt").read_bytes() == text.read_bytes()


def test_a_status_written_without_description_carries_its_name(tmp_path):
    out = tmp_path / "st.edxml"
    assert main(["edxml", "status", "--from", "000.00.13.H53", "--to", "000.00.00.H53", "--document-id",
                 "000.00.00.H53,2026/03/14,12/UBND-VP", "--code", "05", "-o", str(out)]) == 0
    assert read_package(str(out)).description == "Đang xử lý"

"""What the OFFICIAL edXML parser (EdXML102 0.0.3) reads from packages vpdt writes: the
signer's X509SubjectName, a status's Description and StaffInfo, a QĐ 20 code, and a `.zip`
attachment handed over as it is (not a wrapper around it).

Needs java/javac and the SDK's jars (VPDT_SDK_LIB, see tests/hub/test_sdk_harness.py);
skipped LOUDLY otherwise.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile

import pytest

from vpdt.edxml import (
    AttachmentSource,
    Organization,
    ResponseFor,
    StaffInfo,
    StatusPackage,
    write_package,
    write_status,
)

from .factories import header

pytestmark = pytest.mark.slow
HARNESS = os.environ.get("VPDT_SDK_HARNESS", "/work/shared/tools/vxp-harness")


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    lib = os.environ.get("VPDT_SDK_LIB", "")
    reason = None
    if not shutil.which("java") or not shutil.which("javac"):
        reason = "java/javac not on the PATH"
    elif not lib or not glob.glob(os.path.join(lib, "EdXML102-*.jar")):
        reason = f"no EdXML102-*.jar in VPDT_SDK_LIB={lib!r}"
    elif not os.path.isfile(os.path.join(HARNESS, "OfficialParse.java")):
        reason = f"no OfficialParse.java in {HARNESS}"
    if reason:
        banner = "!" * 78
        print(f"\n{banner}\n!! OFFICIAL EDXML PARSER TESTS SKIPPED: {reason}\n{banner}")
        pytest.skip(f"OFFICIAL EDXML PARSER TESTS SKIPPED: {reason}")
    build = tmp_path_factory.mktemp("official")
    cp = os.pathsep.join(j for j in glob.glob(os.path.join(lib, "*.jar")) if "SDKVXP-2.0.0" not in j)
    out = subprocess.run(["javac", "-encoding", "UTF-8", "--release", "8", "-nowarn", "-cp", cp, "-d", str(build),
                          os.path.join(HARNESS, "OfficialParse.java")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    scratch = tmp_path_factory.mktemp("official-scratch")

    def parse(path) -> dict:
        run = subprocess.run(["java", f"-Djava.io.tmpdir={scratch}", "-cp", os.pathsep.join([str(build), cp]),
                              "OfficialParse", "auto", str(path)], capture_output=True, text=True, timeout=120)
        (line,) = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        result = json.loads(line)
        assert result["ok"], result
        return result

    return parse


def test_the_official_parser_reads_the_signer_a_qd20_code_and_a_zip_as_it_is(official, signer, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("van-ban.txt", "nội dung " * 100)
    path = tmp_path / "doc.edxml"
    write_package(path, header(to=[Organization("H53.13", organ_name="Sở TT&TT")]),
                  [AttachmentSource("ho-so.zip", inner.getvalue())], zip_attachments=True, signer=signer)
    text = json.dumps(official(path), ensure_ascii=False)
    assert '"x509SubjectName": "' in text and "Văn thư UBND tỉnh Tây Ninh" in text.split('"x509SubjectName"')[1][:200]
    assert '"organId": "H53.13"' in text
    parsed = json.loads(text)
    (att,) = parsed["attachments"]
    assert att["content"]["sha256"] == hashlib.sha256(inner.getvalue()).hexdigest()  # not a wrapper


def test_the_official_parser_reads_a_status_description_and_staff(official, signer, tmp_path):
    status = StatusPackage(
        from_=Organization("000.00.13.H53", organ_name="Sở TT&TT Tây Ninh"), status_code="05",
        to=[Organization("000.00.00.H53")],
        response_for=[ResponseFor(organ_id="000.00.00.H53", code="123/UBND-VP",
                                  document_id="000.00.00.H53,2025/03/14,123/UBND-VP",
                                  promulgation_date=dt.date(2025, 3, 14))],
        staff=StaffInfo(department="Văn thư", staff="Văn thư Sở TT&TT Tây Ninh", email="stt@tayninh.gov.vn"),
        description="Đang xử lý", timestamp=dt.datetime(2025, 3, 15, 8, 0))
    path = tmp_path / "status.edxml"
    write_status(path, status, signer=signer)
    message = official(path)["header"]["messageHeader"]
    assert message["description"] == "Đang xử lý"
    assert message["staffInfo"]["staff"] == "Văn thư Sở TT&TT Tây Ninh"
    assert message["staffInfo"]["department"] == "Văn thư"

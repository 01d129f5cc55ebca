"""`vpdt import xlsx`, `vpdt import edxml` and `vpdt import bundle`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests import factories
from tests.migration.helpers import HEADER, rows, write_mapping
from vpdt.cli import main
from vpdt.core import legacy_text
from vpdt.migration.models import LegacyRecord
from vpdt.records.models import Attachment, Document

pytestmark = pytest.mark.django_db
FIXTURES = Path("/work/shared/fixtures/edxml")
REPO_FIXTURES = Path(__file__).resolve().parents[1] / "edxml" / "fixtures"


@pytest.fixture
def agency(db):
    factories.agency(code="000.00.00.A80", abbreviation="UBND", name="UBND xã Hòa Tiến")
    return factories.agency(code="000.00.05.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")


def _run(tmp_path, *argv):
    return main(["import", *argv, "--agency", "000.00.05.H90", "--report", str(tmp_path / "r.csv"), "--no-progress"])


def _rejected(tmp_path) -> dict:
    import csv

    return {r["Mã bản ghi cũ"] or r["Vị trí"]: r for r in csv.DictReader(
        (tmp_path / "r-tu-choi.csv").open(encoding="utf-8-sig"))}


@pytest.mark.backends
def test_xlsx_streams_rows_dates_and_legacy_font_text(tmp_path, agency, blob_dir):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("VanBan")
    ws.append(HEADER)
    body = rows(4)
    body[0][4] = dt.datetime(2019, 3, 5)  # a real date cell
    for r in body:
        ws.append(r)
    # Text typed in a .VnTime font: TCVN3 bytes shown as Latin-1 letters in the cell.
    tcvn = legacy_text.from_unicode("Báo cáo tình hình", "tcvn3").decode("latin-1")
    ws.append(["DI-00099", "chung", "VBDI", "99/SKHCN-VP", "06/03/2019", tcvn, "CV", "", "", "", "", "", ""])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    code = _run(tmp_path, "xlsx", str(path), "--mapping", str(write_mapping(
        tmp_path / "m.json", sheet="VanBan", encoding="tcvn3")))
    assert code == 0, _rejected(tmp_path)
    assert Document.objects.count() == 5
    assert Document.objects.get(legacy_record__legacy_id="DI-00001").issued_date == dt.date(2019, 3, 5)
    assert Document.objects.get(legacy_record__legacy_id="DI-00099").subject == "Báo cáo tình hình"
    # Again: nothing changes.
    assert _run(tmp_path, "xlsx", str(path), "--mapping", str(tmp_path / "m.json")) == 0
    assert Document.objects.count() == 5


def test_xlsx_unknown_sheet_is_a_clear_error(tmp_path, agency, capsys):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER)
    wb.save(tmp_path / "x.xlsx")
    assert _run(tmp_path, "xlsx", str(tmp_path / "x.xlsx"), "--mapping",
                str(write_mapping(tmp_path / "m.json", sheet="Khác"))) == 2
    assert "Không có trang tính «Khác»" in capsys.readouterr().err


@pytest.mark.backends
def test_edxml_folder_of_real_packages(tmp_path, agency, blob_dir):
    folder = tmp_path / "kho"
    (folder / "2015").mkdir(parents=True)
    for p in FIXTURES.glob("*.edxml"):
        shutil.copy(p, folder / "2015" / p.name)
    (folder / "bomb.edxml").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&b;</edXML>', encoding="utf-8")
    code = _run(tmp_path, "edxml", str(folder))
    assert code == 1  # status packages, the hostile one and later packages of the same document
    doc = Document.objects.get()
    assert doc.direction == "incoming" and doc.issuer_code == "000.00.00.A80"
    assert doc.edxml_document_id == doc.legacy_record.legacy_id
    assert doc.incoming_register.closed and doc.incoming_register.series == "ls.chung"
    assert doc.attachments.count() >= 1
    rejected = _rejected(tmp_path)
    assert any(r["Mã lỗi"] == "IMPORT_EDXML_STATUS" for r in rejected.values())
    assert any("bomb.edxml" in r["Vị trí"] and r["Mã lỗi"].startswith("IMPORT_EDXML_") for r in rejected.values())
    assert any(r["Mã lỗi"] == "IMPORT_DUPLICATE_ID" for r in rejected.values())
    before = (Document.objects.count(), Attachment.objects.count(), LegacyRecord.objects.count())
    _run(tmp_path, "edxml", str(folder))
    assert (Document.objects.count(), Attachment.objects.count(), LegacyRecord.objects.count()) == before


def _bundle(tmp_path, lines: list) -> Path:
    folder = tmp_path / "goi"
    (folder / "files").mkdir(parents=True)
    pdf = factories.pdf_bytes("goi du lieu")
    (folder / "files" / "1.pdf").write_bytes(pdf)
    header = {"bundle": {"version": 1, "source": "vic-kg", "vendor": "VIC"}}
    body = [json.dumps(x, ensure_ascii=False) if not isinstance(x, str) else x for x in [header, *lines]]
    (folder / "bundle.jsonl").write_text("\n".join(body) + "\n", encoding="utf-8")
    return folder


@pytest.mark.backends
def test_bundle_validates_each_line_and_imports(tmp_path, agency, blob_dir):
    pdf_sha = hashlib.sha256(factories.pdf_bytes("goi du lieu")).hexdigest()
    folder = _bundle(tmp_path, [
        {"legacy_id": "A-1", "direction": "outgoing", "number": 5, "notation": "SKHCN-VP", "issued_date": "2018-12-31",
         "subject": "Kế hoạch năm 2019", "document_type": "KH",
         "files": [{"path": "files/1.pdf", "name": "KH-5.pdf", "sha256": pdf_sha}]},
        {"legacy_id": "A-2", "direction": "incoming", "number": 7, "notation": "UBND-VP", "issued_date": "2019-01-02",
         "subject": "Về việc nghỉ Tết", "issuer": {"code": "000.00.00.A80"}, "incoming_number": 1,
         "received_at": "2019-01-03T09:00+07:00", "state": "completed"},
        {"legacy_id": "A-3", "direction": "sideways", "subject": "Sai chiều"},
        {"legacy_id": "A-4", "direction": "outgoing", "subject": "Thừa trường", "colour": "red"},
        "{not json",
        {"legacy_id": "A-5", "direction": "outgoing", "subject": "Ra ngoài", "issued_date": "2019-01-01",
         "files": [{"path": "../../etc/passwd"}]},
    ])
    assert main(["import", "bundle", str(folder), "--agency", "000.00.05.H90", "--dry-run", "--no-progress",
                 "--report", str(tmp_path / "r.csv")]) == 1
    assert Document.objects.count() == 0
    assert _run(tmp_path, "bundle", str(folder)) == 1
    assert Document.objects.count() == 2
    out = Document.objects.get(legacy_record__legacy_id="A-1")
    assert (out.register.year, out.number, out.document_type.code) == (2018, 5, "KH")
    assert out.attachments.get().name == "KH-5.pdf"
    inc = Document.objects.get(legacy_record__legacy_id="A-2")
    assert inc.issuer_name == "UBND xã Hòa Tiến" and inc.incoming_register.year == 2019
    rejected = _rejected(tmp_path)
    assert "«direction»" in rejected["A-3"]["Lý do"] and "sideways" in rejected["A-3"]["Lý do"]
    assert "mục không được biết «colour»" in rejected["A-4"]["Lý do"]
    assert rejected["dòng 6"]["Mã lỗi"] == "IMPORT_BAD_JSON"
    assert rejected["A-5"]["Mã lỗi"] == "IMPORT_FILE_OUTSIDE"


def test_bundle_header_is_checked_first(tmp_path, agency, capsys):
    folder = _bundle(tmp_path, [])
    (folder / "bundle.jsonl").write_text('{"bundle": {"version": 2}}\n', encoding="utf-8")
    assert _run(tmp_path, "bundle", str(folder)) == 2
    err = capsys.readouterr().err
    assert "thiếu mục «source»" in err


def test_bundle_schema_in_docs_is_the_one_used():
    docs = Path(__file__).resolve().parents[2] / "docs" / "import-bundle.schema.json"
    from vpdt.migration.validation import SCHEMAS, problems

    assert docs.read_bytes() == (SCHEMAS / "bundle.schema.json").read_bytes()
    schema = json.loads(docs.read_text(encoding="utf-8"))
    for example in schema["examples"]:
        assert problems("bundle", example) == []

"""`vpdt import csv`: encodings, idempotent reruns, dry runs, reasons in Vietnamese."""

from __future__ import annotations

import csv

import pytest

from tests import factories
from tests.migration.helpers import rows, write_csv, write_mapping
from vpdt.cli import main
from vpdt.core.models import AuditEntry
from vpdt.migration.models import LegacyRecord
from vpdt.records.models import Document, Register

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(db):
    factories.agency(code="000.00.05.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    return factories.agency(code="000.00.00.H90", abbreviation="UBND", name="UBND tỉnh Bình Sơn")


def _import(tmp_path, csv_path, mapping_path, *extra, agency_code="000.00.05.H90"):
    report = tmp_path / "report.csv"
    code = main(["import", "csv", str(csv_path), "--mapping", str(mapping_path), "--agency", agency_code,
                 "--report", str(report), "--no-progress", *extra])
    return code, report


def _tables():
    docs = sorted(Document.objects.values_list("legacy_record__legacy_id", "direction", "number", "notation",
                                               "subject", "issued_date", "issuer_code", "issuer_name",
                                               "incoming_number", "state", "urgency"))
    regs = sorted(Register.objects.values_list("direction", "series", "year", "closed", "last_number"))
    return docs, regs, LegacyRecord.objects.count(), AuditEntry.objects.count()


@pytest.mark.backends
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "tcvn3", "vni", "cp1258", "nfd"])
def test_each_encoding_imports_nfc_text(tmp_path, agency, blob_dir, encoding):
    path = write_csv(tmp_path / "export.csv", rows(6), encoding)
    declared = {"tcvn3": "tcvn3", "vni": "vni", "cp1258": "cp1258"}.get(encoding, "auto")
    mapping = write_mapping(tmp_path / "m.json", encoding=declared)
    code, _report = _import(tmp_path, path, mapping)
    assert code == 0
    assert Document.objects.count() == 6
    out = Document.objects.get(legacy_record__legacy_id="DI-00001")
    assert out.subject == "Về việc chuyển đổi số đợt 1"
    assert out.signer_name == "Nguyễn Văn An"
    assert (out.number, out.notation, out.direction, out.state) == (1, "SKHCN-VP", "outgoing", "released")
    incoming = Document.objects.get(legacy_record__legacy_id="DEN-00002")
    assert incoming.issuer_name == "UBND tỉnh Bình Sơn" and incoming.issuer_code == "000.00.00.H90"
    assert incoming.incoming_register.closed and incoming.incoming_register.series == "ls.chung"
    assert incoming.incoming_number == 2 and incoming.document_type.code == "QD"
    import unicodedata

    assert all(unicodedata.is_normalized("NFC", s) for s in Document.objects.values_list("subject", flat=True))


def test_tcvn3_is_detected_without_declaring_it(tmp_path, agency, blob_dir):
    path = write_csv(tmp_path / "export.csv", rows(20), "tcvn3")
    code, _ = _import(tmp_path, path, write_mapping(tmp_path / "m.json"))
    assert code == 0
    assert Document.objects.get(legacy_record__legacy_id="DEN-00002").subject == "Quyết định phê duyệt kế hoạch số 2"


@pytest.mark.backends
def test_second_run_changes_nothing(tmp_path, agency, blob_dir):
    path = write_csv(tmp_path / "export.csv", rows(10), "utf-8")
    mapping = write_mapping(tmp_path / "m.json")
    assert _import(tmp_path, path, mapping)[0] == 0
    before = _tables()
    code, report = _import(tmp_path, path, mapping)
    assert code == 0
    assert _tables() == before
    with report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.DictReader(fh))
    assert sum(int(r["Bỏ qua (đã có)"]) for r in lines if r["Năm"]) == 10
    # A delta: two more rows in the next export, the old ones untouched.
    write_csv(path, rows(12), "utf-8")
    assert _import(tmp_path, path, mapping)[0] == 0
    assert Document.objects.count() == 12


@pytest.mark.backends
def test_dry_run_writes_nothing(tmp_path, agency, blob_dir):
    path = write_csv(tmp_path / "export.csv", rows(8) + [["X-1", "chung", "VBDI", "5/X", "31/02/2019", "Sai ngày",
                                                             "CV", "", "", "", "", "", ""]], "utf-8")
    before = _tables()
    code, report = _import(tmp_path, path, write_mapping(tmp_path / "m.json"), "--dry-run")
    assert code == 1  # one row rejected
    assert _tables() == before
    assert not [p for p in blob_dir.rglob("*") if p.is_file()]
    lines = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert sorted(r["Đã nhập"] for r in lines) == ["0 (thử)", "4 (thử)", "4 (thử)"]
    rejected = report.with_name("report-tu-choi.csv").read_text(encoding="utf-8-sig")
    assert "X-1" in rejected and "không phải ngày có thật" in rejected


def test_bad_rows_get_vietnamese_reasons(tmp_path, agency, blob_dir):
    body = rows(2) + [
        ["B-1", "chung", "VBDI", "7/X", "03/04/19", "Năm hai chữ số", "CV", "", "", "", "", "", ""],
        ["B-2", "chung", "VBDI", "8/X", "13/25/2019", "Ngày sai", "CV", "", "", "", "", "", ""],
        ["B-3", "chung", "VBDI", "9/X", "12/25/2019", "Đảo ngày tháng", "CV", "", "", "", "", "", ""],
        ["B-4", "chung", "VBDI", "10/X", "01/02/2019", "Loại lạ", "ZZ", "", "", "", "", "", ""],
        ["B-5", "chung", "VBDI", "11/X", "01/02/2019", "", "CV", "", "", "", "", "", ""],
        ["B-6", "chung", "VBDI", "1/SKHCN-VP", "02/02/2019", "Trùng số 1 năm 2019", "CV", "", "", "", "", "", ""],
        ["DI-00001", "chung", "VBDI", "12/X", "01/02/2019", "Trùng mã", "CV", "", "", "", "", "", ""],
        ["B-7", "chung", "VBDI", "13/X", "01/02/2019", "Tệp thiếu", "CV", "", "", "", "", "", "khong-co.pdf"],
    ]
    path = write_csv(tmp_path / "export.csv", body, "utf-8")
    files = tmp_path / "files"
    files.mkdir()
    code, report = _import(tmp_path, path, write_mapping(tmp_path / "m.json"), "--files", str(files))
    assert code == 1
    assert Document.objects.count() == 2
    rejected = {r["Mã bản ghi cũ"]: r for r in csv.DictReader(
        report.with_name("report-tu-choi.csv").open(encoding="utf-8-sig"))}
    assert "năm phải đủ 4 chữ số" in rejected["B-1"]["Lý do"]
    assert rejected["B-2"]["Mã lỗi"] == "IMPORT_BAD_DATE"
    assert "đảo ngày và tháng" in rejected["B-3"]["Lý do"]
    assert "Loại văn bản «ZZ» không có trong danh mục" in rejected["B-4"]["Lý do"]
    assert rejected["B-5"]["Lý do"] == "Trích yếu để trống."
    assert "Trùng số 01" in rejected["B-6"]["Lý do"] and "không đánh lại số" in rejected["B-6"]["Lý do"]
    assert rejected["DI-00001"]["Mã lỗi"] == "IMPORT_DUPLICATE_ID"
    assert "Không thấy tệp «khong-co.pdf»" in rejected["B-7"]["Lý do"]


def test_bad_mapping_is_refused_before_anything(tmp_path, agency, blob_dir, capsys):
    path = write_csv(tmp_path / "export.csv", rows(2), "utf-8")
    bad = write_mapping(tmp_path / "m.json", columns={"Mã": "legacy_id", "Trích yếu": "subjekt"})
    code, _ = _import(tmp_path, path, bad)
    assert code == 2
    err = capsys.readouterr().err
    assert "Tệp ánh xạ không hợp lệ" in err and "«columns.Trích yếu»" in err and "subjekt" in err
    missing = write_mapping(tmp_path / "m2.json", columns={"Mã": "legacy_id", "Trích yếu gốc": "subject"})
    assert _import(tmp_path, path, missing)[0] == 2
    assert "cột không có trong tệp dữ liệu: «Trích yếu gốc»" in capsys.readouterr().err
    enc = write_mapping(tmp_path / "m3.json", encoding="koi8")
    assert _import(tmp_path, path, enc)[0] == 2
    assert "Bảng mã «koi8» không được hỗ trợ" in capsys.readouterr().err
    assert Document.objects.count() == 0


@pytest.mark.backends
def test_unmatched_issuer_is_reported_not_invented(tmp_path, agency, blob_dir, capsys):
    from vpdt.directory.models import Agency

    agencies = Agency.objects.count()
    path = write_csv(tmp_path / "export.csv", rows(4, issuer="Sở Du lịch tỉnh Khác"), "utf-8")
    code, report = _import(tmp_path, path, write_mapping(tmp_path / "m.json"))
    assert code == 0
    assert Agency.objects.count() == agencies
    doc = Document.objects.get(legacy_record__legacy_id="DEN-00002")
    assert (doc.issuer_code, doc.issuer_name) == ("", "Sở Du lịch tỉnh Khác")
    assert "Sở Du lịch tỉnh Khác (2 văn bản)" in capsys.readouterr().out
    assert "Cơ quan ban hành không có trong danh bạ" in report.read_text(encoding="utf-8-sig")


def test_issuer_matched_by_folded_name_and_files_stored_once(tmp_path, agency, blob_dir,
                                                             django_capture_on_commit_callbacks):
    files = tmp_path / "files"
    files.mkdir()
    pdf = factories.pdf_bytes("van ban cu")
    (files / "a.pdf").write_bytes(pdf)
    (files / "b.pdf").write_bytes(pdf)
    body = rows(2, issuer="ubnd tinh binh son")
    body[0][-1] = "a.pdf"
    body[1][-1] = "a.pdf; b.pdf"
    path = write_csv(tmp_path / "export.csv", body, "utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        assert _import(tmp_path, path, write_mapping(tmp_path / "m.json"), "--files", str(files))[0] == 0
    doc = Document.objects.get(legacy_record__legacy_id="DEN-00002")
    assert doc.issuer_code == "000.00.00.H90"
    from vpdt.core.models import Blob
    from vpdt.records.models import Attachment

    assert Attachment.objects.count() == 3
    assert Blob.objects.count() == 1
    assert Attachment.objects.filter(file_kind="pdf").count() == 3
    # each imported file waits for its text (the bulk path sends no signals: the import queues it)
    from vpdt.search.models import FileText

    assert FileText.objects.filter(state=FileText.State.PENDING).count() == 3


def test_one_audit_entry_per_batch(tmp_path, agency, blob_dir):
    path = write_csv(tmp_path / "export.csv", rows(25), "utf-8")
    before = AuditEntry.objects.count()
    report = tmp_path / "r.csv"
    assert main(["import", "csv", str(path), "--mapping", str(write_mapping(tmp_path / "m.json")), "--agency",
                 "000.00.05.H90", "--report", str(report), "--no-progress", "--batch", "10"]) == 0
    entries = AuditEntry.objects.filter(action="document.import_batch").order_by("seq")
    assert AuditEntry.objects.count() - before == 3 == entries.count()
    assert [e.detail["documents"] for e in entries] == [10, 10, 5]
    assert entries[0].actor_name.startswith("Nhập dữ liệu") and entries[0].via == "system"

"""`vpdt --lang en import …`: the reasons, the summary and the CSV report in English.

The codes (IMPORT_…) stay as they are; with the default language (Vietnamese) every reason is
word for word what it was before the import spoke English; the registers the import makes keep
their Vietnamese names whatever the language (they are the agency's data).
"""

from __future__ import annotations

import csv
import json
import re

import pytest
from django.utils import translation

from tests import factories
from tests.migration.helpers import rows, write_csv, write_mapping
from vpdt import cli
from vpdt.migration import sources
from vpdt.migration.engine import Importer
from vpdt.migration.normalize import Normalizer, Row
from vpdt.records.models import Register

pytestmark = pytest.mark.django_db

VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE)


@pytest.fixture
def agency(db):
    factories.agency(code="000.00.00.H90", abbreviation="UBND", name="UBND tỉnh Bình Sơn")
    return factories.agency(code="000.00.05.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")


@pytest.fixture
def language(monkeypatch):
    """The language a test activates (directly or through `vpdt --lang`) is undone after it:
    the thread's active language, and the one `main()` leaves for later `setup_django()` calls."""
    monkeypatch.setattr(cli, "_language", cli._language)
    yield
    translation.deactivate()


def _record(legacy_id="A-1", **values) -> dict:
    return {"legacy_id": legacy_id, "direction": "outgoing", "code": "5/SKHCN-VP", "issued_date": "02/03/2019",
            "subject": "Về việc chuyển đổi số", "document_type": "CV", **values}


def _import(agency, *rows_: Row):
    """(code, reason) of each rejected row, the rows read and normalised by the import's own
    reading thread (the language must follow the run there)."""
    report = Importer(agency, "vic-test", Normalizer(agency), dry_run=True).run(list(rows_))
    return [(r[4], r[5]) for r in report.rejections], report


def _bad_date(agency, tmp_path):
    return _import(agency, Row(_record(issued_date="31/02/2019"), "dòng 2"))[0][0]


def _two_digit_year(agency, tmp_path):
    return _import(agency, Row(_record(issued_date="03/04/19"), "dòng 2"))[0][0]


def _swapped_date(agency, tmp_path):
    return _import(agency, Row(_record(issued_date="12/25/2019"), "dòng 2"))[0][0]


def _unknown_type(agency, tmp_path):
    return _import(agency, Row(_record(document_type="ZZ"), "dòng 2"))[0][0]


def _missing_file(agency, tmp_path):
    row = Row(_record(), "dòng 2", files=[(tmp_path / "files" / "khong-co.pdf", "khong-co.pdf", "")])
    return _import(agency, row)[0][0]


def _duplicate_id(agency, tmp_path):
    return _import(agency, Row(_record(), "dòng 2"), Row(_record(code="6/SKHCN-VP"), "dòng 3"))[0][0]


def _bundle_line(agency, tmp_path):
    folder = tmp_path / "goi"
    folder.mkdir()
    header = {"bundle": {"version": 1, "source": "vic-kg", "vendor": "VIC"}}
    record = {"legacy_id": "A-3", "direction": "sideways", "subject": "Sai chiều"}
    (folder / "bundle.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(record, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    _header, _total, found = sources.bundle_rows(folder)
    return _import(agency, *found)[0][0]


def _bad_edxml(agency, tmp_path):
    folder = tmp_path / "kho"
    folder.mkdir()
    (folder / "hong.edxml").write_text('<?xml version="1.0"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">'
                                       "<broken", encoding="utf-8")
    (tmp_path / "work").mkdir()
    _total, found = sources.edxml_rows(folder, {agency.code}, "chung", tmp_path / "work")
    rejected, report = _import(agency, *found)
    return rejected[0]


def _bad_mapping(agency, tmp_path):
    mapping = json.loads(write_mapping(tmp_path / "m.json").read_text(encoding="utf-8"))
    del mapping["source"]
    (tmp_path / "m.json").write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(sources.MappingError) as caught:
        sources.Mapping.load(tmp_path / "m.json")
    return caught.value.code, caught.value.message


# (what goes wrong, code, an English phrase of its reason, the Vietnamese reason as it always was)
CASES = [
    (_bad_date, "IMPORT_BAD_DATE", "«document date» «31/02/2019» is not a real date.",
     "«ngày văn bản» «31/02/2019» không phải ngày có thật."),
    (_two_digit_year, "IMPORT_AMBIGUOUS_DATE", "is ambiguous: the year must have 4 digits",
     "«ngày văn bản» «03/04/19»: năm phải đủ 4 chữ số (năm 2 chữ số không rõ thế kỷ)."),
    (_swapped_date, "IMPORT_AMBIGUOUS_DATE", "day and month swapped",
     "«ngày văn bản» «12/25/2019» không đúng dạng dd/mm/yyyy (có thể đã đảo ngày và tháng: 25/12/2019?)."),
    (_unknown_type, "IMPORT_UNKNOWN_TYPE", "Document type «ZZ» is not in the list of types",
     "Loại văn bản «ZZ» không có trong danh mục: thêm vào values.document_type của tệp ánh xạ."),
    (_missing_file, "IMPORT_FILE_MISSING", "File «khong-co.pdf» not found",
     "Không thấy tệp «khong-co.pdf» ({files}/khong-co.pdf)."),
    (_duplicate_id, "IMPORT_DUPLICATE_ID", "Duplicate legacy id «A-1»",
     "Mã bản ghi cũ «A-1» lặp lại trong dữ liệu nguồn (đã gặp trước đó)."),
    (_bundle_line, "IMPORT_BUNDLE_INVALID", "does not match the schema: at «direction»: value «sideways» is not valid",
     "Bản ghi không đúng lược đồ: tại «direction»: giá trị «sideways» không hợp lệ (chọn một trong: incoming, "
     "outgoing)"),
    (_bad_edxml, "IMPORT_EDXML_EDXML_TRUNCATED", "edXML package cannot be read: The package is cut short",
     "Gói edXML không đọc được: Gói tin bị cắt cụt, chưa kết thúc (EDXML_TRUNCATED)."),
    (_bad_mapping, "IMPORT_BAD_MAPPING", "The mapping file is not valid: at the root: missing «source»",
     "Tệp ánh xạ không hợp lệ: tại gốc: thiếu mục «source»."),
]


@pytest.mark.parametrize(("case", "code", "english", "vietnamese"), CASES, ids=[c[0].__name__[1:] for c in CASES])
def test_reasons_in_english_when_english_is_active(tmp_path, agency, language, case, code, english, vietnamese):
    with translation.override("en"):
        got_code, reason = case(agency, tmp_path)
    assert got_code == code
    assert english in reason
    assert not VIETNAMESE.search(reason), reason


@pytest.mark.parametrize(("case", "code", "english", "vietnamese"), CASES, ids=[c[0].__name__[1:] for c in CASES])
def test_reasons_in_vietnamese_as_before_by_default(tmp_path, agency, case, code, english, vietnamese):
    got_code, reason = case(agency, tmp_path)
    assert (got_code, reason) == (code, vietnamese.format(files=tmp_path / "files"))


@pytest.mark.parametrize(("language_", "reason"), [
    ("en", "Number 05 is already taken in the register «Sổ văn bản đi (dữ liệu cũ: chung)» of 2019: legacy "
           "documents are never renumbered."),
    ("vi", "Trùng số 05 trong Sổ văn bản đi (dữ liệu cũ: chung) năm 2019: không đánh lại số văn bản cũ."),
])
def test_a_number_taken_in_its_register(agency, blob_dir, language, language_, reason):
    """records.bulk refuses the number (its reason is Vietnamese): the import words it again."""
    with translation.override(language_):
        report = Importer(agency, "vic-test", Normalizer(agency)).run([Row(_record(), "dòng 2"),
                                                                      Row(_record("A-2"), "dòng 3")])
    assert [r[4:] for r in report.rejections] == [("IMPORT_NUMBER_TAKEN", reason)]


def test_a_row_rejected_before_its_register_is_known(tmp_path, agency, language):
    with translation.override("en"):
        rejected, report = _import(agency, Row(_record(legacy_id=""), "dòng 2"))
        _summary, rejected_csv = report.write_csv(tmp_path / "r.csv")
    assert rejected == [("IMPORT_NO_LEGACY_ID", "The legacy id (legacy_id) is missing.")]
    with rejected_csv.open(encoding="utf-8-sig") as fh:
        assert list(csv.reader(fh))[1] == ["dòng 2", "", "(unknown)", "", "IMPORT_NO_LEGACY_ID",
                                           "The legacy id (legacy_id) is missing."]


def test_the_command_line_in_english(tmp_path, agency, blob_dir, language, capsys):
    body = rows(4) + [["X-1", "chung", "VBDI", "5/X", "31/02/2019", "Sai ngày", "CV", "", "", "", "", "", ""],
                      ["X-2", "chung", "VBDI", "6/X", "01/02/2019", "Loại lạ", "ZZ", "", "", "", "", "", ""]]
    path = write_csv(tmp_path / "export.csv", body, "utf-8")
    report = tmp_path / "report.csv"
    code = cli.main(["--lang", "en", "import", "csv", str(path), "--mapping", str(write_mapping(tmp_path / "m.json")),
                     "--agency", "000.00.05.H90", "--no-progress", "--report", str(report)])
    assert code == 1
    out, err = capsys.readouterr()
    assert "IMPORT RESULT — source «vic-test»" in out
    assert "rejected 1: «document date» «31/02/2019» is not a real date." in out
    assert "Total" in out and "records/s" in out and "report:" in out
    assert "Encoding of the file: utf-8." in err
    with report.open(encoding="utf-8-sig") as fh:
        summary = list(csv.reader(fh))
    assert summary[0] == ["Register", "Year", "Read", "Imported", "Skipped (already imported)", "Rejected",
                          "Reasons for rejection"]
    with report.with_name("report-tu-choi.csv").open(encoding="utf-8-sig") as fh:
        rejected = list(csv.reader(fh))
    assert rejected[0] == ["Where", "Legacy id", "Register", "Year", "Error code", "Reason"]
    # X-1 is rejected before its register is known, X-2 in its register.
    assert rejected[1] == ["line 6", "X-1", "(unknown)", "", "IMPORT_BAD_DATE",
                           "«document date» «31/02/2019» is not a real date."]
    assert rejected[2][:5] == ["line 7", "X-2", "Sổ văn bản đi (dữ liệu cũ: chung)", "2019", "IMPORT_UNKNOWN_TYPE"]
    # The registers are the agency's data: named in Vietnamese, in the database and in the report.
    names = set(Register.objects.values_list("name", flat=True))
    assert names == {"Sổ văn bản đi (dữ liệu cũ: chung)", "Sổ văn bản đến (dữ liệu cũ: chung)"}
    assert {r[0] for r in summary[1:]} == names | {"(unknown)"}


def test_command_line_errors_in_english(tmp_path, agency, language, capsys):
    path = write_csv(tmp_path / "export.csv", rows(2), "utf-8")
    code = cli.main(["--lang", "en", "import", "csv", str(path), "--mapping", str(write_mapping(tmp_path / "m.json")),
                     "--agency", "999.99.99.X00", "--no-progress", "--report", str(tmp_path / "r.csv")])
    assert code == 2
    assert capsys.readouterr().err.strip() == "error: No agency with code «999.99.99.X00» in the directory."


def test_language_from_the_environment(monkeypatch):
    monkeypatch.setenv("VPDT_LANGUAGE", "en")
    assert cli.build_parser().parse_args(["import", "csv", "x.csv", "--mapping", "m.json"]).lang == "en"
    assert cli.build_parser().parse_args(["--lang", "vi", "import", "csv", "x.csv", "--mapping", "m.json"]).lang == "vi"
    monkeypatch.delenv("VPDT_LANGUAGE")
    assert cli.build_parser().parse_args(["import", "csv", "x.csv", "--mapping", "m.json"]).lang == "vi"


def test_every_edxml_reader_message_has_its_english():
    """The edXML reader (no Django) says what is wrong in Vietnamese; the import translates it:
    each of its messages has an English entry in the catalogue."""
    from vpdt.edxml.errors import MESSAGES

    with translation.override("en"):
        missing = [m for m in MESSAGES.values() if translation.gettext(m) == m]
        english = [translation.gettext(m) for m in MESSAGES.values()]
    assert missing == []
    assert not any(VIETNAMESE.search(e) for e in english if "QĐ-TTg" not in e)


def test_legacy_text_errors_in_english_and_in_vietnamese(tmp_path, language):
    """core.legacy_text: an unknown encoding (in a mapping file), bytes an encoding cannot read, a
    UTF-16 text without its BOM: English in an English run, Vietnamese by default, same codes."""
    from vpdt.core import legacy_text

    def errors():
        out = []
        for call in (lambda: legacy_text._canonical("klingon"),
                     lambda: legacy_text.to_unicode(b"abc\x81def", "cp1258"),
                     lambda: legacy_text.to_unicode(b"a\x00b\x00", "utf-16")):
            with pytest.raises(legacy_text.LegacyTextError) as caught:
                call()
            out.append((caught.value.code, str(caught.value.message)))
        return out

    with translation.override("en"):
        english = errors()
    vietnamese = errors()
    assert [c for c, _ in english] == [c for c, _ in vietnamese] == [
        "LEGACY_ENCODING_UNKNOWN", "LEGACY_TEXT_UNDECODABLE", "LEGACY_TEXT_NO_BOM"]
    assert english[0][1].startswith("The encoding «klingon» is not supported; choose one of: utf-8")
    assert english[1][1] == "The text cannot be read as cp1258: byte 0x81 at position 3 is not valid in this encoding."
    assert english[2][1] == "The UTF-16 text has no BOM at its start: its byte order is unknown."
    assert vietnamese[1][1] == ("Không đọc được văn bản theo bảng mã cp1258: byte 0x81 ở vị trí 3 không hợp lệ "
                                "với bảng mã này.")
    assert not any(VIETNAMESE.search(m) for _c, m in english)

"""The import writes each document's columns as values (records.bulk.document_values and
insert_values, COPY on PostgreSQL), not through Document(...) and save(): every column must come
out exactly as the model path gives it. Each imported row is compared, column by column, with a
Document built from the same normalised record the ordinary way (Document(...).save(), its
folding and its search signal) in a second agency.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.migration.helpers import rows, write_csv, write_mapping
from vpdt.cli import main
from vpdt.migration import sources
from vpdt.migration.models import LegacyRecord
from vpdt.migration.normalize import Normalizer
from vpdt.records import bulk
from vpdt.records.choices import Direction, Secrecy, Source, Urgency
from vpdt.records.models import Document
from vpdt.search.models import DocumentText

pytestmark = pytest.mark.django_db

# Columns that differ by construction: the row's own id, when it was written, and which agency
# and registers (compared by their natural key instead).
OWN = {"id", "created_at", "updated_at", "agency_id", "register_id", "incoming_register_id"}


@pytest.fixture
def agencies(db):
    factories.agency(code="000.00.00.H90", abbreviation="UBND", name="UBND tỉnh Bình Sơn")
    importing = factories.agency(code="000.00.05.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    reference = factories.agency(code="000.00.06.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    return importing, reference


def _model_path(agency, row: bulk.HistoricalDocument) -> Document:
    """The document `row` becomes through the model: Document(...) and save(), as the import did
    before it wrote values (records.bulk, up to wave/import3)."""
    register = bulk.historical_register(agency, row.direction, row.book, row.year)
    outgoing = row.direction == Direction.OUTGOING
    doc = Document(
        agency=agency, direction=row.direction, state=row.state or bulk._default_state(row.direction),
        source=Source.INTERNAL if outgoing else Source.PAPER, document_type=row.document_type,
        register=register if outgoing else None, number=row.number, notation=row.notation[:60],
        issued_date=row.issued_date, place=row.place[:100], subject=row.subject, content=row.content,
        signer_name=row.signer_name[:150], signer_position=row.signer_position[:150],
        urgency=row.urgency, secrecy=row.secrecy, page_count=row.page_count, copies=row.copies,
        recipients_text=row.recipients_text, due_date=row.due_date, note=row.note,
        issuer_code=row.issuer_code[:40], issuer_name=row.issuer_name[:255],
        incoming_register=None if outgoing else register,
        incoming_number=None if outgoing else row.incoming_number,
        received_at=row.received_at, edxml_document_id=row.edxml_document_id[:255], completed_at=row.completed_at,
    )
    doc.save()
    return doc


def _columns(pk: int) -> dict:
    doc = Document.objects.get(pk=pk)
    values = {k: v for k, v in Document.objects.filter(pk=pk).values().get().items() if k not in OWN}
    register = doc.register or doc.incoming_register
    values["register"] = (register.direction, register.series, register.year, register.closed,
                          register.agency.code == doc.agency.code)
    values["text"] = DocumentText.objects.filter(document_id=pk).values_list("text_folded", flat=True).first()
    assert doc.created_at is not None and doc.updated_at is not None
    return values


def _assert_same(imported_pk: int, reference: Document) -> None:
    got, want = _columns(imported_pk), _columns(reference.pk)
    assert got == want
    assert set(got) >= {f.attname for f in Document._meta.concrete_fields} - OWN  # every column compared


@pytest.mark.backends
def test_csv_import_writes_the_rows_the_model_path_gives(tmp_path, agencies, blob_dir):
    importing, reference = agencies
    body = rows(40) + rows(4, issuer="Văn  phòng   Chính phủ", start=41)
    body[3][5] = "  Quyết   định về  Đường  ĐIỆN tử  "  # spaces and Đ in the summary
    body[5][3] = "15/QĐ-UBND"
    path = write_csv(tmp_path / "export.csv", body, "utf-8")
    mapping = write_mapping(tmp_path / "m.json")
    assert main(["import", "csv", str(path), "--mapping", str(mapping), "--agency", importing.code,
                 "--report", str(tmp_path / "r.csv"), "--no-progress", "--batch", "7"]) == 0

    m = sources.Mapping.load(mapping)
    _enc, source_rows = sources.csv_rows(path, m, None)
    norm = Normalizer(reference, date_format="dd/mm/yyyy", values=m.raw["values"])
    compared = 0
    for source_row in source_rows:
        cand = norm.candidate(source_row)
        if cand.doc.direction == Direction.OUTGOING:  # the agency's own documents name it as issuer
            cand.doc.issuer_code, cand.doc.issuer_name = importing.code, importing.name
        ref = _model_path(reference, cand.doc)
        imported = LegacyRecord.objects.get(source="vic-test", legacy_id=cand.legacy_id).document_id
        _assert_same(imported, ref)
        compared += 1
    assert compared == 44 == Document.objects.filter(agency=importing).count()


@pytest.mark.backends
def test_every_field_of_a_record_is_written_as_the_model_would(agencies):
    importing, reference = agencies

    def records():
        long_name = "Ủy ban nhân dân tỉnh Bình Sơn " * 12
        return [
            bulk.HistoricalDocument(
                key="A-1", direction=Direction.INCOMING, book="mật", year=2019,
                document_type=factories.doc_type("QD"), subject="Quyết định\tvề  ĐẤT đai", number=12,
                notation="QĐ-UBND " * 10, issued_date=dt.date(2019, 1, 2), incoming_number=3,
                received_at=dt.datetime(2019, 1, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))),
                state="completed", urgency=Urgency.FLASH,
                secrecy=Secrecy.SECRET,
                signer_name="Nguyễn Văn Ấn " * 20, signer_position="Phó Chủ tịch", issuer_code="000.00.00.H90",
                issuer_name=long_name, recipients_text="- Như trên;\n- Lưu: VT.", due_date=dt.date(2019, 2, 1),
                note="Hồ sơ kè sông Long Điền", content="Tóm tắt: giao đất", place="Bình Sơn", page_count=4,
                copies=2, edxml_document_id="EDX-1",
                completed_at=dt.datetime(2019, 1, 9, 10, 30, tzinfo=dt.UTC)),
            bulk.HistoricalDocument(
                key="A-2", direction=Direction.OUTGOING, book="chung", year=2020,
                document_type=factories.doc_type("CV"), subject="Về việc chuyển đổi số", number=1,
                notation="SKHCN-VP", issued_date=dt.date(2020, 3, 1), signer_name="Trần Thị Bích",
                issuer_code=importing.code, issuer_name=importing.name),
            bulk.HistoricalDocument(
                key="A-3", direction=Direction.OUTGOING, book="chung", year=2020,
                document_type=factories.doc_type("CV"), subject="Không số"),
        ]

    created, rejected = bulk.import_batch(None, importing, records())
    assert rejected == [] and len(created) == 3
    for (_row, imported), row in zip(created, records(), strict=True):
        _assert_same(imported.pk, _model_path(reference, row))


@pytest.mark.backends
def test_insert_values_refuses_unknown_columns(agencies):
    importing, _reference = agencies
    with pytest.raises(TypeError, match="unknown"):
        bulk.insert_values(LegacyRecord, [{"source": "x", "legacy_id": "1", "document_id": None, "digest": "",
                                           "colour": "red"}])


def _digest_as_first_written(doc: bulk.HistoricalDocument, files) -> str:
    """normalize.digest as the first imports stored it: a rerun compares new digests with these."""
    import hashlib
    import json

    fields = {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v)
              for k, v in doc.__dict__.items() if k not in ("files", "document_type")}
    fields["document_type"] = doc.document_type.code
    fields["files"] = [(name, sha) for _p, name, sha in files]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def test_the_digest_keeps_its_form(tmp_path, agencies):
    from vpdt.migration.normalize import digest

    importing, _reference = agencies
    body = rows(30)
    body[2][-1] = "a.pdf"
    path = write_csv(tmp_path / "export.csv", body, "utf-8")
    m = sources.Mapping.load(write_mapping(tmp_path / "m.json"))
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    _enc, source_rows = sources.csv_rows(path, m, tmp_path)
    norm = Normalizer(importing, date_format="dd/mm/yyyy", values=m.raw["values"])
    seen = 0
    for source_row in source_rows:
        cand = norm.candidate(source_row)
        assert cand.digest == digest(cand.doc, cand.files) == _digest_as_first_written(cand.doc, cand.files)
        seen += 1
    rich = bulk.HistoricalDocument(
        key="A-1", direction=Direction.INCOMING, book="chung", year=2019, document_type=factories.doc_type("QD"),
        subject="Đất đai", issued_date=dt.date(2019, 1, 2), due_date=dt.date(2019, 2, 1),
        received_at=dt.datetime(2019, 1, 3, 8, tzinfo=dt.timezone(dt.timedelta(hours=7))),
        completed_at=dt.datetime(2019, 1, 9, 10, 30, tzinfo=dt.UTC), urgency=Urgency.FLASH, page_count=3)
    assert digest(rich, []) == _digest_as_first_written(rich, [])
    assert seen == 30

"""Every published real package is read, shown, round-tripped and extracted correctly."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from vpdt.edxml import (
    BUSINESS_REVOKE,
    BUSINESS_UPDATE,
    AttachmentSource,
    DirectorySink,
    DocumentPackage,
    EdxmlError,
    StatusPackage,
    read_package,
    write_package,
    write_status,
)
from vpdt.edxml.extract import extract_package

from .conftest import FIXTURES

DOC_ID = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
DOCS = ["edoc_new.edxml", "edoc_revocation.edxml", "edoc_update.edxml"]
STATUSES = {
    "status_inbox_01.edxml": ("01", "Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý"),
    "status_rejection_02.edxml": ("02", "Từ chối không tiếp nhận văn bản điện tử"),
    "status_acceptance_03.edxml": ("03", "Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị"),
    "status_assignment_04.edxml": ("04", "Lãnh đạo: Phân công xử lý"),
    "status_processing_05.edxml": ("05", "Đang xử lý văn bản đến"),
    "status_finish_06.edxml": ("06", "Văn thư: Ban hành văn bản đến, hoàn thành xử lý"),
}
ALL = DOCS + list(STATUSES)


@pytest.mark.parametrize("name", ALL)
def test_every_fixture_is_a_valid_package(name):
    pkg = read_package(FIXTURES / name)
    assert pkg.document_id == DOC_ID
    assert pkg.from_.organ_id


def test_new_document_fields():
    pkg = read_package(FIXTURES / "edoc_new.edxml")
    assert isinstance(pkg, DocumentPackage)
    h = pkg.header
    assert h.from_.organ_id == "000.00.00.A80"
    assert [t.organ_id for t in h.to] == ["28.22.H17"]
    assert h.code.notation == "VPCP-TTĐT"
    assert h.promulgation.place == "Hà Nội" and h.promulgation.date == dt.date(2019, 1, 16)
    assert (h.document_type.type, h.document_type.type_detail, h.document_type.type_name) == (1, 0, "Công văn")
    assert h.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert h.signer.competence == "TL. BO TRUONG"
    assert h.due_date == dt.date(2018, 9, 28)
    assert h.priority == 0 and h.steering_type == 1
    assert h.other_info.appendixes == ["Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"]
    assert h.to_places == ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"]
    assert pkg.business.doc_type == 0
    assert pkg.business.staff.staff == "Nguyễn Thị Ngọc Trâm"
    assert pkg.trace[0].timestamp == dt.datetime(2018, 9, 28)


def test_agency_code_outside_qcvn102_is_a_warning_and_an_error_when_strict():
    pkg = read_package(FIXTURES / "edoc_new.edxml")
    assert any(w.code == "EDXML_ORGAN_ID" and "28.22.H17" in str(w) for w in pkg.warnings)
    with pytest.raises(EdxmlError) as exc:
        read_package(FIXTURES / "edoc_new.edxml", strict=True)
    assert exc.value.code == "EDXML_ORGAN_ID"
    assert exc.value.path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganId"


def test_placeholder_signature_is_reported_not_rejected():
    pkg = read_package(FIXTURES / "edoc_new.edxml")
    assert pkg.signature.present is True
    assert pkg.signature.valid is False
    assert pkg.signature.signer_subject == "CN=user05"
    assert any(w.code == "EDXML_SIGNATURE" for w in pkg.warnings)


def test_revocation_is_business_type_1_and_names_the_revoked_document():
    pkg = read_package(FIXTURES / "edoc_revocation.edxml")
    assert pkg.business.doc_type == BUSINESS_REVOKE
    assert pkg.business.reason == "Thu hồi văn bản điện tử"
    assert [r.document_id for r in pkg.header.response_for] == ["000.00.04.G14,2012/08/06,267/VPCP-TTĐT"]
    assert len(pkg.to) == 3


def test_update_carries_receivers_and_their_types():
    pkg = read_package(FIXTURES / "edoc_update.edxml")
    assert pkg.business.doc_type == BUSINESS_UPDATE
    info = pkg.business.document_info
    assert (info.document_info, info.document_receiver) == ("1", "1")
    assert [(r.organ_id, r.receiver_type) for r in info.receivers] == [("000.00.00.H41", 0), ("000.00.00.H14", 1)]


@pytest.mark.parametrize("name,expected", STATUSES.items())
def test_status_code_and_description(name, expected):
    pkg = read_package(FIXTURES / name)
    assert isinstance(pkg, StatusPackage)
    assert pkg.status_code == expected[0]
    assert expected[1] in pkg.description
    assert pkg.timestamp == dt.datetime(2015, 9, 20, 11, 8, 36)
    assert pkg.from_.organ_id == "000.00.00.H41"
    assert pkg.staff.staff == "Nguyen thi ngoc tram" and pkg.staff.mobile == "84912000001"
    rf = pkg.response_for[0]
    assert (rf.organ_id, rf.code, rf.promulgation_date) == ("000.00.00.G22", "7816/VPCP-TTĐT", dt.date(2015, 9, 30))
    assert pkg.signature.present is False


@pytest.mark.parametrize("name", DOCS)
def test_zipped_attachment_is_listed_and_matches_manifest(name):
    pkg = read_package(FIXTURES / name)
    (a,) = pkg.attachments
    assert a.content_id == "cid:209" and a.name == "1896_QD-TTg_m_294779.doc"
    assert a.content_type == "application/zip" and a.zipped
    assert a.size == 270823
    assert len(a.zip_entries) == 1 and a.zip_entries[0].size == 388347
    assert pkg.manifest[0].name == a.name


@pytest.mark.parametrize("name", DOCS)
def test_extract_unzips_to_the_file_named_in_the_manifest(name, tmp_path):
    pkg, paths = extract_package(FIXTURES / name, tmp_path / "out")
    assert [p.name for p in paths] == ["1896_QD-TTg_m_294779.doc"]
    data = paths[0].read_bytes()
    assert len(data) == pkg.attachments[0].zip_entries[0].size
    assert data.startswith(b"<?xml")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["1896_QD-TTg_m_294779.doc"]


@pytest.mark.parametrize("name", DOCS)
def test_document_fixture_round_trips(name, tmp_path):
    sink = DirectorySink(tmp_path)
    first = read_package(FIXTURES / name, attachment_sink=sink)
    sources = [AttachmentSource(a.name, a.stored, a.content_type, a.description, a.content_id) for a in first.attachments]
    buf = io.BytesIO()
    write_package(buf, first.header, sources, trace=first.trace, business=first.business)
    second = read_package(io.BytesIO(buf.getvalue()))
    assert second.header == first.header
    assert second.business == first.business
    assert second.trace == first.trace
    assert [(a.content_id, a.name, a.content_type, a.size, a.sha256) for a in second.attachments] == [
        (a.content_id, a.name, a.content_type, a.size, a.sha256) for a in first.attachments
    ]
    assert second.attachments[0].zip_entries == first.attachments[0].zip_entries


@pytest.mark.parametrize("name", list(STATUSES))
def test_status_fixture_round_trips(name):
    first = read_package(FIXTURES / name)
    buf = io.BytesIO()
    write_status(buf, first)
    second = read_package(io.BytesIO(buf.getvalue()))
    for field in ("from_", "to", "status_code", "response_for", "staff", "description", "timestamp", "trace"):
        assert getattr(second, field) == getattr(first, field), field


def test_fixture_attachment_bytes_survive_a_round_trip_unzipped(tmp_path):
    _, paths = extract_package(FIXTURES / "edoc_new.edxml", tmp_path / "a")
    original = paths[0].read_bytes()
    buf = io.BytesIO()
    first = read_package(FIXTURES / "edoc_new.edxml")
    write_package(buf, first.header, [AttachmentSource(paths[0].name, paths[0])], zip_attachments=True)
    buf.seek(0)
    _, again = extract_package(buf, tmp_path / "b")
    assert again[0].read_bytes() == original
    buf.seek(0)
    pkg = read_package(buf)
    assert pkg.attachments[0].zip_entries[0].name == "1896_QD-TTg_m_294779.doc"

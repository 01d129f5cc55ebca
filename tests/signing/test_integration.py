"""The release chain signs for real, received PDFs are verified, failing ones need an override.

Rules protected (issue 5, part B):
- the signer's approval signs the PDF draft; numbering fills number and date and adds the
  agency's signature; both verify valid and trusted against the platform's trust store;
- a missing key lets the chain go on unsigned with a warning, unless the agency requires signing;
- a received modified PDF cannot be registered without an override with a reason (audited);
  a received valid PDF is shown "hợp lệ"; an unsigned paper scan registers normally;
- keys are stored encrypted; only the platform admin manages trust anchors.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from tests import factories
from tests.second_factor import one_time_code
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment
from vpdt.signing import fill, images, pdf, samples
from vpdt.signing import services as signing
from vpdt.signing.models import SignatureCheck, SigningKey, SigningPolicy, TrustAnchor
from vpdt.workflow import services as workflow

from .conftest import AGENCY

pytestmark = pytest.mark.django_db


def _letter(code: str = "……/SKHCN-VP", date_text: str = "Bình Sơn, ngày …… tháng …… năm 2026",
            signer_name: str = "Nguyễn Văn An") -> bytes:
    return samples.official_letter_pdf(
        agency_name="Sở Khoa học và Công nghệ", code=code, date_text=date_text, title="Công văn",
        subject="Về việc triển khai chữ ký số", body="Sở Khoa học và Công nghệ đề nghị các đơn vị triển khai. " * 8,
        signer_title="GIÁM ĐỐC", signer_name=signer_name)


@pytest.fixture
def world(db, blob_dir, demo_ca):
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ",
                              place="Bình Sơn")
    other = factories.agency(code="000.00.03.H90", abbreviation="STC", name="Sở Tài chính")
    vp = factories.unit(agency, "VP", "Văn phòng Sở")
    cds = factories.unit(agency, "CĐS", "Phòng Chuyển đổi số")
    w = type("W", (), {})()
    w.agency, w.other, w.vp, w.cds, w.ca = agency, other, vp, cds, demo_ca
    w.clerk = factories.person(agency, Role.CLERK, unit=vp, username="vanthu")
    w.leader = factories.person(agency, Role.LEADER, username="giamdoc")
    w.leader.full_name, w.leader.position = "Nguyễn Văn An", "Giám đốc"
    w.leader.save()
    w.head = factories.person(agency, Role.UNIT_HEAD, unit=cds, username="truongphong")
    w.spec = factories.person(agency, Role.SPECIALIST, unit=cds, username="chuyenvien")
    w.other_clerk = factories.person(other, Role.CLERK, username="vanthu.stc")
    w.admin = factories.person(agency, Role.AGENCY_ADMIN, username="quantri")
    w.admin.is_staff = True
    w.admin.save()
    w.platform = factories.person(agency, username="quantritinh")
    w.platform.is_superuser = w.platform.is_staff = True
    w.platform.save()
    signing.add_trust_anchor(w.platform, "vpdt Demo Root CA", demo_ca.root_pem.read_text())
    return w


def _keys(w, *, person=True, agency=True):
    if person:
        signing.store_software_key(user=w.leader, pkcs12=w.ca.people["an"].read_bytes(), password=w.ca.password,
                                   image=images.signature_png(w.leader.full_name))
    if agency:
        signing.store_software_key(agency=w.agency, pkcs12=w.ca.agencies[AGENCY].read_bytes(),
                                   password=w.ca.password, image=images.seal_png(w.agency.name))


def _approved(w, data: bytes | None = None, name: str = "du-thao.pdf"):
    doc = workflow.create_draft(w.spec, {"document_type": factories.doc_type("CV"),
                                         "subject": "Về việc triển khai chữ ký số"},
                                file=io.BytesIO(data or _letter()), filename=name,
                                recipients={"units": [w.vp]})
    workflow.submit_for_review(w.spec, doc)
    workflow.approve(w.head, doc)
    return workflow.approve(w.leader, doc, otp=one_time_code(w.leader))  # the key is unlocked by a code


def _last_version_bytes(doc) -> bytes:
    return signing._read(doc.versions.order_by("-number").first().blob)


def _main(doc) -> Attachment:
    return doc.attachments.get(kind=Attachment.Kind.MAIN)


@pytest.mark.slow
def test_signer_approval_signs_the_pdf_draft_as_a_new_version(world):
    _keys(world)
    doc = _approved(world)
    assert doc.state == State.APPROVED
    assert doc.signing.signed and not doc.signing.warnings
    assert doc.versions.count() == 2
    reports = pdf.verify_pdf(_last_version_bytes(doc), trust_roots=signing.trust_roots())
    assert [r.summary for r in reports] == ["valid"]
    assert "Nguyễn Văn An" in reports[0].signer_subject
    assert AuditEntry.objects.filter(action="signing.sign_person", object_id=str(doc.pk)).exists()


@pytest.mark.slow
def test_numbering_fills_number_and_date_then_the_agency_signs_and_both_verify_trusted(world):
    _keys(world)
    doc = _approved(world)
    doc = workflow.issue_number(world.clerk, doc)
    assert doc.signing.signed, doc.signing.warnings
    main = _main(doc)
    data = signing._read(main.blob)
    reports = pdf.verify_pdf(data, trust_roots=signing.trust_roots())
    assert [r.summary for r in reports] == ["valid", "valid"]
    assert all(r.trusted and r.intact for r in reports)
    assert reports[-1].covers_whole_document
    fields = PdfReader(io.BytesIO(data)).get_fields()
    assert fields[fill.NUMBER_FIELD]["/V"] == f"Số: {doc.code}"
    assert f"năm {doc.issued_date.year}" in fields[fill.DATE_FIELD]["/V"]
    # The seal overlaps the signer's image by about a third, on its left.
    sig = pdf.signature_fields(data)
    (_, signer_rect), (_, seal_rect) = sig["ChuKyNguoiKy"], sig["ChuKyCoQuan"]
    assert seal_rect[0] < signer_rect[0] < seal_rect[2] < signer_rect[2]
    check = SignatureCheck.objects.get(attachment=main)
    assert check.overall == "valid"
    # Release sends this signed file, not the draft.
    workflow.release(world.clerk, doc)
    assert list(doc.attachments.filter(kind=Attachment.Kind.MAIN)) == [main]


def test_missing_keys_let_the_chain_go_on_unsigned_with_a_warning(world):
    doc = _approved(world)
    assert doc.state == State.APPROVED and not doc.signing.signed
    assert "chưa có khóa ký số" in doc.signing.warnings[0]
    doc = workflow.issue_number(world.clerk, doc)
    assert not doc.signing.signed and any("chưa có khóa ký số" in w for w in doc.signing.warnings)
    assert SignatureCheck.objects.get(attachment=_main(doc)).overall == "unsigned"


def test_an_agency_that_requires_signing_refuses_to_approve_without_a_key(world):
    SigningPolicy.objects.create(agency=world.agency, require_signatures=True)
    with pytest.raises(InvalidState) as err:
        _approved(world)
    assert err.value.code == "SIGNING_KEY_MISSING"


def test_a_docx_draft_is_not_signed_before_its_pdf_rendition_is_ready(world):
    # Issue 13: a .docx is signed on its PDF rendition (tests/signing/test_docx_rendition.py);
    # until LibreOffice has made it, the signer's approval is refused with the reason, nothing changed.
    _keys(world)
    with pytest.raises(InvalidState) as err:
        _approved(world, data=factories.docx_bytes(), name="du-thao.docx")
    assert err.value.code == "RENDITION_NOT_READY"
    assert "chưa sẵn sàng" in err.value.message and ".docx" in err.value.message


def _received(w, data: bytes, name: str = "van-ban.pdf"):
    return workflow.receive_paper(w.other_clerk, w.other, {
        "document_type": factories.doc_type("CV"), "subject": "Về việc triển khai chữ ký số",
        "issuer_name": "Sở Khoa học và Công nghệ"}, scan=io.BytesIO(data), scan_name=name)


@pytest.fixture
def released_pdf(world) -> bytes:
    _keys(world)
    doc = workflow.issue_number(world.clerk, _approved(world))
    return signing._read(_main(doc).blob)


@pytest.mark.slow
def test_a_received_valid_pdf_is_shown_valid_on_the_document_page(world, released_pdf):
    doc = _received(world, released_pdf)
    check = SignatureCheck.objects.get(document=doc)
    assert check.overall == "valid" and len(check.signatures) == 2
    client = Client()
    client.force_login(world.other_clerk)
    page = client.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'data-overall="valid"' in page and "Hợp lệ" in page and "hợp lệ" in page
    assert "Nguyễn Văn An" in page
    workflow.register(world.other_clerk, doc)  # nothing to override


@pytest.mark.slow
def test_a_received_modified_pdf_blocks_registration_until_an_audited_override(world, released_pdf):
    # An incremental update that adds a page after the signatures: a forgery the clerk must see.
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(released_pdf), incremental=True)
    writer.add_blank_page()
    tampered = io.BytesIO()
    writer.write(tampered)
    doc = _received(world, tampered.getvalue())
    assert SignatureCheck.objects.get(document=doc).overall == "modified"
    with pytest.raises(InvalidState) as err:
        workflow.register(world.other_clerk, doc)
    assert err.value.code == "SIGNATURE_FAILED"
    assert doc.state == State.RECEIVED

    client = Client()
    client.force_login(world.other_clerk)
    page = client.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'data-testid="signature-blocked"' in page and "Bị sửa đổi sau khi ký" in page
    client.post(f"/van-ban/{doc.pk}/register/", {})
    doc.refresh_from_db()
    assert doc.state == State.RECEIVED
    client.post(f"/van-ban/{doc.pk}/register/", {"override_reason": "Đã gọi điện xác minh với Sở KH&CN"})
    doc.refresh_from_db()
    assert doc.state == State.REGISTERED and doc.incoming_number
    entry = AuditEntry.objects.get(action="signing.override", object_id=str(doc.pk))
    assert entry.detail["reason"] == "Đã gọi điện xác minh với Sở KH&CN"
    assert entry.actor_id == world.other_clerk.pk


def test_an_unsigned_paper_scan_registers_normally(world):
    doc = _received(world, _letter(code="12/STC-VP"))
    assert SignatureCheck.objects.get(document=doc).overall == "unsigned"
    workflow.register(world.other_clerk, doc)
    doc.refresh_from_db()
    assert doc.state == State.REGISTERED


def test_keys_are_stored_encrypted(world):
    p12 = world.ca.people["an"].read_bytes()
    key = signing.store_software_key(user=world.leader, pkcs12=p12, password=world.ca.password)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pkcs12_encrypted, password_encrypted FROM signing_signingkey WHERE id = %s",
                       [key.pk])
        stored, password = (bytes(v) for v in cursor.fetchone())
    assert stored and p12 not in stored and p12[:64] not in stored
    assert world.ca.password.encode() not in password
    assert signing.open_signer(SigningKey.objects.get(pk=key.pk)).subject  # and it still opens


def test_a_key_without_a_kept_password_asks_for_it_at_signing(world):
    signing.store_software_key(user=world.leader, pkcs12=world.ca.people["an"].read_bytes(),
                               password=world.ca.password, keep_password=False)
    key = signing.key_of(user=world.leader)
    assert key.needs_pin and not bytes(key.password_encrypted)
    from vpdt.signing.errors import SigningError

    with pytest.raises(SigningError):
        signing.open_signer(key, "wrong")
    assert signing.open_signer(key, world.ca.password).subject


def test_only_the_platform_admin_manages_trust_anchors(world):
    pem = world.ca.intermediate_pem.read_text()
    with pytest.raises(PermissionDenied):
        signing.add_trust_anchor(world.admin, "Demo Signing CA", pem)
    with pytest.raises(PermissionDenied):
        signing.add_trust_anchor(world.clerk, "Demo Signing CA", pem)
    client = Client()
    client.force_login(world.admin)
    assert client.get("/admin/signing/trustanchor/").status_code == 403
    assert client.get("/admin/signing/trustanchor/add/").status_code == 403
    client.force_login(world.platform)
    assert client.get("/admin/signing/trustanchor/").status_code == 200
    signing.add_trust_anchor(world.platform, "Demo Signing CA", pem)
    assert TrustAnchor.objects.count() == 2


def test_outgoing_documents_are_not_checked_on_upload_but_incoming_ones_are(world):
    doc = factories.document(world.agency, direction=Direction.OUTGOING)
    from vpdt.records import services as records

    records.add_attachment(world.clerk, doc, io.BytesIO(_letter()), "a.pdf", content_type="application/pdf")
    assert not SignatureCheck.objects.filter(document=doc).exists()


def test_an_unreadable_pdf_blocks_registration_until_the_clerk_gives_a_reason(world):
    # A person's upload of it is refused outright (core.filetypes); one received from another
    # agency arrives, flagged, and its verification verdict "unreadable" blocks registration.
    from vpdt.core import blobs
    from vpdt.records import services as records
    from vpdt.records.actors import interconnection

    with pytest.raises(InvalidInput) as refused:
        _received(world, b"%PDF-1.4 truncated scan")
    assert refused.value.code == "PDF_UNREADABLE"
    system = interconnection(world.other)
    doc = records.receive_incoming(system, world.other, {
        "document_type": factories.doc_type("CV"), "subject": "Về việc triển khai chữ ký số",
        "issuer_name": "Sở Khoa học và Công nghệ"}, source="electronic")
    records.attach_stored(system, doc, blobs.store_stream(io.BytesIO(b"%PDF-1.4 truncated scan")), "van-ban.pdf",
                          untrusted=True)
    signing.verify_received(doc)
    assert SignatureCheck.objects.get(document=doc).overall == "unreadable"
    ok, why = signing.can_register(doc)
    assert not ok and "Không đọc được tệp PDF" in why
    with pytest.raises(InvalidState) as blocked:
        records.register_incoming(world.other_clerk, doc)
    assert blocked.value.code == "SIGNATURE_FAILED"
    records.register_incoming(world.other_clerk, doc, override_reason="Đã gọi điện xác minh với nơi gửi")
    doc.refresh_from_db()
    assert doc.incoming_number is not None

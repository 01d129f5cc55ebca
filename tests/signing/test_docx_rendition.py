"""The signer signs the PDF rendition of a .docx draft (issue 13).

Rules protected:
- approving at the signer's step signs the rendition LibreOffice made of the .docx: the signed
  PDF (a new draft version) carries the signer's valid signature and the draft's text; the .docx
  version is kept unchanged; the audit log says which .docx the signed PDF came from;
- the confirm page (/van-ban/<id>/ky-duyet/) says "Ký trên bản PDF chuyển đổi từ tệp .docx";
- before the rendition is ready (or when it failed) a signer with a key is refused with a clear message
  and nothing changes;
- numbering then fills number and date into that PDF and the agency signs it.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from tests import factories
from tests.second_factor import one_time_code
from vpdt.core.errors import InvalidState
from vpdt.core.models import AuditEntry
from vpdt.records import draft_template
from vpdt.records.choices import State
from vpdt.records.models import Attachment, Rendition
from vpdt.signing import fill, pdf
from vpdt.signing import services as signing
from vpdt.workflow import services as workflow

from ..records.test_renditions import needs_soffice
from .test_integration import _keys, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
SUBJECT = "Về việc thí điểm ký số văn bản soạn bằng Word"


def _docx_draft(w):
    doc = workflow.create_draft(w.spec, {"document_type": factories.doc_type("CV"), "subject": SUBJECT},
                                recipients={"units": [w.vp]})
    out = io.BytesIO()
    draft_template.build(draft_template.data_of(doc), out)
    version = workflow.add_version(w.spec, doc, io.BytesIO(out.getvalue()), "du-thao.docx")
    workflow.submit_for_review(w.spec, doc)
    workflow.approve(w.head, doc)
    return doc, version


def _convert():
    from vpdt.records import jobs

    return jobs.convert()


def test_signing_before_the_rendition_is_ready_or_after_it_failed_is_refused(world):  # noqa: F811
    _keys(world)
    doc, version = _docx_draft(world)
    with pytest.raises(InvalidState) as err:
        workflow.approve(world.leader, doc, otp=one_time_code(world.leader))
    assert err.value.code == "RENDITION_NOT_READY" and "chưa sẵn sàng" in err.value.message
    Rendition.objects.filter(version=version).update(state=Rendition.State.FAILED, error_code="CONVERT_UNREADABLE")
    with pytest.raises(InvalidState) as err:
        workflow.approve(world.leader, doc, otp=one_time_code(world.leader))
    assert err.value.code == "RENDITION_FAILED" and "Không chuyển được tệp .docx sang PDF" in err.value.message
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW and doc.versions.count() == 1


@pytest.mark.slow
@needs_soffice
def test_the_signer_signs_the_pdf_rendition_and_the_page_says_so(world):  # noqa: F811
    _keys(world)
    doc, version = _docx_draft(world)
    assert _convert() == 1
    rendition = Rendition.objects.get(version=version)
    assert rendition.state == Rendition.State.READY, rendition.error_detail
    client = Client()
    client.force_login(world.leader)
    page = client.get(f"/van-ban/{doc.pk}/ky-duyet/").content.decode()
    assert "Ký trên bản PDF chuyển đổi từ tệp .docx" in page
    assert rendition.blob_id[:16] in page  # the hash shown is the PDF's that will be signed
    doc = workflow.approve(world.leader, doc, otp=one_time_code(world.leader))
    assert doc.state == State.APPROVED and doc.signing.signed, doc.signing.warnings
    signed = doc.versions.order_by("-number").first()
    assert signed.number == 2 and signed.file_kind == "pdf" and "bản PDF chuyển đổi từ tệp du-thao.docx" in signed.note
    data = signing._read(signed.blob)
    reports = pdf.verify_pdf(data, trust_roots=signing.trust_roots())
    assert [r.summary for r in reports] == ["valid"]
    assert "V/v thí điểm ký số văn bản soạn bằng Word" in " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    version.refresh_from_db()
    assert version.file_kind == "docx" and Rendition.objects.get(version=version).blob_id == rendition.blob_id
    entry = AuditEntry.objects.filter(action="signing.sign_person", object_id=str(doc.pk)).get()
    assert entry.detail["rendition_of"]["name"] == "du-thao.docx"
    # Numbering fills number and date into the template's "Số:" and date lines, the agency signs.
    doc = workflow.issue_number(world.clerk, doc)
    assert doc.signing.signed, doc.signing.warnings
    main = doc.attachments.get(kind=Attachment.Kind.MAIN)
    data = signing._read(main.blob)
    assert [r.summary for r in pdf.verify_pdf(data, trust_roots=signing.trust_roots())] == ["valid", "valid"]
    assert PdfReader(io.BytesIO(data)).get_fields()[fill.NUMBER_FIELD]["/V"] == f"Số: {doc.code}"


@pytest.mark.slow
@needs_soffice
def test_a_docx_approved_without_a_signers_key_is_numbered_and_sealed_on_its_rendition(world):  # noqa: F811
    _keys(world, person=False)  # the agency has its seal, the director no key: approval goes on unsigned
    doc, version = _docx_draft(world)
    doc = workflow.approve(world.leader, doc)
    assert doc.state == State.APPROVED and not doc.signing.signed
    assert _convert() == 1
    doc = workflow.issue_number(world.clerk, doc)
    main = doc.attachments.get(kind=Attachment.Kind.MAIN)
    data = signing._read(main.blob)
    assert main.file_kind == "pdf" and data.startswith(b"%PDF")
    assert [r.summary for r in pdf.verify_pdf(data, trust_roots=signing.trust_roots())] == ["valid"]
    assert "V/v thí điểm ký số văn bản soạn bằng Word" in " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert doc.versions.get().file_kind == "docx"  # the original is kept as it was

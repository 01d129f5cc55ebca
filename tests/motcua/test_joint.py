"""Joint processing (liên thông): a dossier received at a commune, resolved by a department,
returned at the commune, carried over the in-process hub as official documents with statuses."""

from __future__ import annotations

import io

import pytest

from tests import factories
from tests.exchange.conftest import exchange_env, make_agency, run_exchange, wsgi_hub  # noqa: F401 - fixtures
from tests.motcua.motcua2_world import dossier, world
from vpdt.core import blobs
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.motcua import joint
from vpdt.motcua.models import Dossier, DossierFile, DossierStatus, FileKind, JointLink, JointRole
from vpdt.motcua.services.counter import event as record_event
from vpdt.records.choices import Direction

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def test_dossier_received_at_commune_is_resolved_by_department_and_returned_at_commune(wsgi_hub):  # noqa: F811
    commune = make_agency("000.01.31.H90", "Ủy ban nhân dân xã Hòa Bình", endpoint=wsgi_hub)
    department = make_agency("000.00.22.H90", "Sở Xây dựng tỉnh Bình Sơn", endpoint=wsgi_hub)
    w = world(commune, department)
    factories.doc_type("CV")
    d = dossier(w.build, commune, resolving=department)
    scan = blobs.store_stream(io.BytesIO(factories.pdf_bytes("don de nghi")))
    DossierFile.objects.create(dossier=d, kind=FileKind.SCAN, blob=scan, filename="don-de-nghi.pdf",
                               content_type="application/pdf", size=scan.size)

    link = joint.send_to_resolver(w.counter, d)
    d.refresh_from_db()
    assert d.status == DossierStatus.PROCESSING and d.current_step.to_agency == department
    assert link.transfer_document.state == "released"
    with pytest.raises(InvalidState):
        joint.send_to_resolver(w.counter, d)

    run_exchange()
    linked = Dossier.objects.get(agency=department)
    assert linked.external_id == d.code and linked.status == DossierStatus.RECEIVED
    assert linked.code.startswith(department.code + "-") and linked.personal_id == d.personal_id
    assert list(linked.files.values_list("filename", flat=True)) == ["don-de-nghi.pdf"]
    back = JointLink.objects.get(dossier=linked, role=JointRole.RESOLVER)
    assert back.partner_dossier_code == d.code and back.transfer_document.direction == Direction.INCOMING

    # The department processes: the commune's dossier hears it.
    Dossier.objects.filter(pk=linked.pk).update(status=DossierStatus.SUPPLEMENT)
    assert joint.sync() == 1
    run_exchange()
    d.refresh_from_db()
    assert d.status == DossierStatus.SUPPLEMENT
    assert d.events.filter(action="joint_status").exists()
    assert joint.sync() == 0  # nothing new to report

    # The department resolves, its leader approves with the result attached.
    linked.refresh_from_db()
    result = blobs.store_stream(io.BytesIO(factories.pdf_bytes("giay phep xay dung")))
    linked.status, linked.result, linked.result_filename = DossierStatus.DONE, result, "giay-phep.pdf"
    linked.result_note = "Cấp giấy phép xây dựng số 12/GPXD"
    linked.save()
    record_event(linked, "approve", w.dept_leader, before=DossierStatus.PROCESSING, agency=department)
    assert joint.sync() == 1
    run_exchange()

    d.refresh_from_db()
    assert d.status == DossierStatus.DONE and d.result_filename == "giay-phep.pdf"
    assert d.result_note == "Cấp giấy phép xây dựng số 12/GPXD"
    sender_link = JointLink.objects.get(dossier=d, role=JointRole.SENDER)
    assert sender_link.result_document is not None
    assert sender_link.result_document.response_for.filter(target=link.transfer_document).exists() or \
        sender_link.result_document.response_for.filter(
            edxml_document_id=link.transfer_document.edxml_document_id).exists()
    joint.return_at_counter(w.counter, d)
    d.refresh_from_db()
    assert d.status == DossierStatus.RETURNED
    assert [e.action for e in d.events.order_by("at", "id")] == [
        "joint_send", "joint_status", "joint_result", "return"]


def test_data_that_is_not_ours_is_refused():
    with pytest.raises(InvalidInput) as caught:
        joint.unpack(io.BytesIO(b"PK\x03\x04 not a zip"))
    assert getattr(caught.value, "code", "") == "MOTCUA_JOINT_BAD_DATA"
    packed = joint.pack({"schema": "other/1", "kind": "dossier"})
    with pytest.raises(InvalidInput) as caught:
        joint.unpack(io.BytesIO(packed))
    assert caught.value.code == "MOTCUA_JOINT_BAD_SCHEMA"


def test_an_opinion_asked_of_another_agency_comes_back_linked_to_the_dossier(wsgi_hub):  # noqa: F811
    from tests.exchange.conftest import release_to
    from tests.motcua.motcua2_world import step
    from vpdt.directory.roles import Role
    from vpdt.motcua import opinions
    from vpdt.motcua.models import DossierOpinion, StepKind
    from vpdt.records import services as records
    from vpdt.records.models import Document
    from vpdt.records.services import add_attachment

    commune = make_agency("000.01.31.H90", "Ủy ban nhân dân xã Hòa Bình", endpoint=wsgi_hub)
    department = make_agency("000.00.22.H90", "Sở Xây dựng tỉnh Bình Sơn", endpoint=wsgi_hub)
    other = make_agency("000.00.23.H90", "Sở Tài nguyên và Môi trường tỉnh Bình Sơn", endpoint=wsgi_hub)
    w = world(commune, department)
    factories.doc_type("CV")
    d = dossier(w.build, department, status=DossierStatus.PROCESSING)
    step(d, to_agency=department, to_unit=w.qlxd, kind=StepKind.PROCESSING)
    with pytest.raises(PermissionDenied):  # not the officer holding the step
        opinions.ask_opinion(w.dept_counter, d, other, "Xin ý kiến về quy hoạch sử dụng đất")
    opinion = opinions.ask_opinion(w.dept_officer, d, other, "Xin ý kiến về quy hoạch sử dụng đất")
    assert not opinion.request_document.attachments.filter(name=joint.DATA_NAME).exists()  # no citizen data
    run_exchange()

    asked = Document.objects.get(agency=other, direction=Direction.INCOMING)
    clerk = factories.person(other, Role.CLERK, Role.LEADER, username="stnmt.vanthu")
    answer = factories.document(other, state="approved", subject="Trả lời về quy hoạch sử dụng đất",
                                notation="STNMT-QH")
    add_attachment(None, answer, io.BytesIO(factories.pdf_bytes("tra loi")), "tra-loi.pdf",
                   content_type="application/pdf")
    records.link_reply(clerk, answer, asked)
    release_to(answer, clerk, [department])
    run_exchange()

    opinion = DossierOpinion.objects.get(pk=opinion.pk)
    assert opinion.reply_document is not None and opinion.reply_document.agency == department
    assert opinion.answered_at is not None
    assert d.events.filter(action="opinion_reply").exists()

"""Outgoing: draft, versions, recipients, the approval chain, number, release, recall, replace, update."""

from __future__ import annotations

import io

import pytest

from tests import factories
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.records import seams, signals
from vpdt.records.choices import DeliveryState, RecipientKind, State
from vpdt.records.permissions import can_view
from vpdt.workflow import queues, services
from vpdt.workflow.models import Review

from .walk import approved, draft


def test_draft_keeps_versions_with_who_and_when_and_only_docx_or_pdf(world):
    doc = draft(world)
    with pytest.raises(InvalidInput):
        services.add_version(world.spec, doc, io.BytesIO(b"x"), "ghi-chu.txt")
    with pytest.raises(PermissionDenied):
        services.add_version(world.spec2, doc, io.BytesIO(factories.pdf_bytes()), "du-thao-2.pdf")
    services.add_version(world.spec, doc, io.BytesIO(factories.pdf_bytes("v2")), "du-thao-2.pdf")
    versions = list(doc.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].created_by == world.spec and versions[1].created_at is not None
    kinds = sorted(r.kind for r in doc.recipients.all())
    assert kinds == [RecipientKind.AGENCY, RecipientKind.UNIT, RecipientKind.UNIT]
    assert "- Sở Tài chính;" in doc.recipients_text


def test_only_the_drafter_sends_for_review(world):
    doc = draft(world)
    with pytest.raises(PermissionDenied):
        services.submit_for_review(world.spec2, doc)
    reviews = services.submit_for_review(world.spec, doc)
    assert [(r.label, r.state) for r in reviews] == [("Trưởng phòng duyệt", "pending"), ("Giám đốc ký", "waiting")]
    assert reviews[0].reviewer == world.head
    with pytest.raises(InvalidState):
        services.submit_for_review(world.spec, doc)


def test_each_step_is_decided_only_by_its_reviewer(world):
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    for someone in (world.leader, world.head_bcvt, world.spec, world.clerk):
        with pytest.raises(PermissionDenied):
            services.approve(someone, doc)
    services.approve(world.head, doc, "Đồng ý")
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW
    assert doc in queues.waiting(world.leader)
    for someone in (world.head, world.deputy, world.clerk):
        with pytest.raises(PermissionDenied):
            services.approve(someone, doc)
    services.approve(world.leader, doc, "Ký ban hành")
    doc.refresh_from_db()
    assert doc.state == State.APPROVED and doc.signer_name == world.leader.get_full_name()
    assert doc in queues.waiting(world.clerk)


def test_send_back_needs_comments_and_the_drafter_resubmits_a_new_round(world):
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    with pytest.raises(InvalidInput):
        services.send_back(world.head, doc, "")
    services.send_back(world.head, doc, "Sửa lại đoạn 2")
    doc.refresh_from_db()
    assert doc.state == State.SENT_BACK
    assert doc in queues.waiting(world.spec)
    services.add_version(world.spec, doc, io.BytesIO(factories.docx_bytes()), "du-thao-v2.docx")
    services.submit_for_review(world.spec, doc)
    assert Review.objects.filter(document=doc, round=2, state="pending").get().reviewer == world.head


def test_forward_hands_the_step_to_another_person(world):
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    services.approve(world.head, doc)
    with pytest.raises(PermissionDenied):
        services.forward(world.deputy, doc, world.deputy)
    services.forward(world.leader, doc, world.deputy, "Anh xem và ký thay")
    services.approve(world.deputy, doc, "Ký thay")
    doc.refresh_from_db()
    assert doc.state == State.APPROVED


def test_only_the_clerk_numbers_and_releases_and_internal_units_receive_at_once(world):
    doc = approved(world)
    for someone in (world.leader, world.spec, world.head):
        with pytest.raises(PermissionDenied):
            services.issue_number(someone, doc)
    with pytest.raises(InvalidState):
        services.release(world.clerk, doc)  # not numbered yet
    services.issue_number(world.clerk, doc)
    doc.refresh_from_db()
    assert doc.number == 1 and doc.code == "01/SKHCN-CĐS"
    with pytest.raises(PermissionDenied):
        services.release(world.leader, doc)
    seen = []
    deliverer = seams.deliverer()

    class Watching:  # the exchange's deliverer, watched: what release hands over (records.seams)
        def deliver(self, actor, document, recipients):
            seen.append((document.pk, sorted(r.kind for r in recipients)))
            return deliverer.deliver(actor, document, recipients) if deliverer else None

    seams.register_deliverer(Watching())
    try:
        services.release(world.clerk, doc)
    finally:
        seams.register_deliverer(deliverer)
    doc.refresh_from_db()
    assert doc.state == State.RELEASED
    assert seen == [(doc.pk, ["agency", "unit", "unit"])]
    states = {r.display_name: r.state for r in doc.recipients.all()}
    assert states == {"Văn phòng Sở": DeliveryState.DELIVERED, "Phòng Bưu chính, Viễn thông": DeliveryState.DELIVERED,
                      "Sở Tài chính": DeliveryState.PENDING}
    assert can_view(world.head_bcvt, doc) and doc in queues.waiting(world.head_bcvt)
    assert not can_view(world.stranger, doc)
    services.acknowledge(world.head_bcvt, doc)
    assert doc.recipients.get(unit=world.bcvt).state == DeliveryState.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.acknowledge(world.head, doc)


def _released(world):
    doc = approved(world)
    services.issue_number(world.clerk, doc)
    services.release(world.clerk, doc)
    doc.refresh_from_db()
    return doc


def test_recall_with_a_reason_by_clerk_or_leader_only(world):
    doc = _released(world)
    changes = []

    def listener(sender, document, old_state, new_state, action, **kw):
        changes.append((old_state, new_state, action))

    with pytest.raises(PermissionDenied):
        services.recall(world.spec, doc, "Sai")
    with pytest.raises(InvalidInput):
        services.recall(world.leader, doc, "")
    signals.document_state_changed.connect(listener)
    try:
        services.recall(world.leader, doc, "Sai thẩm quyền ký")
    finally:
        signals.document_state_changed.disconnect(listener)
    assert doc.state == State.RECALLED
    assert changes == [("released", "recalled", "document.recall")]
    assert doc.recipients.get(unit=world.vp).state == DeliveryState.RECALLED
    with pytest.raises(InvalidState):
        services.recall(world.leader, doc, "Lần nữa")


def test_replace_and_update_a_released_document(world):
    doc = _released(world)
    new = draft(world, subject="Về việc báo cáo chuyển đổi số (thay thế)")
    with pytest.raises(PermissionDenied):
        services.update_released(world.leader, doc, "Đính chính", {"subject": "Mới"})
    with pytest.raises(InvalidInput):
        services.update_released(world.clerk, doc, "Đính chính", {"number": 9})
    services.update_released(world.clerk, doc, "Đính chính trích yếu", {"subject": "Về việc báo cáo CĐS quý I"})
    assert doc.subject == "Về việc báo cáo CĐS quý I" and doc.state == State.RELEASED
    with pytest.raises(PermissionDenied):
        services.replace(world.head, doc, "Sai nội dung", new)
    services.replace(world.clerk, doc, "Sai nội dung", new)
    assert doc.state == State.REPLACED


def test_the_release_writes_its_package_before_taking_the_audit_head(world, monkeypatch):
    """The audit chain's head is held from the first append until commit, and every audited
    change waits for it: a release appends its entries at its end (audit.deferred), after the
    edXML package is written and signed. Its entries are those an immediate release writes."""
    from vpdt.core import audit
    from vpdt.core.models import AuditEntry
    from vpdt.exchange import outbox

    doc = approved(world)
    services.issue_number(world.clerk, doc)
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    order = []
    lock, package = audit._lock_head, outbox._document_package
    monkeypatch.setattr(audit, "_lock_head", lambda: order.append("head") or lock())
    monkeypatch.setattr(outbox, "_document_package", lambda *a, **k: order.append("package") or package(*a, **k))
    services.release(world.clerk, doc)
    assert "package" in order and order.index("package") < order.index("head")
    actions = list(AuditEntry.objects.filter(pk__gt=since).order_by("seq").values_list("action", flat=True))
    assert actions[-1] == "exchange.queue" and "document.release" in actions
    assert "document.deliver_unit" in actions and actions.index("document.deliver_unit") < actions.index(
        "document.release")
    assert audit.verify(anchors=False).ok


def test_the_release_hands_back_the_document_and_its_recipients_as_stored(world):
    """What release returns and leaves in the caller's document is what the database holds
    (read again in one statement), and the package names each receiving agency with the
    organisation in charge of it (its parent, read with the recipients)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vpdt import edxml
    from vpdt.exchange.models import OutboxMessage
    from vpdt.exchange.outbox import package_path
    from vpdt.records.models import Document, Recipient

    ubnd = factories.agency(code="000.00.00.H90", abbreviation="UBND", name="Ủy ban nhân dân tỉnh Bình Sơn")
    world.other.parent = ubnd
    world.other.save(update_fields=["parent"])
    doc = approved(world)
    services.issue_number(world.clerk, doc)
    with CaptureQueriesContext(connection) as queries:
        rows = services.release(world.clerk, doc)
    fresh = Document.objects.get(pk=doc.pk)
    for field in Document._meta.concrete_fields:
        assert getattr(doc, field.attname) == getattr(fresh, field.attname), field.name
    stored = list(Recipient.objects.filter(document=fresh).order_by("pk"))
    assert [(r.pk, r.state, r.status_at, r.unit_id, r.agency_id) for r in rows] == \
        [(r.pk, r.state, r.status_at, r.unit_id, r.agency_id) for r in stored]
    assert all(r.document is doc for r in rows)
    # the agency of the receiver and its parent were read with the recipients, not again by code
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")
                and 'FROM "directory_agency"' in q["sql"]]
    message = OutboxMessage.objects.get(document=doc)
    with package_path(message.package) as path:
        header = edxml.read_package(path).header
    assert [(o.organ_id, o.organization_in_charge) for o in header.to] == [
        ("000.00.03.H90", "Ủy ban nhân dân tỉnh Bình Sơn")]


def test_a_release_whose_recipients_are_gone_after_its_commit_still_refreshes_the_document(world, monkeypatch):
    from vpdt.workflow.services import outgoing

    doc = approved(world)
    services.issue_number(world.clerk, doc)

    class Gone:
        @staticmethod
        def instances(**values):
            return []

    monkeypatch.setattr(outgoing, "_RELEASED", Gone)
    assert services.release(world.clerk, doc) == []
    assert doc.state == State.RELEASED

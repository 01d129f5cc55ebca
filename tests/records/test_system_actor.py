"""The system actor (records.actors): the system writes through records' services, audited by name."""

from __future__ import annotations

import io

import pytest

from tests import factories
from vpdt.core.errors import PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.records import services
from vpdt.records.actors import IMPORT, interconnection, system_actor
from vpdt.records.choices import Direction, Source, State

pytestmark = pytest.mark.django_db


def test_a_document_received_by_the_interconnection_is_audited_with_the_system_named(blob_dir):
    agency = factories.agency(name="Sở Nội vụ tỉnh Bình Sơn")
    system = interconnection(agency)
    document = services.receive_incoming(system, agency, {
        "document_type": factories.doc_type("CV"), "subject": "Về việc thử nghiệm liên thông", "issuer_code": "000.00.01.H90",
        "edxml_document_id": "000.00.01.H90,2026/03/02,01/UBND-VP"}, source=Source.ELECTRONIC,
        detail={"hub_doc_id": "abc"})
    services.add_attachment(system, document, io.BytesIO(factories.pdf_bytes()), "van-ban.pdf",
                            content_type="application/pdf")
    assert document.direction == Direction.INCOMING and document.state == State.RECEIVED
    assert document.created_by is None
    entries = list(AuditEntry.objects.filter(object_id=str(document.pk), action__startswith="document.")
                   .order_by("id"))
    assert [e.action for e in entries] == ["document.receive", "document.attach"]
    for entry in entries:
        assert entry.actor_id is None
        assert entry.actor_name == "Hệ thống liên thông – Sở Nội vụ tỉnh Bình Sơn"
        assert entry.via == "system"
    assert entries[0].detail["hub_doc_id"] == "abc"


def test_an_import_is_named_as_such():
    agency = factories.agency(name="Sở Tài chính")
    document = factories.document(agency, state=State.APPROVED)
    services.import_state(system_actor(agency, IMPORT), document, State.RELEASED, action="document.release")
    entry = AuditEntry.objects.get(action="document.release", object_id=str(document.pk))
    assert entry.actor_name == "Nhập dữ liệu – Sở Tài chính" and entry.via == "system"
    assert entry.detail == {"from": State.APPROVED, "to": State.RELEASED, "imported": True}


def test_a_system_actor_acts_only_for_its_own_agency():
    mine, other = factories.agency(), factories.agency()
    with pytest.raises(PermissionDenied):
        services.receive_incoming(interconnection(mine), other, {"subject": "Không được",
                                                                  "document_type": factories.doc_type("CV")})
    from vpdt.records.models import Document

    assert not Document.objects.filter(agency=other).exists()

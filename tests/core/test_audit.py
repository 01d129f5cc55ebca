"""Every state change is audited (who, what, when, from where); the log cannot be rewritten."""

from __future__ import annotations

import io

import pytest
from django.db import DatabaseError, connection, transaction

from tests import factories
from vpdt.core import request_context
from vpdt.core.errors import PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records import services
from vpdt.records.choices import Direction, State

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def actions(doc):
    return list(AuditEntry.objects.filter(object_id=str(doc.pk), object_type="records.document")
                .order_by("id").values_list("action", flat=True))


def test_each_state_change_of_an_incoming_document_is_audited_with_who_and_where(blob_dir):
    agency = factories.agency()
    clerk = factories.clerk(agency)
    token = request_context.set_current(request_context.Actor(user_id=clerk.pk, ip="10.1.2.3", via="web"))
    try:
        doc = services.receive_incoming(clerk, agency, {"subject": "Về việc A", "document_type": "CV",
                                                        "issuer_name": "Bộ Nội vụ"})
        services.add_attachment(clerk, doc, io.BytesIO(factories.pdf_bytes("scan")), "scan.pdf", content_type="application/pdf")
        services.register_incoming(clerk, doc)
    finally:
        request_context.reset(token)
    assert actions(doc) == ["document.receive", "document.attach", "document.register"]
    entry = AuditEntry.objects.filter(action="document.register").get()
    assert entry.actor == clerk and entry.ip == "10.1.2.3" and entry.via == "web"
    assert entry.agency_code == agency.code
    assert entry.detail["from"] == State.RECEIVED and entry.detail["to"] == State.REGISTERED
    assert entry.at is not None


def test_return_and_numbering_are_audited():
    agency = factories.agency()
    clerk = factories.clerk(agency)
    incoming = factories.document(agency, direction=Direction.INCOMING)
    services.return_incoming(clerk, incoming, "Gửi nhầm cơ quan")
    outgoing = factories.document(agency)
    services.issue_number(clerk, outgoing)
    assert actions(incoming) == ["document.return"]
    assert AuditEntry.objects.get(action="document.return").detail["reason"] == "Gửi nhầm cơ quan"
    assert actions(outgoing) == ["document.issue_number"]


def test_a_refused_action_changes_nothing_and_logs_nothing():
    agency = factories.agency()
    specialist = factories.person(agency, Role.SPECIALIST)
    doc = factories.document(agency, direction=Direction.INCOMING)
    with pytest.raises(PermissionDenied):
        services.register_incoming(specialist, doc)
    doc.refresh_from_db()
    assert doc.state == State.RECEIVED and doc.incoming_number is None
    assert actions(doc) == []


def test_audit_entries_cannot_be_changed_or_deleted():
    agency = factories.agency()
    clerk = factories.clerk(agency)
    services.issue_number(clerk, factories.document(agency))
    entry = AuditEntry.objects.get(action="document.issue_number")
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(action="forged")


def test_database_refuses_raw_update_and_delete_of_the_audit_log(audit_triggers):
    agency = factories.agency()
    clerk = factories.clerk(agency)
    services.issue_number(clerk, factories.document(agency))
    with connection.cursor() as cursor:
        refused = ["UPDATE core_auditentry SET action = 'forged'", "DELETE FROM core_auditentry"]
        if connection.vendor == "postgresql":
            refused.append("TRUNCATE core_auditentry")
        for sql in refused:
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute(sql)
    assert AuditEntry.objects.filter(action="document.issue_number").count() == 1


def test_duplicate_incoming_is_warned_before_registration():
    import datetime as dt

    from vpdt.records.services import DuplicateIncoming

    agency = factories.agency()
    clerk = factories.clerk(agency)
    fields = {"subject": "Về việc B", "document_type": "CV", "issuer_code": "000.00.00.G22",
              "issuer_name": "Văn phòng Chính phủ", "number": 7816, "notation": "VPCP-TTĐT",
              "issued_date": dt.date(2015, 9, 30)}
    first = services.receive_incoming(clerk, agency, fields)
    services.register_incoming(clerk, first)
    second = services.receive_incoming(clerk, agency, fields)
    with pytest.raises(DuplicateIncoming) as warning:
        services.register_incoming(clerk, second)
    assert "số đến 01" in warning.value.message
    second.refresh_from_db()
    assert second.incoming_number is None
    services.register_incoming(clerk, second, confirm_duplicate=True)
    second.refresh_from_db()
    assert second.incoming_number == 2
    other_date = services.receive_incoming(clerk, agency, {**fields, "issued_date": dt.date(2015, 10, 1)})
    services.register_incoming(clerk, other_date)

"""The recipient's delivery state machine (records.delivery): one table, one function that moves."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.core import audit
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records import delivery
from vpdt.records.actors import interconnection
from vpdt.records.choices import DeliveryState as S
from vpdt.records.choices import RecipientKind
from vpdt.records.models import Recipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient():
    sender, receiver = factories.agency(), factories.agency()
    document = factories.document(sender)
    return Recipient.objects.create(document=document, kind=RecipientKind.AGENCY, agency=receiver,
                                    organ_id=receiver.code, name=receiver.name)


def test_every_state_has_its_row_and_final_states_lead_nowhere():
    assert set(delivery.ALLOWED) == set(S.values)
    assert delivery.FINAL == {S.REJECTED, S.RECALLED}
    for state, following in delivery.ALLOWED.items():
        assert following <= set(S.values), state


def test_a_delivery_moves_forward_and_each_move_is_audited(recipient):
    clerk = factories.person(recipient.document.agency, Role.CLERK)
    for to_state in (S.SENT, S.DELIVERED, S.ACCEPTED, S.ASSIGNED, S.PROCESSING, S.COMPLETED):
        assert delivery.move(clerk, recipient, to_state, status_code="01") is True
        recipient.refresh_from_db()
        assert recipient.state == to_state and recipient.status_code == "01"
    entries = [e for e in audit.history(recipient.document) if e.action == "recipient.state"]
    assert [e.detail["recipient_state"] for e in entries] == [
        [S.PENDING, S.SENT], [S.SENT, S.DELIVERED], [S.DELIVERED, S.ACCEPTED], [S.ACCEPTED, S.ASSIGNED],
        [S.ASSIGNED, S.PROCESSING], [S.PROCESSING, S.COMPLETED]]
    assert {e.actor_id for e in entries} == {clerk.pk}


@pytest.mark.parametrize("start,to_state", [
    (S.ASSIGNED, S.ACCEPTED),  # progress never goes back
    (S.DELIVERED, S.SENT),
    (S.SENT, S.PENDING),
    (S.REJECTED, S.ACCEPTED),  # final
    (S.RECALLED, S.DELIVERED),  # final
    (S.COMPLETED, S.FAILED),
])
def test_an_illegal_move_is_refused_with_a_clear_error_and_changes_nothing(recipient, start, to_state):
    Recipient.objects.filter(pk=recipient.pk).update(state=start)  # the starting point, set for the test
    recipient.refresh_from_db()
    before = AuditEntry.objects.count()
    with pytest.raises(delivery.IllegalTransition) as err:
        delivery.move(None, recipient, to_state)
    assert err.value.code == "RECIPIENT_ILLEGAL_TRANSITION"
    assert "Không thể chuyển tình trạng gửi" in err.value.message
    recipient.refresh_from_db()
    assert recipient.state == start
    assert AuditEntry.objects.count() == before
    assert delivery.move_if_allowed(None, recipient, to_state) is False


def test_an_unknown_state_is_refused(recipient):
    with pytest.raises(delivery.IllegalTransition):
        delivery.move(None, recipient, "lost")


def test_a_repeated_status_keeps_the_state_and_records_the_code(recipient):
    delivery.move(None, recipient, S.DELIVERED, status_code="01")
    assert delivery.move(None, recipient, S.DELIVERED, status_code="01") is False
    recipient.refresh_from_db()
    assert recipient.state == S.DELIVERED and recipient.status_code == "01"


def test_the_system_actor_is_named_in_the_audit_of_a_move(recipient):
    system = interconnection(recipient.document.agency)
    delivery.move(system, recipient, S.SENT, action="exchange.sent", detail={"to": recipient.organ_id})
    entry = AuditEntry.objects.filter(action="exchange.sent").get()
    assert entry.actor_id is None
    assert entry.actor_name == f"Hệ thống liên thông – {recipient.document.agency.name}"
    assert entry.via == "system"
    assert entry.detail["recipient_state"] == [S.PENDING, S.SENT] and entry.detail["to"] == recipient.organ_id

"""Co-handling ("phối hợp") and "để biết" go to people as well as units: the leader directs to
either, the unit head involves people of the unit or another unit, and each one finds the
document where their queue shows it (co-handling waits for them, "để biết" is followed)."""

from __future__ import annotations

import pytest

from tests.workflow.walk import assigned, submitted
from vpdt.core.errors import InvalidInput
from vpdt.records.permissions import can_view
from vpdt.workflow import queues, services
from vpdt.workflow.models import Assignment, Notification


def test_a_person_asked_to_co_handle_finds_the_document_waiting_and_may_give_an_opinion(world):
    doc = submitted(world, leader=world.leader)
    services.assign(world.leader, doc, main=world.cds, co=[world.spec_bcvt], info=[world.spec2])
    co = Assignment.objects.get(document=doc, user=world.spec_bcvt)
    assert co.role == Assignment.Role.CO and co.unit_id is None
    assert queues.waiting(world.spec_bcvt).filter(pk=doc.pk).exists()
    assert Notification.objects.filter(user=world.spec_bcvt, document=doc).exists()
    services.give_opinion(world.spec_bcvt, doc, "Phòng BCVT thống nhất số liệu.")
    co.refresh_from_db()
    assert co.state == Assignment.State.IN_PROGRESS


def test_a_person_given_it_for_information_follows_it_without_it_waiting_for_them(world):
    doc = submitted(world, leader=world.leader)
    services.assign(world.leader, doc, main=world.cds, info=[world.spec2])
    info = Assignment.objects.get(document=doc, user=world.spec2)
    assert info.role == Assignment.Role.INFO
    assert can_view(world.spec2, doc)
    assert queues.following(world.spec2).filter(pk=doc.pk).exists()
    assert not queues.waiting(world.spec2).filter(pk=doc.pk).exists()
    assert Notification.objects.filter(user=world.spec2, document=doc).exists()


def test_the_unit_head_asks_another_unit_to_co_handle_and_its_head_hands_it_on(world):
    doc = assigned(world)  # main: CĐS, co: BCVT, info: the office's head
    services.reassign(world.head, doc, handler=world.spec, co=[world.spec2, world.vp], info=[world.bcvt])
    asked = Assignment.objects.get(document=doc, unit=world.vp, parent__unit=world.cds)
    assert asked.role == Assignment.Role.CO and asked.user_id is None
    informed = Assignment.objects.get(document=doc, unit=world.bcvt, role=Assignment.Role.INFO,
                                      parent__isnull=False)
    assert informed.user_id is None
    assert queues.waiting(world.head_vp).filter(pk=doc.pk).exists()
    assert Notification.objects.filter(user=world.head_vp, document=doc).exists()
    # the office's head hands it on to a person of the office (the clerk works there)
    made = services.reassign(world.head_vp, doc, handler=world.clerk)
    assert made[0].parent_id == asked.pk and made[0].role == Assignment.Role.CO


def test_the_unit_head_cannot_give_the_handling_itself_or_a_co_role_to_their_own_unit(world):
    doc = assigned(world)
    with pytest.raises(InvalidInput) as refused:
        services.reassign(world.head, doc, handler=world.spec, co=[world.cds])
    assert refused.value.code == "OUTSIDE_UNIT"
    with pytest.raises(InvalidInput) as refused:
        services.reassign(world.head, doc, handler=world.spec, co=[world.spec_bcvt])  # a person of another unit
    assert refused.value.code == "OUTSIDE_UNIT"
    assert not Assignment.objects.filter(document=doc, parent__isnull=False).exists()


def test_a_unit_of_another_agency_is_refused(world):
    from tests import factories

    foreign = factories.unit(world.other, "KT", "Phòng Kế toán")
    doc = assigned(world)
    with pytest.raises(InvalidInput) as refused:
        services.reassign(world.head, doc, handler=world.spec, info=[foreign])
    assert refused.value.code == "FOREIGN_UNIT"

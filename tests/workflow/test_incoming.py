"""Incoming: receive, register, submit, direct, re-assign, opinions, extension, transfer back, complete.
Each transition: who may, and who may not."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests import factories
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.records.choices import State
from vpdt.records.models import DocumentLink
from vpdt.records.permissions import can_view
from vpdt.records.services import DuplicateIncoming
from vpdt.workflow import queues, services
from vpdt.workflow.models import Assignment, ExtensionRequest

from .walk import assigned, draft, incoming, registered, submitted

FUTURE = dt.date.today() + dt.timedelta(days=30)


def test_only_the_clerk_registers_and_a_duplicate_warns_first(world):
    doc = incoming(world)
    assert doc.attachments.get().kind == "scan"
    for someone in (world.leader, world.spec, world.head):
        with pytest.raises(PermissionDenied):
            services.register(someone, doc)
    services.register(world.clerk, doc)
    doc.refresh_from_db()
    assert doc.state == State.REGISTERED and doc.incoming_number == 1
    twin = incoming(world)
    with pytest.raises(DuplicateIncoming):
        services.register(world.clerk, twin)
    services.register(world.clerk, twin, confirm_duplicate=True)
    twin.refresh_from_db()
    assert twin.incoming_number == 2


def test_only_the_clerk_returns_and_needs_a_reason(world):
    doc = incoming(world)
    with pytest.raises(PermissionDenied):
        services.return_to_sender(world.leader, doc, "Gửi nhầm")
    with pytest.raises(InvalidInput):
        services.return_to_sender(world.clerk, doc, " ")
    services.return_to_sender(world.clerk, doc, "Gửi nhầm cơ quan")
    assert doc.state == State.RETURNED


def test_only_the_clerk_submits_a_registered_document(world):
    doc = incoming(world)
    with pytest.raises(InvalidState):
        services.submit_to_leader(world.clerk, doc)
    services.register(world.clerk, doc)
    with pytest.raises(PermissionDenied):
        services.submit_to_leader(world.spec, doc)
    services.submit_to_leader(world.clerk, doc, leader=world.leader)
    assert doc.state == State.SUBMITTED
    assert doc in queues.waiting(world.leader)
    assert doc not in queues.waiting(world.deputy)


def test_the_leader_it_was_submitted_to_directs_others_may_not(world):
    doc = submitted(world, leader=world.leader)
    for someone in (world.deputy, world.clerk, world.head, world.spec, world.stranger):
        with pytest.raises(PermissionDenied):
            services.assign(someone, doc, main=world.cds, deadline=FUTURE)
    made = services.assign(world.leader, doc, main=world.cds, co=[world.bcvt], info=[world.spec_bcvt],
                           instructions="Chủ trì tham mưu", deadline=FUTURE)
    assert [a.role for a in made] == ["main", "co", "info"]
    doc.refresh_from_db()
    assert doc.state == State.ASSIGNED and doc.due_date == FUTURE
    # Permissions follow the assignment: the unit heads and the person for information now see it.
    assert can_view(world.head, doc) and can_view(world.head_bcvt, doc) and can_view(world.spec_bcvt, doc)
    assert not can_view(world.spec, doc)
    assert doc in queues.waiting(world.head) and doc not in queues.waiting(world.leader)


def test_deadline_in_the_past_is_refused(world):
    doc = submitted(world)
    with pytest.raises(InvalidInput):
        services.assign(world.leader, doc, main=world.cds, deadline=dt.date(2020, 1, 1))


def test_only_the_head_of_the_assigned_unit_reassigns_within_it(world):
    doc = assigned(world, deadline=FUTURE)
    for someone in (world.head_vp, world.spec, world.leader, world.clerk):
        with pytest.raises(PermissionDenied):
            services.reassign(someone, doc, handler=world.spec)
    with pytest.raises(InvalidInput):
        services.reassign(world.head, doc, handler=world.spec_bcvt)
    with pytest.raises(InvalidInput):
        services.reassign(world.head, doc, handler=world.spec, deadline=FUTURE + dt.timedelta(days=1))
    services.reassign(world.head, doc, handler=world.spec, co=[world.spec2], instructions="Dự thảo trả lời")
    doc.refresh_from_db()
    assert doc.state == State.IN_PROGRESS
    assert can_view(world.spec, doc)
    assert doc in queues.waiting(world.spec) and doc in queues.waiting(world.spec2)
    assert doc not in queues.waiting(world.head)
    child = Assignment.objects.get(document=doc, user=world.spec)
    assert child.role == "main" and child.deadline == FUTURE and child.parent.unit == world.cds


def test_handlers_and_leaders_give_opinions_others_may_not(world, blob_dir):
    doc = assigned(world, deadline=FUTURE)
    with pytest.raises(PermissionDenied):
        services.give_opinion(world.spec, doc, "Tôi chưa được giao")
    with pytest.raises(PermissionDenied):
        services.give_opinion(world.clerk, doc, "Văn thư không cho ý kiến")
    services.reassign(world.head, doc, handler=world.spec)
    opinion = services.give_opinion(world.spec, doc, "Đề xuất trả lời như dự thảo kèm theo",
                                    file=io.BytesIO(factories.pdf_bytes("y kien")), filename="y-kien.pdf")
    assert opinion.attachment.kind == "opinion"
    services.give_opinion(world.leader, doc, "Đồng ý đề xuất")
    assert doc.opinions.count() == 2


def test_extension_asked_by_handler_decided_by_the_leader_who_directed(world):
    doc = assigned(world, deadline=FUTURE)
    with pytest.raises(PermissionDenied):
        services.request_extension(world.spec, doc, FUTURE + dt.timedelta(days=5), "Cần thêm số liệu")
    with pytest.raises(InvalidInput):
        services.request_extension(world.head, doc, FUTURE - dt.timedelta(days=1), "Ngắn hơn")
    request = services.request_extension(world.head, doc, FUTURE + dt.timedelta(days=5), "Cần thêm số liệu")
    with pytest.raises(InvalidState):
        services.request_extension(world.head, doc, FUTURE + dt.timedelta(days=6), "Lần nữa")
    for someone in (world.deputy, world.head, world.clerk):
        with pytest.raises(PermissionDenied):
            services.decide_extension(someone, request, approve=True)
    services.decide_extension(world.leader, request, approve=True)
    doc.refresh_from_db()
    assert doc.due_date == FUTURE + dt.timedelta(days=5)
    assert ExtensionRequest.objects.get().state == "approved"


def test_main_handler_transfers_back_to_the_leader(world):
    doc = assigned(world, deadline=FUTURE)
    with pytest.raises(PermissionDenied):
        services.transfer_back(world.spec, doc, "Không đúng chức năng")
    with pytest.raises(InvalidInput):
        services.transfer_back(world.head, doc, "")
    services.transfer_back(world.head, doc, "Không đúng chức năng của phòng")
    doc.refresh_from_db()
    assert doc.state == State.SUBMITTED
    assert doc in queues.waiting(world.leader)
    services.assign(world.leader, doc, main=world.bcvt, deadline=FUTURE)
    doc.refresh_from_db()
    assert doc.state == State.ASSIGNED


def test_specialist_transfers_back_to_the_unit_head(world):
    doc = assigned(world, deadline=FUTURE)
    services.reassign(world.head, doc, handler=world.spec)
    services.transfer_back(world.spec, doc, "Đang nghỉ phép")
    assert doc in queues.waiting(world.head)
    services.reassign(world.head, doc, handler=world.spec2)
    assert doc in queues.waiting(world.spec2)


def test_only_the_main_handler_completes_and_may_link_the_reply(world):
    doc = assigned(world, deadline=FUTURE)
    services.reassign(world.head, doc, handler=world.spec)
    for someone in (world.head_bcvt, world.spec2, world.clerk, world.leader):
        with pytest.raises(PermissionDenied):
            services.complete(someone, doc)
    reply = draft(world)
    services.complete(world.spec, doc, summary="Đã trả lời", reply=reply)
    doc.refresh_from_db()
    assert doc.state == State.COMPLETED and doc.completed_at is not None
    assert DocumentLink.objects.get(document=reply).target == doc
    assert not Assignment.objects.filter(document=doc, state__in=Assignment.OPEN).exists()
    with pytest.raises(InvalidState):
        services.complete(world.spec, doc)


def test_available_actions_match_the_checks(world):
    doc = registered(world)
    assert "submit" in services.available_actions(world.clerk, doc)
    assert "assign" in services.available_actions(world.leader, doc)
    assert services.available_actions(world.spec, doc) == set()

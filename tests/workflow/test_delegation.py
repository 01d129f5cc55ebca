"""Ủy quyền: the deputy works the leader's queue for a period, recorded as acting on their behalf."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.timezone import localdate as today  # Vietnam's date, asked when used

from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.records.choices import State
from vpdt.workflow import queues, services

from .walk import draft, submitted


def test_deputy_directs_in_the_leaders_name_during_the_period(world):
    doc = submitted(world, leader=world.leader)
    with pytest.raises(PermissionDenied):
        services.assign(world.deputy, doc, main=world.cds)
    services.delegate(world.leader, deputy=world.deputy, starts_on=today(), ends_on=today() + dt.timedelta(days=3),
                      reason="Đi công tác")
    assert doc in queues.waiting(world.deputy)
    services.assign(world.deputy, doc, main=world.cds, deadline=today() + dt.timedelta(days=10))
    doc.refresh_from_db()
    assert doc.state == State.ASSIGNED
    entry = AuditEntry.objects.filter(action="document.assign").get()
    assert entry.actor_id == world.deputy.pk
    assert entry.detail["on_behalf_of"] == world.leader.pk and entry.detail["delegation"] is True
    assert doc.assignments.first().on_behalf_of == world.leader


def test_delegation_outside_its_period_or_revoked_gives_nothing(world):
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    services.approve(world.head, doc)
    past = services.delegate(world.leader, deputy=world.deputy, starts_on=today() - dt.timedelta(days=9),
                             ends_on=today() - dt.timedelta(days=2))
    with pytest.raises(PermissionDenied):
        services.approve(world.deputy, doc)
    assert past.pk
    current = services.delegate(world.leader, deputy=world.deputy, starts_on=today(), ends_on=today())
    services.revoke_delegation(world.leader, current)
    with pytest.raises(PermissionDenied):
        services.approve(world.deputy, doc)


def test_deputy_signs_in_the_leaders_name(world):
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    services.approve(world.head, doc)
    services.delegate(world.leader, deputy=world.deputy, starts_on=today(), ends_on=today())
    services.approve(world.deputy, doc, "Ký thay")
    review = doc.reviews.get(is_signer=True)
    assert review.decided_by == world.deputy and review.on_behalf_of == world.leader


def test_who_may_delegate(world):
    with pytest.raises(PermissionDenied):
        services.delegate(world.spec, deputy=world.spec2, starts_on=today(), ends_on=today())
    with pytest.raises(PermissionDenied):
        services.delegate(world.head, deputy=world.deputy, starts_on=today(), ends_on=today(), principal=world.leader)
    with pytest.raises(InvalidInput):
        services.delegate(world.leader, deputy=world.stranger, starts_on=today(), ends_on=today())
    with pytest.raises(InvalidInput):
        services.delegate(world.leader, deputy=world.deputy, starts_on=today(), ends_on=today() - dt.timedelta(days=1))
    made = services.delegate(world.admin, deputy=world.deputy, starts_on=today(), ends_on=today(),
                             principal=world.leader)
    assert made.principal == world.leader


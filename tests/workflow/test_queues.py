"""What each queue holds: "Theo dõi" (following) for the one who directed, the unit head,
the handler and the drafter; finished work drops out after FOLLOW_DAYS; the short set
(literal ids) and the long one (a subquery) give the same documents."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from vpdt.workflow import queues, services
from vpdt.workflow.models import Assignment

from .walk import assigned, draft


def ids(name, user):
    return set(queues.get(name, user).values_list("pk", flat=True))


def test_following_holds_what_i_directed_handed_on_handle_or_drafted(world):
    doc = assigned(world)
    mine = draft(world)
    assert doc.pk in ids("following", world.leader)          # directed it
    assert doc.pk in ids("following", world.head)            # their unit leads it
    assert mine.pk in ids("following", world.spec)           # drafted it
    assert doc.pk not in ids("following", world.spec) and doc.pk not in ids("following", world.clerk)
    services.reassign(world.head, doc, handler=world.spec)
    assert doc.pk in ids("following", world.spec)            # handles it now
    assert doc.pk not in ids("following", world.stranger)


def test_finished_work_leaves_following_after_the_follow_days(world):
    doc = assigned(world)
    Assignment.objects.filter(document=doc).update(
        state=Assignment.State.DONE, done_at=timezone.now() - dt.timedelta(days=queues.FOLLOW_DAYS - 1))
    assert doc.pk in ids("following", world.leader)
    Assignment.objects.filter(document=doc).update(done_at=timezone.now() - dt.timedelta(days=queues.FOLLOW_DAYS + 1))
    assert doc.pk not in ids("following", world.leader)


def test_short_and_long_following_sets_give_the_same_documents(world, monkeypatch):
    docs = {assigned(world, number=400 + i).pk for i in range(3)}
    short = ids("following", world.leader)
    assert docs <= short
    monkeypatch.setattr(queues, "INLINE_IDS", 1)  # the subquery path
    assert ids("following", world.leader) == short

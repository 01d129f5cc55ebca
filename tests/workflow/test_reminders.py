"""Reminders and the leaders' digest: in the bell and by e-mail through a real (local) SMTP server."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from vpdt.core import tasks
from vpdt.workflow import notifications
from vpdt.workflow.models import Notification

from .walk import assigned


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()


def test_reminder_reaches_the_handler_by_bell_and_email(world, smtp):
    day = dt.date.today()
    doc = assigned(world, deadline=day)
    Notification.objects.update(emailed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # earlier notices: done
    result = notifications.run_daily(day + dt.timedelta(days=1))
    assert result["reminders"] >= 2  # heads of the main and the co-handling unit
    n = Notification.objects.get(user=world.head, kind="overdue")
    assert n.document == doc and "Quá hạn" in n.message
    recipients = {r for tos, _ in smtp.messages for r in tos}
    assert {"truongphong@example.vn", "truongphong2@example.vn", "giamdoc@example.vn"} <= recipients
    bodies = "\n".join(body for _, body in smtp.messages)
    assert "Subject: =?utf-8?" in bodies or "Qu" in bodies
    # Twice the same day: nothing new.
    again = notifications.run_daily(day + dt.timedelta(days=1))
    assert again == {"reminders": 0, "digests": 0, "emails": 0}


def test_daily_digest_for_leaders(world, smtp):
    day = dt.date.today()
    assigned(world, deadline=day)
    made = notifications.send_daily_digest(day + dt.timedelta(days=1))
    assert made == 2  # both leaders of the agency
    digest = Notification.objects.get(user=world.leader, kind="digest")
    assert "1 văn bản quá hạn" in digest.message


def test_worker_has_the_daily_job():
    assert "workflow.daily" in {job.name for job in tasks.jobs()}


def test_unreachable_smtp_server_sends_nothing_and_keeps_the_notices(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()
    assigned(world, deadline=dt.date.today())
    assert notifications.deliver_emails() == 0
    assert Notification.objects.filter(emailed_at__isnull=True).exists()


def test_only_recent_mail_worthy_notices_of_people_with_an_address_are_mailed_once(world, smtp):
    """What `deliver_emails` picks (a prepared read, written once: it must not fall back to the
    ORM): notices of a mailed kind, not mailed yet, at most two days old, to someone with an
    address; each is mailed once and marked."""
    Notification.objects.update(emailed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # earlier notices: done
    world.spec.email = ""
    world.spec.save()
    due = Notification.objects.create(user=world.head, kind="assigned", message="Được giao xử lý văn bản")
    old = Notification.objects.create(user=world.head, kind="assigned", message="Cũ")
    Notification.objects.filter(pk=old.pk).update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    Notification.objects.create(user=world.head, kind="approved", message="Chỉ trong chuông")  # not a mailed kind
    Notification.objects.create(user=world.spec, kind="assigned", message="Không có địa chỉ thư")
    assert notifications.deliver_emails() == 1
    [(to, body)] = smtp.messages
    assert to == [world.head.email] and "=?utf-8?" in body
    assert set(Notification.objects.filter(emailed_at__isnull=True, kind="assigned").values_list("pk", flat=True)) \
        == {old.pk, Notification.objects.get(user=world.spec, kind="assigned").pk}
    assert Notification.objects.get(pk=due.pk).emailed_at is not None
    assert notifications.deliver_emails() == 0  # mailed once
    for statement in (notifications._TO_MAIL, notifications._MAILED):
        assert statement._compiled and None not in statement._compiled.values()  # written once, not refused


# --- Many assignments at once (issue 17: the worker's start-up catch-up) ------------------

DAY = dt.date(2026, 3, 10)  # a Tuesday: due soon up to Thursday 12/3 (two working days)
SOON, OVERDUE, LATER = dt.date(2026, 3, 12), dt.date(2026, 3, 5), dt.date(2026, 3, 20)


def _open_doc(w, state=None, **fields):
    from tests import factories
    from vpdt.records.choices import Direction, State

    return factories.document(w.agency, direction=Direction.INCOMING, state=state or State.ASSIGNED, **fields)


def _assign(doc, *, user=None, unit=None, deadline=SOON, role="main", state="pending"):
    from vpdt.workflow.models import Assignment

    return Assignment.objects.create(document=doc, user=user, unit=unit, deadline=deadline, role=role, state=state)


def _second_cds_head(w):
    from tests import factories
    from vpdt.directory.roles import Role

    return factories.person(w.agency, Role.UNIT_HEAD, unit=w.cds, username="phophong")


def test_reminders_of_many_assignments_reach_exactly_whom_they_should(world):
    from vpdt.records.choices import State

    w = world
    head2 = _second_cds_head(w)
    coded = _open_doc(w, number=5, notation="UBND-VP", subject="Về việc A")
    arrived = _open_doc(w, incoming_number=7, subject="Về việc B " + "x" * 120, state=State.IN_PROGRESS)
    plain = _open_doc(w, subject="Về việc C")
    finished = _open_doc(w, state=State.COMPLETED, subject="Về việc D")
    a1 = _assign(coded, user=w.spec)                            # to a person, due soon
    a2 = _assign(coded, unit=w.cds, role="co", deadline=OVERDUE)  # to a unit with two heads, overdue
    a3 = _assign(arrived, unit=w.bcvt, deadline=OVERDUE)         # to a unit with one head
    a4 = _assign(plain, user=w.spec2, deadline=DAY)              # due today
    a5 = _assign(arrived, user=w.spec, state="in_progress")      # the same person again: another key
    _assign(finished, user=w.spec)                               # document no longer being handled
    _assign(plain, user=w.head_vp, role="info")                  # for information: no reminder
    _assign(plain, user=w.spec_bcvt, state="done")               # done
    _assign(plain, user=w.spec_bcvt, deadline=LATER)             # not due yet
    _assign(plain, user=w.spec_bcvt, deadline=None)              # no deadline
    # head2 was already reminded of a2 today (an earlier run): not again, not counted
    Notification.objects.create(user=head2, document=coded, kind="overdue", message="x",
                                key=f"overdue:{a2.pk}:{DAY.isoformat()}")
    before = set(Notification.objects.values_list("pk", flat=True))

    made = notifications.send_reminders(DAY)

    soon = "Sắp đến hạn xử lý ({}): {}"
    late = "Quá hạn xử lý (hạn {}): {}"
    label_a, label_b = "05/UBND-VP – Về việc A", "số đến 07 – " + ("Về việc B " + "x" * 120)[:90]
    expected = {
        (w.spec.pk, coded.pk, "reminder", f"reminder:{a1.pk}:2026-03-10", soon.format("12/03/2026", label_a)),
        (w.head.pk, coded.pk, "overdue", f"overdue:{a2.pk}:2026-03-10", late.format("05/03/2026", label_a)),
        (w.head_bcvt.pk, arrived.pk, "overdue", f"overdue:{a3.pk}:2026-03-10", late.format("05/03/2026", label_b)),
        (w.spec2.pk, plain.pk, "reminder", f"reminder:{a4.pk}:2026-03-10", soon.format("10/03/2026", "Về việc C")),
        (w.spec.pk, arrived.pk, "reminder", f"reminder:{a5.pk}:2026-03-10", soon.format("12/03/2026", label_b)),
    }
    added = set(Notification.objects.exclude(pk__in=before).values_list("user_id", "document_id", "kind", "key",
                                                                         "message"))
    assert added == expected
    assert made == len(expected)
    assert not Notification.objects.exclude(pk__in=before).filter(read_at__isnull=False).exists()
    # Twice the same day: nothing new.
    assert notifications.send_reminders(DAY) == 0
    assert Notification.objects.count() == len(before) + len(expected)


def _many(w, n: int) -> None:
    """n open overdue assignments: a third to a person, the others to units (one or two heads)."""
    targets = [{"user": w.spec}, {"unit": w.cds}, {"unit": w.bcvt}]
    for i in range(n):
        doc = _open_doc(w, number=i + 1, notation="UBND-VP", subject=f"Về việc {i}")
        _assign(doc, deadline=OVERDUE, **targets[i % 3])


def _queries(day) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        made = notifications.send_reminders(day)
    return made, len(queries)


def test_queries_of_a_run_do_not_grow_with_the_assignments(world):
    w = world
    _second_cds_head(w)
    _many(w, 30)
    made_30, first_30 = _queries(DAY)
    _, again_30 = _queries(DAY)
    _many(w, 60)  # 90 in all; the next day every key is new again
    made_90, first_90 = _queries(DAY + dt.timedelta(days=1))
    _, again_90 = _queries(DAY + dt.timedelta(days=1))
    assert (made_30, made_90) == (40, 120)  # a third to one person, a third to two heads, a third to one
    # SQLite inserts at most 999 parameters a statement (142 notifications): more rows, one more INSERT
    assert first_90 <= first_30 + 2, (first_30, first_90)
    assert again_90 == again_30, (again_30, again_90)
    assert first_90 <= 12 and again_90 <= 6, (first_90, again_90)


def test_unit_heads_of_many_units_agree_with_unit_heads(world):
    from tests import factories
    from vpdt.directory.models import RoleAssignment
    from vpdt.directory.roles import Role
    from vpdt.workflow.services import unit_heads, unit_heads_of

    w = world
    _second_cds_head(w)
    gone = factories.person(w.agency, Role.UNIT_HEAD, unit=w.bcvt, username="nghiviec")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    elsewhere = factories.person(w.other, Role.SPECIALIST, unit=w.vp, username="khac")  # a head elsewhere only
    RoleAssignment.objects.create(user=elsewhere, agency=w.other, role=Role.UNIT_HEAD)
    RoleAssignment.objects.create(user=w.head, agency=w.other, role=Role.UNIT_HEAD)  # two roles: once
    empty = factories.unit(w.agency, "TTr", "Thanh tra")
    units = [w.cds, w.bcvt, w.vp, empty]
    found = unit_heads_of([u.pk for u in units])
    assert set(found) == {u.pk for u in units}
    for unit in units:
        assert sorted(p.pk for p in found[unit.pk]) == sorted(p.pk for p in unit_heads(unit)), unit
    assert len(found[w.cds.pk]) == 2 and found[empty.pk] == [] and unit_heads_of([]) == {}


def test_digest_counts_nothing_again_for_leaders_who_have_it(world):
    from tests import factories
    from vpdt.records.choices import Direction, State

    day = DAY
    doc = _open_doc(world, subject="Về việc E", due_date=OVERDUE)
    _assign(doc, user=world.spec, deadline=OVERDUE)
    factories.document(world.other, direction=Direction.INCOMING, state=State.IN_PROGRESS, due_date=SOON)
    made, _ = _digest_queries(day)
    assert made == 3  # both leaders of the agency, the other agency's leader
    assert sorted(Notification.objects.filter(kind="digest").values_list("message", flat=True)) == [
        "Tổng hợp ngày 10/03/2026: 0 văn bản chờ xử lý, 0 văn bản quá hạn, 1 văn bản sắp đến hạn.",
        *["Tổng hợp ngày 10/03/2026: 0 văn bản chờ xử lý, 1 văn bản quá hạn, 0 văn bản sắp đến hạn."] * 2]
    again, queries = _digest_queries(day)
    assert again == 0 and queries == 2, queries  # who has it, the leaders: nothing counted again


def _digest_queries(day) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        made = notifications.send_daily_digest(day)
    return made, len(queries)


def test_notify_adds_each_person_once_per_key_in_one_insert(world):
    """Everyone named gets the notice once (a person named twice, or who has its key already, is
    skipped); the count is of those added; one INSERT for all, no savepoint; without a key the
    same notice may come again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    people = [factories.clerk(world.agency) for _ in range(3)]
    assert notifications.notify([people[0]], None, "arrived", "Văn bản đến", key="k:1") == 1
    with CaptureQueriesContext(connection) as queries:
        made = notifications.notify([*people, people[1], None], None, "arrived", "Văn bản đến", key="k:1")
    assert made == 2
    assert sorted(Notification.objects.filter(key="k:1").values_list("user_id", flat=True)) == sorted(
        p.pk for p in people)
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum(s.startswith("INSERT") for s in sql) == 1 and not any("SAVEPOINT" in s for s in sql)
    assert notifications.notify(people, None, "arrived", "Văn bản đến", key="k:1") == 0
    assert notifications.notify(people[:2], None, "approved", "Đã duyệt") == 2
    assert notifications.notify(people[:2], None, "approved", "Đã duyệt") == 2
    assert Notification.objects.filter(kind="approved").count() == 4

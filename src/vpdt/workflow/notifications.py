"""Notifications (the bell), their e-mails, deadline reminders and the leaders' daily digest.

Notifications are rows first; e-mail follows from the worker (`deliver_emails`) over the
SMTP settings (VPDT_SMTP_*), so a slow or absent mail server never slows a page down.
Reminders and digests carry a key per person and day: running them twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from vpdt.core.prepared import Read, Update
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.workflow import holidays
from vpdt.workflow.models import Assignment, Notification

log = logging.getLogger("vpdt.workflow")

# Kinds also sent by e-mail (the others stay in the bell).
EMAIL_KINDS = {"assigned", "review", "reminder", "overdue", "digest", "extension", "arrived", "submitted",
               # what the interconnection did for the receiving clerk (workflow.arrivals)
               "exchange_arrived", "exchange_reconciled", "exchange_recalled", "exchange_updated",
               "exchange_replaced"}

# Kinds that ask something of the person (the bell lists them first); the others are for information.
ACTION_KINDS = {"submitted", "assigned", "review", "reminder", "overdue", "extension", "transfer_back",
                "approved", "sent_back", "arrived", "exchange_arrived"}


# Who has a notice's key already: every keyed notice asks (vpdt.core.prepared: written once).
_HAVE = Read(lambda key, ids: Notification.objects.filter(key=key, user_id__in=ids).values_list("user_id"),
             key=str, ids=[int])


def notify(users: Iterable[User | None], document: Document | None, kind: str, message: str, *,
           key: str = "", new_key: bool = False) -> int:
    """Add a notification for each person (once per `key` when given); returns how many were added.

    One INSERT for them all, no savepoint: with a key, those who have it already are asked first
    (one statement), and a row written concurrently with the same key is skipped by the INSERT
    itself (the unique (user, key)), so it never breaks the caller's transaction. `new_key`: the
    caller knows nobody can have the key yet (it names a document made in this transaction), so
    nobody is asked."""
    ids = list(dict.fromkeys(u.pk for u in users if u is not None))
    if not ids:
        return 0
    if key and not new_key:
        have = {row[0] for row in _HAVE.rows(key=key, ids=ids)}
        ids = [pk for pk in ids if pk not in have]
    rows = [Notification(user_id=pk, document=document, kind=kind, message=message[:500], key=key) for pk in ids]
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    return len(rows)


# The bell's count, on every page: one prepared statement (vpdt.core.prepared); no row is 0.
_UNREAD = Read(lambda user_id: Notification.objects.filter(user_id=user_id, read_at__isnull=True).order_by()
               .values("user_id").annotate(n=Count("id")).values_list("n"), user_id=int)


def unread_count(user) -> int:
    return _UNREAD.scalar(user_id=user.pk) or 0


def for_bell(user, limit: int = 100) -> dict:
    """The bell's list: what needs me first (ACTION_KINDS), then what is for information,
    each newest first, with the unread count of each part."""
    mine = Notification.objects.filter(user=user).select_related("document")
    action = mine.filter(kind__in=ACTION_KINDS)
    info = mine.exclude(kind__in=ACTION_KINDS)
    return {
        "action": list(action.order_by("-created_at", "-id")[:limit]),
        "info": list(info.order_by("-created_at", "-id")[:limit]),
        "action_unread": action.filter(read_at__isnull=True).count(),
        "info_unread": info.filter(read_at__isnull=True).count(),
    }


def mark_read(user, notification_id: int | None = None) -> None:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    qs.update(read_at=timezone.now())


def _site_url() -> str:
    return getattr(settings, "VPDT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


MAIL_BATCH = 200  # notices mailed per run at most (the job runs again at once while it finds some)

# The notices to mail: the e-mail job asks after every arrival (vpdt.core.prepared: written once;
# through the ORM it was compiled again at each run, about 1 ms). Only the person is joined: the
# mail names the document by its id.
_TO_MAIL = Read(lambda since: Notification.objects.filter(emailed_at__isnull=True, kind__in=sorted(EMAIL_KINDS),
                                                          created_at__gte=since)
                .exclude(user__email="").select_related("user").order_by("id")[:MAIL_BATCH], since=dt.datetime)
_MAILED = Update(lambda pk, at: (Notification.objects.filter(pk=pk), {"emailed_at": at}), pk=int, at=dt.datetime)


def deliver_emails() -> int:
    """Mail notifications not yet mailed (recent, mail-worthy kinds, people with an address), up to
    MAIL_BATCH a run; returns how many were sent."""
    pending = _TO_MAIL.instances(since=timezone.now() - dt.timedelta(days=2))
    if not pending:
        return 0
    sent = 0
    try:
        connection = get_connection(timeout=10)
        connection.open()
    except OSError as exc:
        log.warning("SMTP %s:%s unreachable: %s", settings.EMAIL_HOST, settings.EMAIL_PORT, exc)
        return 0
    try:
        for n in pending:
            link = f"\n\n{_site_url()}/van-ban/{n.document_id}/" if n.document_id else ""
            body = f"Kính gửi {n.user.get_full_name() or n.user.username},\n\n{n.message}{link}\n\n— vpdt"
            send_mail(f"[vpdt] {n.message[:120]}", body, settings.DEFAULT_FROM_EMAIL, [n.user.email],
                      connection=connection)
            _MAILED.run(pk=n.pk, at=timezone.now())
            sent += 1
    except OSError as exc:
        log.warning("SMTP delivery stopped after %d messages: %s", sent, exc)
    finally:
        try:
            connection.close()
        except OSError:
            pass
    return sent


def _label(document: Document) -> str:
    code = document.code or (f"số đến {document.incoming_number_text}" if document.incoming_number else "")
    return f"{code + ' – ' if code else ''}{document.subject[:90]}"


# Open assignments read per chunk by send_reminders: one query of keys and one insert a chunk.
REMINDER_CHUNK = 2_000


class _LabelFields:
    """What `_label` reads of a document, from a row of values: Document's own properties."""

    __slots__ = ("number", "notation", "incoming_number", "subject")
    code = Document.code
    number_text = Document.number_text
    incoming_number_text = Document.incoming_number_text

    def __init__(self, number, notation, incoming_number, subject):
        self.number, self.notation, self.incoming_number, self.subject = number, notation, incoming_number, subject


def send_reminders(day: dt.date | None = None) -> int:
    """Remind handlers of open assignments due within two working days or overdue (once a day each).

    The assignments are read REMINDER_CHUNK at a time, only the columns the text needs; each
    chunk costs one query of the keys already there and one insert of the missing notifications,
    and each unit's heads are looked up once a run. The unique (user, key) constraint still
    guards against a concurrent run: its rows are skipped, not doubled (counted here, though,
    when it wrote them between this run's look-up and its insert)."""
    from vpdt.workflow.services import unit_heads_of

    day = day or timezone.localdate()
    horizon = holidays.add_working_days(day, holidays.DUE_SOON_WORKING_DAYS)
    due = (Assignment.objects.filter(state__in=Assignment.OPEN, deadline__isnull=False, deadline__lte=horizon,
                                     document__state__in=(State.ASSIGNED, State.IN_PROGRESS))
           .exclude(role=Assignment.Role.INFO).order_by("pk")
           .values_list("pk", "deadline", "user_id", "unit_id", "document_id", "document__number",
                        "document__notation", "document__incoming_number", "document__subject"))
    heads: dict[int, list[int]] = {}  # unit id -> its heads' ids, once a run
    made, last = 0, 0
    while chunk := list(due.filter(pk__gt=last)[:REMINDER_CHUNK]):
        last = chunk[-1][0]
        units = {row[3] for row in chunk if not row[2]} - heads.keys()
        heads.update({unit: [p.pk for p in people] for unit, people in unit_heads_of(units).items()})
        wanted = []  # (key, kind, row, people)
        for row in chunk:
            kind = "overdue" if holidays.deadline_status(row[1], day) == "overdue" else "reminder"
            wanted.append((f"{kind}:{row[0]}:{day.isoformat()}", kind, row, [row[2]] if row[2] else heads[row[3]]))
        there = set(Notification.objects.filter(key__in=[key for key, *_ in wanted]).exclude(key="")
                    .order_by().values_list("user_id", "key"))
        new = [Notification(user_id=person, document_id=row[4], kind=kind, message=_reminder_text(kind, row),
                            key=key)
               for key, kind, row, people in wanted for person in people if (person, key) not in there]
        if new:
            with transaction.atomic():
                Notification.objects.bulk_create(new, ignore_conflicts=True)
        made += len(new)
        if len(chunk) < REMINDER_CHUNK:
            break
    return made


def _reminder_text(kind: str, row: tuple) -> str:
    deadline, label = row[1], _label(_LabelFields(*row[5:]))
    if kind == "overdue":
        return f"Quá hạn xử lý (hạn {deadline:%d/%m/%Y}): {label}"[:500]
    return f"Sắp đến hạn xử lý ({deadline:%d/%m/%Y}): {label}"[:500]


def send_daily_digest(day: dt.date | None = None) -> int:
    """Each leader gets, once a day, what waits for them, what is overdue and what falls due soon."""
    from vpdt.workflow import queues

    day = day or timezone.localdate()
    horizon = holidays.add_working_days(day, holidays.DUE_SOON_WORKING_DAYS)
    made, key = 0, f"digest:{day.isoformat()}"
    # The hourly runs after the first: who has today's digest is not counted again.
    done = set(Notification.objects.filter(key=key).exclude(key="").order_by().values_list("user_id", flat=True))
    per_agency: dict[int, tuple[int, int]] = {}  # agency id -> (overdue, due soon): the same for its leaders
    leaders = User.objects.filter(is_active=True, role_assignments__role=Role.LEADER).distinct()
    for leader in leaders:
        if leader.pk in done:
            continue
        if leader.agency_id not in per_agency:
            agency_docs = Document.objects.filter(agency_id=leader.agency_id, direction=Direction.INCOMING,
                                                  state__in=[State.ASSIGNED, State.IN_PROGRESS])
            per_agency[leader.agency_id] = (agency_docs.filter(due_date__lt=day).count(),
                                            agency_docs.filter(Q(due_date__gte=day) & Q(due_date__lte=horizon)).count())
        overdue, soon = per_agency[leader.agency_id]
        waiting = queues.waiting(leader, day=day).count()
        if not (waiting or overdue or soon):
            continue
        text = (f"Tổng hợp ngày {day:%d/%m/%Y}: {waiting} văn bản chờ xử lý, {overdue} văn bản quá hạn, "
                f"{soon} văn bản sắp đến hạn.")
        made += notify([leader], None, "digest", text, key=key)
    return made


def run_daily(day: dt.date | None = None, *, email: bool = True) -> dict:
    """Reminders and digests for `day`, then the e-mails: what the worker job and the command do."""
    result = {"reminders": send_reminders(day), "digests": send_daily_digest(day)}
    if email:
        result["emails"] = deliver_emails()
    return result

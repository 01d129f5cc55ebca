"""From the audit log to the outbox: which audit actions are which public events.

The audit log already records every state change of a document, in commit order (`seq` is
taken under the chain head's lock, held until the writer commits, so no entry with a lower
`seq` can appear later). The dispatch job reads the entries after its watermark
(`WebhookCursor.seq`), maps their action codes to public event names, and writes one
`WebhookDelivery` per subscription of the document's agency that wants the event. The
"overdue" event has no audit entry (nothing happens: a date passes), so the job looks for
open documents whose due date has just passed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.core.models import AuditEntry
from vpdt.records.choices import State
from vpdt.records.models import Document
from vpdt.webhooks.models import WebhookCursor, WebhookDelivery, WebhookSubscription

ARRIVED = "document.arrived"
REGISTERED = "document.registered"
DIRECTED = "document.directed"
COMPLETED = "document.completed"
OVERDUE = "document.overdue"
RELEASED = "document.released"
RECIPIENT_STATUS = "recipient.status"
RECALLED = "document.recalled"

# The public events, in the order the pages list them, with what a person reads.
EVENTS = {
    ARRIVED: _("Văn bản đến (qua trục liên thông hoặc tiếp nhận)"),
    REGISTERED: _("Vào sổ văn bản đến"),
    DIRECTED: _("Lãnh đạo phân công xử lý (lần đầu)"),
    COMPLETED: _("Hoàn thành xử lý"),
    OVERDUE: _("Quá hạn xử lý"),
    RELEASED: _("Phát hành văn bản đi"),
    RECIPIENT_STATUS: _("Tình trạng của từng nơi nhận thay đổi"),
    RECALLED: _("Thu hồi văn bản"),
}

# audit action -> public event
ACTIONS = {
    "document.receive": ARRIVED,
    "document.register": REGISTERED,
    "document.assign": DIRECTED,
    "document.complete": COMPLETED,
    "document.release": RELEASED,
    "document.recall": RECALLED,
}
# Every move of a recipient (records.delivery.move) is audited on its document with these
# actions and a detail {"recipient", "recipient_name", "recipient_state": [before, after]}.
RECIPIENT_ACTIONS = {"recipient.state", "exchange.sent", "exchange.status_received", "document.deliver_unit",
                     "document.acknowledge", "document.recall_unit", "document.paper_sent"}
WATCHED = set(ACTIONS) | RECIPIENT_ACTIONS
# An incoming document still being handled: it can be overdue.
OPEN_STATES = (State.REGISTERED, State.SUBMITTED, State.ASSIGNED, State.IN_PROGRESS)
BATCH = 500


def _document_part(document: Document, state: str | None = None) -> dict:
    # A secret document's subject stays in the e-office: the receiver gets its id and code only.
    return {"id": document.pk, "code": document.code, "subject": "" if document.is_secret else document.subject,
            "state": state or document.state, "direction": document.direction, "secret": document.is_secret,
            "due_date": document.due_date.isoformat() if document.due_date else None}


def _payload(event: str, occurred_at: dt.datetime, document: Document, *, state: str | None = None,
             extra: dict | None = None) -> dict:
    return {"event": event, "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "agency_code": document.agency.code, "document": _document_part(document, state), **(extra or {})}


def _event_of(entry: AuditEntry) -> tuple[str, str, dict, str | None] | None:
    """(event, event_id, extra payload, state) of an audit entry, or None if it is no event."""
    detail = entry.detail or {}
    if entry.action in RECIPIENT_ACTIONS:
        moved = detail.get("recipient_state")
        if not detail.get("recipient") or not isinstance(moved, list) or len(moved) != 2 or moved[0] == moved[1]:
            return None  # the document-level "sent" line, or a repeated state
        extra = {"recipient": {"id": detail["recipient"], "name": detail.get("recipient_name", ""),
                               "previous_state": moved[0], "state": moved[1],
                               "status_code": detail.get("status_code") or ""}}
        return RECIPIENT_STATUS, f"audit:{entry.seq}", extra, None
    event = ACTIONS.get(entry.action)
    if event is None:
        return None
    if event == DIRECTED:
        # Only the first assignment directs the document: one event per document, ever.
        return event, f"directed:{entry.object_id}", {}, detail.get("to")
    return event, f"audit:{entry.seq}", {}, detail.get("to")


def _active_by_agency() -> dict[int, list[WebhookSubscription]]:
    found: dict[int, list[WebhookSubscription]] = {}
    for s in WebhookSubscription.objects.filter(active=True).order_by("pk"):
        found.setdefault(s.agency_id, []).append(s)
    return found


def _subscribers(active: dict[int, list[WebhookSubscription]], agency_id: int, event: str,
                 at: dt.datetime) -> list[WebhookSubscription]:
    """The agency's own active subscriptions that want `event` and existed when it happened."""
    return [s for s in active.get(agency_id, []) if event in (s.events or []) and s.created_at <= at]


def _enqueue(subscription: WebhookSubscription, event: str, event_id: str, occurred_at: dt.datetime,
             payload: dict) -> bool:
    if WebhookDelivery.objects.filter(subscription=subscription, event_id=event_id).exists():
        return False
    key = uuid.uuid4()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(uuid=key, subscription=subscription, event=event, event_id=event_id,
                                           occurred_at=occurred_at, payload={"id": str(key), **payload})
    except IntegrityError:  # the same event enqueued meanwhile: never twice
        return False
    return True


def _lock_cursor() -> WebhookCursor:
    """The cursor row, write-locked for this transaction (one collector at a time)."""
    if not WebhookCursor.objects.filter(pk=1).update(seq=F("seq")):
        WebhookCursor.objects.get_or_create(pk=1)
    return WebhookCursor.objects.select_for_update().get(pk=1)


def start_cursor() -> None:
    """A first subscription starts the watermark at the audit log's head (no replay of history)."""
    with transaction.atomic():
        cursor = _lock_cursor()
        if cursor.seq == 0:
            last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first()
            WebhookCursor.objects.filter(pk=1).update(seq=last or 0)


def collect() -> int:
    """Enqueue the events of the audit entries after the watermark; returns how many entries it read."""
    head = AuditEntry.objects.aggregate(head=Max("seq"))["head"] or 0
    if WebhookCursor.objects.filter(pk=1, seq__gte=head).exists():
        return 0  # nothing new: no write at all (the job runs every few seconds)
    made = 0
    with transaction.atomic():
        cursor = _lock_cursor()
        active = _active_by_agency()
        if not active:
            # Nobody listens: keep up with the head, never replay the history later.
            last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first()
            WebhookCursor.objects.filter(pk=1).update(seq=last or 0)
            return 0
        entries = list(AuditEntry.objects.filter(seq__gt=cursor.seq).order_by("seq")[:BATCH])
        if not entries:
            return 0
        wanted = [e for e in entries if e.action in WATCHED and e.object_type == "records.document"]
        documents = Document.objects.select_related("agency").in_bulk(
            {int(e.object_id) for e in wanted if e.object_id.isdigit()})
        for entry in wanted:
            found = _event_of(entry)
            document = documents.get(int(entry.object_id)) if entry.object_id.isdigit() else None
            if found is None or document is None:
                continue
            event, event_id, extra, state = found
            # The document's own agency: another agency's events never reach this one's URLs.
            for subscription in _subscribers(active, document.agency_id, event, entry.at):
                payload = _payload(event, entry.at, document, state=state, extra=extra)
                made += _enqueue(subscription, event, event_id, entry.at, payload)
        WebhookCursor.objects.filter(pk=1).update(seq=entries[-1].seq)
    return len(entries)


def collect_overdue(today: dt.date | None = None) -> int:
    """Enqueue "overdue" for open documents whose due date passed since the last check."""
    today = today or timezone.localdate()
    if WebhookCursor.objects.filter(pk=1, overdue_through__gte=today - dt.timedelta(days=1)).exists():
        return 0  # checked today already
    made = 0
    with transaction.atomic():
        cursor = _lock_cursor()
        since = cursor.overdue_through or (today - dt.timedelta(days=2))
        until = today - dt.timedelta(days=1)  # due yesterday: overdue from today on
        if until <= since:
            return 0
        active = _active_by_agency()
        agency_ids = {a for a, subs in active.items() if any(OVERDUE in (s.events or []) for s in subs)}
        now = timezone.now()
        documents = (Document.objects.filter(agency_id__in=agency_ids, state__in=OPEN_STATES,
                                             due_date__gt=since, due_date__lte=until)
                     .select_related("agency").order_by("due_date", "pk"))
        for document in documents.iterator():
            for subscription in _subscribers(active, document.agency_id, OVERDUE, now):
                payload = _payload(OVERDUE, now, document)
                made += _enqueue(subscription, OVERDUE, f"overdue:{document.pk}:{document.due_date.isoformat()}",
                                 now, payload)
        WebhookCursor.objects.filter(pk=1).update(overdue_through=until)
    return made


RETENTION_DAYS = 90


def prune(now: dt.datetime | None = None) -> int:
    """Forget delivered deliveries (and their attempts) older than RETENTION_DAYS; failed ones stay."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=RETENTION_DAYS)
    gone, _by_model = WebhookDelivery.objects.filter(state=WebhookDelivery.State.DELIVERED,
                                                     delivered_at__lt=cutoff).delete()
    return gone

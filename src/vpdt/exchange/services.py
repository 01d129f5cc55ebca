"""The exchange's operations for people and other apps: connect an agency to a hub, the
delivery history of a document, update, take-back request and its answer.

Releases, revokes and replacements need no call here: records.services.release calls the
deliverer the exchange registers (records.seams), and the exchange listens to
records.signals.document_state_changed for the rest (receivers.py).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from vpdt import edxml
from vpdt.core import audit, tasks
from vpdt.core.errors import InvalidInput, InvalidState
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.exchange import outbox, statuses
from vpdt.exchange.errors import NotElectronic
from vpdt.exchange.models import HubConnection, OutboxMessage, StatusEvent, TakeBackRequest
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.records.permissions import require_role
from vpdt.records.services import set_state


def connect(agencies: list[Agency], *, endpoint: str, system_id: str, secret: str, name: str = "",
            user=None) -> HubConnection:
    """Platform admin: the agencies reach the hub at `endpoint` as system `system_id` (secret stored encrypted)."""
    if not endpoint.startswith(("http://", "https://", "/")):
        raise InvalidInput("Địa chỉ trục phải bắt đầu bằng http://, https:// hoặc / (trục gắn trong hệ thống này).",
                           code="EXCHANGE_BAD_ENDPOINT")
    with transaction.atomic():
        connection = HubConnection.objects.filter(endpoint=endpoint, system_id=system_id).first() or HubConnection(
            endpoint=endpoint, system_id=system_id)
        connection.name = name or connection.name
        connection.set_secret(secret)
        connection.enabled = True
        connection.save()
        connection.agencies.add(*agencies)
        audit.record("exchange.connect", connection, user=user, agency_code=agencies[0].code if agencies else "",
                     detail={"endpoint": endpoint, "system_id": system_id, "agencies": [a.code for a in agencies]})
        # their package keys made now, in the background, not in a clerk's first release
        transaction.on_commit(lambda: tasks.wake("exchange.package_keys"))
    return connection


def delivery_history(document: Document) -> list[dict]:
    """Per recipient travelling over the interconnection: latest state and status history.

    [{"recipient", "code", "name", "state", "state_label", "status_code", "status_name", "status_at",
      "outbox": {"state", "attempts", "last_error", "next_attempt_at", "sent_at"} | None,
      "events": [{"code", "name", "description", "staff", "at", "reported_at"}]}]
    """
    messages = {}
    for m in OutboxMessage.objects.filter(document=document, message_type=OutboxMessage.EDOC,
                                          business_type=0).order_by("id"):
        messages[m.recipient_id] = m
    events: dict[int, list] = {}
    for e in StatusEvent.objects.filter(document=document, recipient__isnull=False).order_by("created_at", "id"):
        events.setdefault(e.recipient_id, []).append({
            "code": e.status_code, "name": edxml.STATUS_NAMES.get(e.status_code, e.status_code),
            "description": e.description, "staff": e.staff, "at": e.created_at, "reported_at": e.reported_at,
        })
    out = []
    for r in document.recipients.select_related("agency").order_by("id"):
        if r.pk not in messages:
            continue
        m = messages[r.pk]
        out.append({
            "recipient": r, "code": outbox.recipient_code(r), "name": r.display_name, "state": r.state,
            "state_label": r.get_state_display(), "status_code": r.status_code,
            "status_name": edxml.STATUS_NAMES.get(r.status_code, r.status_code) if r.status_code else "",
            "status_at": r.status_at,
            "outbox": {"state": m.state, "attempts": m.attempts, "last_error": m.last_error,
                       "next_attempt_at": m.next_attempt_at, "sent_at": m.sent_at},
            "events": events.get(r.pk, []),
        })
    return out


def status_history(document: Document) -> list[StatusEvent]:
    """Statuses sent and received about one document (either side), oldest first."""
    return list(StatusEvent.objects.filter(document=document).order_by("created_at", "id"))


def _require_sent(document: Document) -> None:
    if document.direction == Direction.INCOMING or not OutboxMessage.objects.filter(
            document=document, message_type=OutboxMessage.EDOC, business_type=0).exists():
        raise NotElectronic("Văn bản chưa được gửi qua trục liên thông.", detail=f"document {document.pk}")


def send_update(user, document: Document, info: str) -> list[OutboxMessage]:
    """Cập nhật (business type 2): the released document's current metadata and files, with what changed."""
    require_role(user, document.agency_id, Role.CLERK)
    _require_sent(document)
    if not (info or "").strip():
        raise InvalidInput("Cần ghi rõ nội dung cập nhật.", code="REASON_REQUIRED")
    from vpdt.exchange.receivers import _reached

    with transaction.atomic():
        return outbox.queue_business(document, edxml.BUSINESS_UPDATE, user, info=info, reason=info,
                                     recipients=_reached(document))


def request_take_back(user, document: Document, reason: str) -> list[OutboxMessage]:
    """The sender's clerk asks every receiver to give the document back (status 13)."""
    require_role(user, document.agency_id, Role.CLERK)
    _require_sent(document)
    if not (reason or "").strip():
        raise InvalidInput("Cần ghi rõ lý do lấy lại văn bản.", code="REASON_REQUIRED")
    from vpdt.exchange.receivers import _reached

    messages = []
    with transaction.atomic():
        for recipient in _reached(document):
            code = outbox.recipient_code(recipient)
            if TakeBackRequest.objects.filter(document=document, organ_id=code, answer="").exists():
                continue
            TakeBackRequest.objects.create(document=document, organ_id=code, reason=reason, outgoing=True)
            message = outbox.queue_status(document, statuses.TAKE_BACK, user, description=reason, to_code=code)
            OutboxMessage.objects.filter(pk=message.pk).update(recipient=recipient)
            StatusEvent.objects.filter(document=document, direction=StatusEvent.SENT,
                                       status_code=statuses.TAKE_BACK, recipient__isnull=True).update(
                recipient=recipient)
            messages.append(message)
        audit.record("exchange.take_back_request", document, user=user, detail={"reason": reason})
    return messages


def answer_take_back(user, incoming_document: Document, accept: bool) -> OutboxMessage:
    """The receiver's clerk answers a take-back request: 15 (agreed: the copy is recalled) or 16."""
    require_role(user, incoming_document.agency_id, Role.CLERK)
    with transaction.atomic():
        request = (TakeBackRequest.objects.select_for_update()
                   .filter(document=incoming_document, outgoing=False, answer="").order_by("id").first())
        if request is None:
            raise InvalidState("Không có yêu cầu lấy lại văn bản nào đang chờ trả lời.",
                               code="EXCHANGE_NO_TAKE_BACK_REQUEST")
        code = statuses.AGREED if accept else statuses.REFUSED
        request.answer, request.answered_at = code, timezone.now()
        request.save(update_fields=["answer", "answered_at"])
        message = outbox.queue_status(incoming_document, code, user, to_code=request.organ_id,
                                      description="Đồng ý trả lại văn bản" if accept else "Không đồng ý trả lại")
        if accept and incoming_document.state not in (State.RECALLED, State.REPLACED):
            set_state(incoming_document, State.RECALLED, user, "exchange.taken_back",
                      {"requested_by": request.organ_id, "reason": request.reason})
    return message


def pending_take_back(document: Document) -> TakeBackRequest | None:
    return TakeBackRequest.objects.filter(document=document, outgoing=False, answer="").first()


def retry(user, message: OutboxMessage) -> None:
    outbox.retry(message, user)

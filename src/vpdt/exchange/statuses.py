"""Status feedback: which state change sends which StatusCode, and what a received status changes.

Receiver side: registering, rejecting, assigning, processing and completing an
electronic incoming document send 03, 02, 04, 05, 06 to its issuer (01 is sent on
receipt by the inbox). Sender side: a received status moves the Recipient it is about
(matched by the original DocumentId and the reporting agency) through records.delivery,
as the agency's interconnection, and adds a StatusEvent.
"""

from __future__ import annotations

from django.db.models import Subquery
from django.utils import timezone

from vpdt import edxml
from vpdt.core import audit
from vpdt.core.prepared import Insert, Read
from vpdt.directory.models import Agency
from vpdt.exchange.models import InboxItem, StatusEvent, TakeBackRequest
from vpdt.records import delivery
from vpdt.records.actors import interconnection
from vpdt.records.choices import DeliveryState, Direction, State
from vpdt.records.models import Document, Recipient

RECEIVED = "01"
REJECTED = "02"
ACCEPTED = "03"
ASSIGNED = "04"
PROCESSING = "05"
COMPLETED = "06"
TAKE_BACK = "13"
AGREED = "15"
REFUSED = "16"

# The receiver's state change -> the status sent to the issuer.
STATE_TO_STATUS = {
    State.REGISTERED: ACCEPTED,
    State.RETURNED: REJECTED,
    State.ASSIGNED: ASSIGNED,
    State.IN_PROGRESS: PROCESSING,
    State.COMPLETED: COMPLETED,
}
# A received status -> the Recipient's delivery state at the sender.
STATUS_TO_DELIVERY = {
    RECEIVED: DeliveryState.DELIVERED,
    REJECTED: DeliveryState.REJECTED,
    ACCEPTED: DeliveryState.ACCEPTED,
    ASSIGNED: DeliveryState.ASSIGNED,
    PROCESSING: DeliveryState.PROCESSING,
    COMPLETED: DeliveryState.COMPLETED,
    AGREED: DeliveryState.RECALLED,
}
# Statuses may overtake each other on the way: the progress shown never goes back
# (records.delivery.ALLOWED says which moves are forward).


# What each status says when it goes out (QCVN 102 Description; the sample packages write
# "<who>: <what>"): never empty, the person's note after it.
DESCRIPTIONS = {
    RECEIVED: "Đã đến - Phần mềm quản lý văn bản đã nhận, văn thư chưa xử lý",
    REJECTED: "Từ chối tiếp nhận văn bản",
    ACCEPTED: "Đã tiếp nhận - văn thư đã vào sổ văn bản đến",
    ASSIGNED: "Đã phân công xử lý",
    PROCESSING: "Đang xử lý",
    COMPLETED: "Đã hoàn thành xử lý",
    TAKE_BACK: "Đề nghị lấy lại văn bản",
    AGREED: "Đồng ý cập nhật/lấy lại văn bản",
    REFUSED: "Từ chối cập nhật/lấy lại văn bản",
}


# Every status sent or received is one event: its INSERT written once (vpdt.core.prepared.Insert).
NEW_EVENT = Insert(StatusEvent)


def describe(code: str, note: str = "") -> str:
    """The Description a status goes out with: what it means, then the person's note."""
    base = DESCRIPTIONS.get(code) or edxml.STATUS_NAMES.get(code) or f"Trạng thái {code}"
    note = (note or "").strip()
    if not note or base.startswith(note):
        return base
    if code in REASONS:
        return note  # the reason is what the other side reads (and shows) as the Description
    return f"{base}: {note}"


# Statuses whose Description is a reason the person gives.
REASONS = {REJECTED, TAKE_BACK, AGREED, REFUSED}


def status_for_state(new_state: str) -> str | None:
    return STATE_TO_STATUS.get(new_state)


def is_electronic_incoming(document: Document) -> bool:
    return document.direction == Direction.INCOMING and bool(document.edxml_document_id) and bool(document.issuer_code)


def _reported_at(status: edxml.StatusPackage):
    if status.timestamp is None:
        return timezone.now()
    return timezone.make_aware(status.timestamp, timezone.get_fixed_timezone(7 * 60))


# Every status that arrives makes these reads: written out once (vpdt.core.prepared).
def _latest_sent(agency_id, document_id):
    return (Document.objects.filter(agency_id=agency_id, edxml_document_id=document_id)
            .exclude(direction=Direction.INCOMING).order_by("-id"))


_SENT = Read(lambda agency_id, document_id: _latest_sent(agency_id, document_id)[:1], agency_id=int, document_id=str)
# The usual answer in one statement: the recipient, with its agency, unit and document, on that
# latest document, answering under one of the agency's codes.
_RECIPIENT = Read(lambda agency_id, document_id, codes: Recipient.objects.select_related("agency", "unit", "document")
                  .filter(document_id=Subquery(_latest_sent(agency_id, document_id).values("id")[:1]),
                          agency__code__in=codes).order_by("pk")[:1], agency_id=int, document_id=str, codes=[str])
# a recipient named by its organ id, with its agency and unit: the audit entry names them
_BY_ORGAN = Read(lambda doc_id, codes: Recipient.objects.select_related("agency", "unit")
                 .filter(document_id=doc_id, organ_id__in=codes).order_by("pk")[:1], doc_id=int, codes=[str])


def _recipient_for(agency: Agency, document_id: str, from_code: str) -> Recipient | None:
    codes = list(Agency.aliases(from_code))  # a receiver may answer under its QCVN 102 or its QĐ 20 code
    recipient = _RECIPIENT.instance(agency_id=agency.pk, document_id=document_id, codes=codes)
    if recipient is not None:  # read with its document: delivery.move audits on it
        recipient.document.agency = agency  # the filter's: the audit entry names it without reading it again
        return recipient
    # Not one of the agency's recipients by code: a recipient named by its organ id only.
    document = _SENT.instance(agency_id=agency.pk, document_id=document_id)
    if document is None:
        return None
    document.agency = agency
    recipient = _BY_ORGAN.instance(doc_id=document.pk, codes=codes)
    if recipient is not None:
        recipient.document = document
    return recipient


def apply_received(item: InboxItem, status: edxml.StatusPackage, agency: Agency) -> None:
    """A status arrived for `agency`: update the sender's Recipient, or (13) note the request."""
    code = status.status_code
    from_code = status.from_.organ_id
    document_id = status.document_id or ""
    staff = (status.staff.staff or "") if status.staff else ""
    if code == TAKE_BACK:
        copy = (Document.objects.filter(agency=agency, direction=Direction.INCOMING, edxml_document_id=document_id,
                                        issuer_code__in=Agency.aliases(from_code)).order_by("-id").first())
        if copy is None:
            item.outcome, item.detail = InboxItem.UNMATCHED, f"no incoming copy of {document_id!r} from {from_code}"
            return
        item.document = copy
        NEW_EVENT.create(document=copy, direction=StatusEvent.RECEIVED, organ_id=from_code,
                         status_code=code, description=status.description or "", staff=staff[:200],
                         reported_at=_reported_at(status))
        if not TakeBackRequest.objects.filter(document=copy, organ_id=from_code, answer="").exists():
            TakeBackRequest.objects.create(document=copy, organ_id=from_code, reason=status.description or "",
                                           outgoing=False)
        audit.record("exchange.take_back_requested", copy, user=interconnection(agency),
                     detail={"from": from_code, "reason": status.description or ""})
        return
    recipient = _recipient_for(agency, document_id, from_code)
    if recipient is None:
        item.outcome, item.detail = InboxItem.UNMATCHED, f"no recipient {from_code} of {document_id!r}"
        return
    item.document_id = recipient.document_id
    now = timezone.now()
    NEW_EVENT.create(document_id=recipient.document_id, recipient=recipient,
                     direction=StatusEvent.RECEIVED, organ_id=from_code, status_code=code,
                     description=status.description or "", staff=staff[:200],
                     reported_at=_reported_at(status))
    new_state = STATUS_TO_DELIVERY.get(code)
    # A status that would move the recipient back (it overtook a later one) keeps the state.
    target = new_state if new_state is not None and delivery.allowed(recipient.state, new_state) else recipient.state
    if code in (AGREED, REFUSED):
        TakeBackRequest.objects.filter(document_id=recipient.document_id, organ_id=from_code, answer="",
                                       outgoing=True).update(answer=code, answered_at=now)
    delivery.move(interconnection(agency), recipient, target, action="exchange.status_received", status_code=code,
                  at=now, detail={"from": from_code, "status": code, "description": status.description or ""})

"""The outbox: packages written in the caller's transaction, sent later by the worker.

Writing: `queue_release`, `queue_business`, `queue_status` build the edXML package (streamed
from the attachment blobs into a temporary file, signed with the agency's key), store it
as a blob and add one OutboxMessage per receiver, inside the transaction of the change
that caused them: if writing fails, the change fails.

Sending: `send_pending` claims due messages with a lease, sends each to the hub and
records the hub's DocId. A hub that does not answer puts its connection in back-off and
leaves the messages pending, in order; a hub that refuses for good (unknown receiver,
malformed package) marks the message failed. Resending is safe: the hub recognises a
package it already has (same bytes, or same DocumentId for the same receiver) and
answers with the same DocId.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Iterator

import httpx
from django.conf import settings
from django.db import connections as databases
from django.db import router, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from vpdt import edxml
from vpdt.core import audit, blobs, incidents
from vpdt.core.i18n import vietnamese
from vpdt.core.models import Blob, Incident
from vpdt.core.prepared import AFTER_WRITE, Insert, Read, Update
from vpdt.directory.models import Agency
from vpdt.exchange import clients, connections, keys, mapping, statuses
from vpdt.exchange.errors import PackageWriteFailed, SecretDocument
from vpdt.exchange.models import HubConnection, OutboxMessage, StatusEvent
from vpdt.records import delivery
from vpdt.records import services as records
from vpdt.records.actors import interconnection
from vpdt.records.choices import DeliveryState, RecipientKind
from vpdt.records.models import Attachment, Document, Recipient
from vpdt.vxp.client import VxpProtocolError, VxpRemoteError

log = logging.getLogger("vpdt.exchange")
LEASE = dt.timedelta(minutes=5)  # default of settings.EXCHANGE_LEASE_SECONDS


# Every package queued is one message per receiver: its INSERT written once (vpdt.core.prepared.Insert).
_NEW_MESSAGE = Insert(OutboxMessage)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "EXCHANGE_LEASE_SECONDS", LEASE.total_seconds())))
# Refusals that concern the connection, not the package (credentials, signature header):
# the messages wait, in order, until an operator fixes the connection.
CONNECTION_ERRORS = {"101", "102", "103", "104"}
# Files that travel with a released document; opinions stay inside the agency.
TRAVELLING_KINDS = (Attachment.Kind.MAIN, Attachment.Kind.APPENDIX, Attachment.Kind.SCAN, Attachment.Kind.OTHER)


# --------------------------------------------------------------------------- writing
def _spool_dir() -> str:
    path = os.path.join(settings.DATA_DIR, "exchange", "tmp")
    os.makedirs(path, exist_ok=True)
    return path


def _store_package(write) -> Blob:
    """Run `write(fileobj)` straight into the blob store's spool (hashed as it is written) and
    store the result as a blob: a rename, not a copy (core.blobs.Staged)."""
    try:
        with blobs.Staged(max_bytes=PACKAGE_LIMIT, prefix="out-") as staged:
            write(staged)
            return blobs.store_checked(staged)[0]
    except (OSError, ValueError, edxml.EdxmlError) as exc:
        raise PackageWriteFailed("Không tạo được gói tin liên thông.", detail=f"{type(exc).__name__}: {exc}") from exc


# A package is bounded by its files: each within its agency's limit when written, by the hub
# and the reader's limits when received.
PACKAGE_LIMIT = 1 << 62


@contextlib.contextmanager
def _attachment_sources(document: Document) -> Iterator[list[edxml.AttachmentSource]]:
    """The document's travelling files as sources read from the blob store (paths when local)."""
    opened = []
    sources = []
    try:
        for att in _TRAVELLING.instances(doc_id=document.pk):
            path = blobs.local_path(att.blob)
            if path is None:
                fh = blobs.open_blob(att.blob)
                opened.append(fh)
                data = fh
            else:
                data = path
            sources.append(edxml.AttachmentSource(name=att.name, data=data, content_type=att.content_type or None,
                                                  description=att.description or att.name))
        yield sources
    finally:
        for fh in opened:
            fh.close()


# Every release reads its files (vpdt.core.prepared: the SQL written once).
_TRAVELLING = Read(lambda doc_id: Attachment.objects.filter(document_id=doc_id, kind__in=TRAVELLING_KINDS)
                   .select_related("blob").order_by("id"), doc_id=int)


def agency_recipients(recipients) -> list[Recipient]:
    """Recipients that travel over the interconnection: agencies (interconnected) or bare codes."""
    out = []
    for r in recipients:
        if r.kind != RecipientKind.AGENCY:
            continue
        if r.agency_id is not None and not r.agency.interconnected:
            continue
        if not (r.agency.code if r.agency_id else r.organ_id):
            continue
        out.append(r)
    return out


def recipient_code(recipient: Recipient) -> str:
    return recipient.agency.code if recipient.agency_id else recipient.organ_id.strip()


def _check_travels(document: Document) -> None:
    if document.is_secret:
        raise SecretDocument(
            f"Văn bản {document.code} là văn bản mật ({vietnamese(document.get_secrecy_display())}): không gửi qua trục liên thông.",
            detail=f"document {document.pk} secrecy={document.secrecy}",
        )


def _ensure_document_id(document: Document) -> str:
    if not document.edxml_document_id:
        records.set_exchange_identity(interconnection(document.agency), document,
                                      edxml_document_id=mapping.document_id_for(document))
    return document.edxml_document_id


def _document_package(document: Document, receivers: list[edxml.Organization], business: edxml.Business) -> Blob:
    header = mapping.to_header(document, receivers)
    signer = keys.signer_for(document.agency)
    with _attachment_sources(document) as sources:
        return _store_package(lambda fh: edxml.write_package(fh, header, sources, signer=signer, business=business))


def queue_release(document: Document, recipients, user=None) -> list[OutboxMessage]:
    """On release: one package for the agency recipients, one outbox message per recipient."""
    travelling = agency_recipients(recipients)
    if not travelling:
        return []
    _check_travels(document)
    document_id = _ensure_document_id(document)
    receivers = [mapping.receiver_organization(recipient_code(r), r.name, r.agency if r.agency_id else None)
                 for r in travelling]
    blob = _document_package(document, receivers, edxml.Business(doc_type=edxml.BUSINESS_NEW, paper=0))
    messages = [
        _NEW_MESSAGE.create(
            agency=document.agency, to_code=recipient_code(r), message_type=OutboxMessage.EDOC,
            business_type=edxml.BUSINESS_NEW, edxml_document_id=document_id, document=document, recipient=r,
            package=blob,
        )
        for r in travelling
    ]
    audit.record("exchange.queue", document, user=user,
                 detail={"to": [m.to_code for m in messages], "package_sha256": blob.sha256, "business_type": 0})
    return messages


def queue_business(document: Document, business_type: int, user=None, *, reason: str = "", info: str = "",
                   replaced: list[str] | None = None, recipients=None) -> list[OutboxMessage]:
    """Revoke (1), update (2) or replace (3) of a released document, to the recipients it reached."""
    recipients = agency_recipients(recipients if recipients is not None else
                                   document.recipients.select_related("agency"))
    if not recipients:
        return []
    _check_travels(document)
    document_id = _ensure_document_id(document)
    codes = [recipient_code(r) for r in recipients]
    business = edxml.Business(doc_type=business_type, document_id=document_id, reason=reason or None, paper=0)
    if business_type == edxml.BUSINESS_UPDATE:
        business.document_info = edxml.BusinessDocumentInfo(
            document_info=info or reason or None, document_receiver=None,
            receivers=[edxml.Receiver(organ_id=c, receiver_type=1) for c in codes])
    if business_type == edxml.BUSINESS_REPLACE:
        business.replacements = [edxml.ReplacementInfo(document_id=d, organ_ids=codes)
                                 for d in (replaced or [document_id])]
    receivers = [mapping.receiver_organization(c, r.name) for c, r in zip(codes, recipients, strict=True)]
    header = mapping.to_header(document, receivers)
    header.response_for = [*header.response_for, mapping.status_response_for(document)] \
        if business_type == edxml.BUSINESS_REVOKE else header.response_for
    signer = keys.signer_for(document.agency)
    if business_type == edxml.BUSINESS_REVOKE:
        blob = _store_package(lambda fh: edxml.write_package(fh, header, [], signer=signer, business=business))
    else:
        with _attachment_sources(document) as sources:
            blob = _store_package(lambda fh: edxml.write_package(fh, header, sources, signer=signer,
                                                                 business=business))
    messages = [
        _NEW_MESSAGE.create(
            agency=document.agency, to_code=code, message_type=OutboxMessage.EDOC, business_type=business_type,
            edxml_document_id=document_id, document=document, recipient=r, package=blob,
        )
        for code, r in zip(codes, recipients, strict=True)
    ]
    audit.record("exchange.queue", document, user=user,
                 detail={"to": codes, "package_sha256": blob.sha256, "business_type": business_type,
                         "reason": reason})
    return messages


def _staff_info(agency: Agency, user) -> edxml.StaffInfo:
    """Who reports a status (StaffInfo): the person acting, or, for what the software does by
    itself (status 01 on receipt), the agency's clerical office (văn thư)."""
    if user is not None and not getattr(user, "is_system_actor", False):
        unit = getattr(user, "unit", None)
        return edxml.StaffInfo(staff=(user.get_full_name() or user.get_username())[:200], staff_id=str(user.pk),
                               email=user.email or agency.email or None, mobile=getattr(user, "phone", "") or None,
                               department=(unit.name if unit else "Văn thư")[:200])
    return edxml.StaffInfo(department="Văn thư", staff=f"Văn thư {agency.name}"[:200],
                           email=agency.email or None, mobile=agency.phone or None)


def queue_status(document: Document, code: str, user=None, *, description: str = "", to_code: str = "",
                 about: Document | None = None) -> OutboxMessage:
    """A status about `document` (our incoming copy, or for 13 our own outgoing one) to `to_code`."""
    agency: Agency = document.agency
    to_code = to_code or document.issuer_code
    description = statuses.describe(code, description)
    staff = _staff_info(agency, user)
    status = edxml.StatusPackage(
        from_=mapping.organization(agency), status_code=code,
        response_for=[mapping.status_response_for(about or document)],
        to=[mapping.receiver_organization(to_code)], staff=staff, description=description,
        timestamp=mapping.vietnam_now(),
        trace=[edxml.TraceHeader(organ_id=agency.code, timestamp=mapping.vietnam_now())],
    )
    signer = keys.signer_for(agency)
    blob = _store_package(lambda fh: edxml.write_status(fh, status, signer=signer))
    message = _NEW_MESSAGE.create(
        agency=agency, to_code=to_code, message_type=OutboxMessage.STATUS, status_code=code,
        edxml_document_id=document.edxml_document_id, document=document, package=blob,
    )
    statuses.NEW_EVENT.create(
        document=document, direction=StatusEvent.SENT, organ_id=agency.code, status_code=code,
        description=description, staff=staff.staff if staff else "", reported_at=timezone.now(),
    )
    audit.record("exchange.status_queued", document, user=user,
                 detail={"status": code, "to": to_code, "description": description})
    return message


# --------------------------------------------------------------------------- sending
@contextlib.contextmanager
def package_path(blob: Blob) -> Iterator[str]:
    """A local path of the package: the blob's own file, or a temporary copy (S3)."""
    path = blobs.local_path(blob)
    if path is not None:
        yield path
        return
    fd, tmp = tempfile.mkstemp(dir=_spool_dir(), prefix="send-", suffix=".edxml")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in blobs.iter_blob(blob):
                fh.write(chunk)
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _claim(message_id: int, now: dt.datetime) -> bool:
    return bool(_CLAIM.run(pk=message_id, now=now, until=now + _lease()))


def _unclaim(message_id: int) -> None:
    """Give a claimed message back untouched (its connection is backing off)."""
    OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.PENDING).update(locked_until=None)


def _mark_sent(message: OutboxMessage, hub_doc_id: str, flowing: set[int] | None = None) -> None:
    """`flowing`: the agencies whose outbox incident the caller's run has closed already (or found
    none): one look per agency and run, not one per message."""
    now = timezone.now()
    if flowing is None or message.agency_id not in flowing:  # --- ops: this agency's packages go out again
        incidents.recovered(Incident.OUTBOX, message.agency.code)
        if flowing is not None:
            flowing.add(message.agency_id)
    values = {"pk": message.pk, "hub_doc_id": hub_doc_id[:100], "now": now, "attempts": message.attempts + 1}
    with transaction.atomic():
        # Marked sent, and its recipient (if it has one) read in the same statement (PostgreSQL)
        sent = _SENT.statement(**values) if _delivers(message) else None
        if sent is None:
            _SENT.run(**values)
        recipient = _delivered_recipient(message, (DeliveryState.PENDING, DeliveryState.FAILED), after=sent)
        detail = {"to": message.to_code, "message_type": message.message_type, "status": message.status_code,
                  "business_type": message.business_type, "hub_doc_id": hub_doc_id}
        if recipient is not None:
            delivery.move(interconnection(message.agency), recipient, DeliveryState.SENT, action="exchange.sent",
                          at=now, detail=detail)
        elif message.document_id is not None:
            audit.record("exchange.sent", message.document, user=interconnection(message.agency),
                         agency_code=message.agency.code, detail={**detail, "recipient_state": None})


# The reads every sent message makes, written out once (vpdt.core.prepared): the ORM's compiling
# of them cost more than running them.
_DELIVERED = Read(lambda pk, states: Recipient.objects.select_related("document", "document__agency", "agency", "unit")
                  .filter(pk=pk, state__in=states).order_by("pk")[:1], pk=int, states=[str])
# The writes every sent message makes, written out once too.
_CLAIM = Update(lambda pk, now, until: (OutboxMessage.objects.filter(
    Q(locked_until__isnull=True) | Q(locked_until__lt=now), pk=pk, state=OutboxMessage.PENDING),
    {"locked_until": until}), pk=int, now=dt.datetime, until=dt.datetime)
_SENT = Update(lambda pk, hub_doc_id, now, attempts: (OutboxMessage.objects.filter(pk=pk), {
    "state": OutboxMessage.SENT, "hub_doc_id": hub_doc_id, "sent_at": now, "locked_until": None,
    "attempts": attempts, "last_error": "", "next_attempt_at": None}),
    pk=int, hub_doc_id=str, now=dt.datetime, attempts=int)
_CLAIMED = Read(lambda pk: OutboxMessage.objects.select_related("agency", "package", "document").filter(pk=pk)
                .order_by("pk")[:1], pk=int)
# The same read of the message `_CLAIM_NEXT` has just claimed, in the claim's statement (PostgreSQL).
# `more`: whether another message was due after it when it was claimed.
_CLAIMED_NEXT = Read(lambda: OutboxMessage.objects.select_related("agency", "package", "document")
                     .filter(pk=RawSQL(f"SELECT id FROM {AFTER_WRITE}", []))
                     .annotate(more=RawSQL(f"SELECT more FROM {AFTER_WRITE}", [])).order_by("pk")[:1])
DUE_BATCH = 500


def _due_ids(now: dt.datetime):
    return (OutboxMessage.objects.filter(state=OutboxMessage.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("id").values_list("id", flat=True))


_DUE = Read(lambda now: _due_ids(now)[:DUE_BATCH], now=dt.datetime)


def _delivers(message: OutboxMessage) -> bool:
    """A first delivery (EDOC, business type 0) to one recipient: sending it moves the recipient."""
    return bool(message.recipient_id and message.message_type == OutboxMessage.EDOC and message.business_type == 0)


def _delivered_recipient(message: OutboxMessage, states, *, after: tuple[str, list] | None = None
                         ) -> Recipient | None:
    """The recipient a first delivery is for, when in one of `states`. `after`: a write of the
    message run first, in the read's statement where the backend can (`Read.instances_after`)."""
    if not _delivers(message):
        return None
    found = _DELIVERED.instances_after(after, pk=message.recipient_id, states=[str(s) for s in states])
    return found[0] if found else None


def _mark_retry(message: OutboxMessage, error: str, retry_at: dt.datetime) -> None:
    incidents.failed(Incident.OUTBOX, message.agency.code, f"{message.to_code}: {error}", agency_code=message.agency.code)
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=message.attempts + 1, last_error=error[:2000], next_attempt_at=retry_at, locked_until=None)


def _mark_failed(message: OutboxMessage, error: str) -> None:
    incidents.failed(Incident.OUTBOX, message.agency.code, f"{message.to_code}: {error}", agency_code=message.agency.code)
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.FAILED, attempts=message.attempts + 1, last_error=error[:2000], locked_until=None)
        detail = {"to": message.to_code, "error": error[:500]}
        recipient = _delivered_recipient(
            message, [s for s in DeliveryState.values if delivery.allowed(s, DeliveryState.FAILED)])
        if recipient is not None:
            delivery.move(interconnection(message.agency), recipient, DeliveryState.FAILED,
                          action="exchange.send_failed", detail=detail)
        elif message.document_id is not None:
            audit.record("exchange.send_failed", message.document, user=interconnection(message.agency),
                         agency_code=message.agency.code, detail=detail)


def _due(now: dt.datetime, limit: int) -> list[int]:
    if limit == DUE_BATCH:
        return [row[0] for row in _DUE.rows(now=now)]
    return list(_due_ids(now)[:limit])


# PostgreSQL: the next due message after `after`, claimed in one statement. A row another
# sender is claiming at this moment is skipped (SKIP LOCKED), one it has claimed is no longer
# due: each message is claimed once, whatever the number of threads and processes sending.
# It also answers whether another message is due after it: when none is, the run ends there,
# without a last claim that would find nothing (one statement per run, a run per message or
# two in a busy office). A message that becomes due later wakes the job itself: a new one when
# it commits, a retry by the job's schedule; a message due behind a lease another sender holds
# is that sender's.
_CLAIM_NEXT = """UPDATE {table} SET locked_until = %s WHERE id = (
    SELECT id FROM {table} WHERE state = %s AND id > %s
      AND (next_attempt_at IS NULL OR next_attempt_at <= %s) AND (locked_until IS NULL OR locked_until < %s)
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id, EXISTS (SELECT 1 FROM {table} later WHERE later.state = %s AND later.id > {table}.id
      AND (later.next_attempt_at IS NULL OR later.next_attempt_at <= %s)
      AND (later.locked_until IS NULL OR later.locked_until < %s)) AS more"""


def _claimed(now: dt.datetime, limit: int) -> Iterator[OutboxMessage]:
    """Up to `limit` due messages, in order, each claimed (leased) for this run, read with their
    agency, package and document.

    On PostgreSQL each is claimed as the next due one, so concurrent senders never try the
    same message (with the list read first, every sender tried every message: one lost UPDATE
    per message and other sender), and read in the claim's own statement. Elsewhere (SQLite
    writes one at a time anyway) the due list is read once and each message claimed in turn, a
    lost claim skipped, then read."""
    alias = router.db_for_write(OutboxMessage)
    connection = databases[alias]
    if connection.vendor != "postgresql":
        for message_id in _due(now, limit):
            if _claim(message_id, now):
                message = _CLAIMED.instance(pk=message_id)
                if message is not None:  # None: removed since it was listed (its agency deleted)
                    yield message
        return
    sql = _CLAIM_NEXT.format(table=connection.ops.quote_name(OutboxMessage._meta.db_table))
    until, after = now + _lease(), 0
    for _ in range(limit):
        found = _CLAIMED_NEXT.instances_after((sql, [until, OutboxMessage.PENDING, after, now, now,
                                                     OutboxMessage.PENDING, now, now]))
        if not found:
            return
        message = found[0]
        message.locked_until = until  # the read sees the row as it was before the claim's UPDATE
        after = message.pk
        more = message.__dict__.pop("more")
        yield message
        if not more:
            return


def send_pending(limit: int = DUE_BATCH) -> int:
    """Send due outbox messages; returns how many the hub accepted. Safe to run concurrently."""
    now = timezone.now()
    sent = 0
    down: set[int] = set()  # connections that failed in this run: keep their order, try later
    served: dict[int, HubConnection | None] = {}  # agency id -> its connection, once per run
    flowing: set[int] = set()  # agencies whose outbox incident this run has closed (or found none)
    for message in _claimed(now, limit):  # claimed, then (or at once) read
        if message.agency_id not in served:
            served[message.agency_id] = connections.for_agency(message.agency_id)
        connection = served[message.agency_id]
        if connection is None:
            flowing.discard(message.agency_id)
            _mark_retry(message, "Cơ quan chưa được cấu hình kết nối trục liên thông (no enabled HubConnection)",
                        timezone.now() + dt.timedelta(seconds=connections.backoff_seconds(message.attempts + 1)))
            continue
        if connection.pk in down or connections.is_waiting(connection, now):
            _unclaim(message.pk)
            continue
        client = clients.shared(connection)
        try:
            with package_path(message.package) as path:
                doc_id = client.send_edoc(path, from_code=message.agency.code, to=[message.to_code],
                                          message_type=message.message_type, sha256=message.package.sha256)
        except VxpRemoteError as exc:
            flowing.discard(message.agency_id)  # an incident this failure opens is closed by a later success
            if exc.retryable or exc.code in CONNECTION_ERRORS:
                down.add(connection.pk)
                _mark_retry(message, str(exc), connections.failed(connection, str(exc)))
            else:
                connections.succeeded(connection)
                _mark_failed(message, str(exc))
            continue
        except (httpx.TransportError, VxpProtocolError, OSError) as exc:
            flowing.discard(message.agency_id)
            error = f"{type(exc).__name__}: {exc}"
            down.add(connection.pk)
            _mark_retry(message, error, connections.failed(connection, error))
            continue
        connections.succeeded(connection)
        _mark_sent(message, doc_id, flowing)
        sent += 1
    return sent


def retry(message: OutboxMessage, user=None) -> None:
    """An operator puts a failed message back in the queue (e.g. the receiver is now registered)."""
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, state=OutboxMessage.FAILED).update(
            state=OutboxMessage.PENDING, next_attempt_at=None, last_error="")
        HubConnection.objects.filter(agencies__id=message.agency_id).update(retry_at=None)
        if message.document_id:
            audit.record("exchange.retry", message.document, user=user, detail={"to": message.to_code})

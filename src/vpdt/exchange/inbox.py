"""The inbox: fetch each waiting package, verify and store it, THEN acknowledge it.

For every connection, documents first, then statuses: list what the hub holds, fetch
each package into a temporary file (streamed), read it (attachments go straight into
the blob store through the reader's sink), and in one transaction record an InboxItem
and what the package means (a new incoming document, a reconciliation with a paper
registration, a revoke, a status ...). Only then `updateStatus done`. A crash between
the two leaves the InboxItem: the next run sees the docId again and only acknowledges.
A DocumentId already received by the agency is dropped (recorded, acknowledged).

A package that cannot be taken in (a zip bomb, unreadable XML, a file over the agency's
limit, any unexpected error while reading or recording it) is QUARANTINED
(`vpdt.exchange.quarantine`): recorded with its reason and kept, acknowledged `fail` so the
hub stops offering it (the sender sees the failure in its sent list), and the next package
flows: one package's failure never stops the loop.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import zipfile

import httpx
from django.apps import apps as django_apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from vpdt import edxml
from vpdt.core import audit, blobs, prepared
from vpdt.core.errors import VpdtError
from vpdt.core.models import Blob
from vpdt.core.prepared import Insert, Read, Update
from vpdt.directory.models import Agency
from vpdt.edxml import zipinfo
from vpdt.exchange import clients, connections, handlers, outbox, quarantine
from vpdt.exchange.models import HubConnection, InboxItem
from vpdt.records.models import Document
from vpdt.vxp.client import VxpClient, VxpProtocolError, VxpRemoteError

log = logging.getLogger("vpdt.exchange")


# Every package taken in is one new item: its INSERT written once (vpdt.core.prepared.Insert).
_NEW_ITEM = Insert(InboxItem)


def _save(item: InboxItem) -> None:
    """A new item inserted, a retried one updated."""
    if item.pk is None:
        _NEW_ITEM.save_new(item)
    else:
        item.save()


def _spool_dir() -> str:
    path = os.path.join(settings.DATA_DIR, "exchange", "tmp")
    os.makedirs(path, exist_ok=True)
    return path


class BlobSink:
    """Attachment sink: each file is decoded straight into the blob store's spool (hashed as it
    is written, core.blobs.Staged), then moved into the store: a rename, not another copy.

    A transport zip with one entry is stored as that entry (the file itself), as other
    readers of the official samples expect to see the document, not the zip.
    """

    def __init__(self, max_bytes: int, limits: edxml.Limits | None = None):
        self.max_bytes = max_bytes
        self.limits = limits or intake_limits(max_bytes)
        self._open: list[blobs.Staged] = []  # each file handed out and not stored or dropped yet

    def open(self, meta: edxml.AttachmentMeta) -> blobs.Staged:
        staged = blobs.Staged(max_bytes=self.max_bytes, prefix="in-att-")
        self._open.append(staged)
        return staged

    def done(self, meta, fileobj: blobs.Staged, attachment: edxml.Attachment):
        try:
            name = attachment.name or f"tep-{meta.index + 1}"
            content_type = attachment.content_type or ""
            if attachment.zipped and attachment.zip_entries and len(attachment.zip_entries) == 1:
                fileobj.flush()
                fileobj.seek(0)
                budget = zipinfo.ZipBudget(self.limits, zipinfo.archive_size(fileobj), attachment.name)
                with zipfile.ZipFile(fileobj) as zf:
                    entry = budget.entries(zf)[0]
                    with budget.open(zf, entry) as src:  # inflated within the bounds, counted
                        blob = blobs.store_stream(src, max_bytes=self.max_bytes)
                    if name.lower().endswith(".zip") and "." in entry.filename:
                        name = entry.filename.rsplit("/", 1)[-1]
                    content_type = ""
            else:
                blob = blobs.store_checked(fileobj)[0]  # within its own limit: self.max_bytes
            return (blob, name, content_type)
        finally:
            self._forget(fileobj)  # stored (or refused): what is left of it in the spool goes at once

    def _forget(self, fileobj: blobs.Staged) -> None:
        fileobj.discard()
        with contextlib.suppress(ValueError):
            self._open.remove(fileobj)

    def abort(self) -> None:
        for fileobj in list(self._open):
            self._forget(fileobj)


def _agency_for(connection: HubConnection, to_code: str, package) -> Agency | None:
    """The agency of this connection a package is for: by the `to` the hub lists, else the
    package's To; either code of the agency (QCVN 102 or QĐ 20/2020) matches."""
    agencies = list(connection.agencies.all())
    served = {c: a for a in agencies for c in (a.code, a.code_qd20) if c}
    if to_code and to_code.strip('"') in served:
        return served[to_code.strip('"')]
    for org in getattr(package, "to", None) or []:
        if org.organ_id in served:
            return served[org.organ_id]
    if len(agencies) == 1:
        return agencies[0]
    return None


def intake_limits(max_bytes: int) -> edxml.Limits:
    """The reader's bounds for a package received by an agency whose files may be `max_bytes`."""
    return edxml.Limits(
        max_attachment_bytes=max_bytes, max_unzipped_bytes=max_bytes,
        max_zip_ratio=int(getattr(settings, "EXCHANGE_ZIP_MAX_RATIO", 100)),
        max_zip_entries=int(getattr(settings, "EXCHANGE_ZIP_MAX_ENTRIES", 1000)))


def _limit_bytes(connection: HubConnection, to_code: str) -> int:
    agency = _agency_for(connection, to_code, None)
    if agency is not None:
        return agency.upload_limit_bytes()
    limits = [a.upload_limit_bytes() for a in connection.agencies.all()]
    return max(limits) if limits else blobs.default_limit_bytes()


def ingest_file(connection: HubConnection, hub_doc_id: str, path: str | blobs.Staged, *, to_code: str = "",
                message_type: str = "edoc", from_code: str = "", retry_of: InboxItem | None = None,
                known_new: bool = False) -> InboxItem:
    """Read, store and record one fetched package (everything except the acknowledgement).

    Never raises for the package's sake: whatever goes wrong with this one package (a bound
    crossed, unreadable XML, a file too large, an unexpected error) quarantines it.
    `retry_of` re-runs the intake of a quarantined item from its kept package. `known_new`: the
    caller has just looked for an InboxItem of this docId and found none (the poll's one query
    for the whole list); a concurrent worker's row is still caught by the unique constraint.
    `path` may be the download still in the blob store's spool (core.blobs.Staged): a document's
    package is then kept by moving it into the store.
    """
    if retry_of is None and not known_new:
        existing = InboxItem.objects.filter(connection=connection, hub_doc_id=hub_doc_id).first()
        if existing is not None:
            return existing
    try:
        return _ingest(connection, hub_doc_id, path, to_code=to_code, message_type=message_type,
                       retry_of=retry_of)
    except Exception as exc:  # noqa: BLE001 - one package's failure never stops the inbox
        if not isinstance(exc, edxml.EdxmlError | VpdtError):
            log.exception("exchange: package %s of %s could not be taken in", hub_doc_id, connection)
        return quarantine.record(connection, hub_doc_id, _local(path), exc, to_code=to_code, from_code=from_code,
                                 message_type=message_type, agency=_agency_for(connection, to_code, None),
                                 item=retry_of)


def _local(path: str | blobs.Staged) -> str:
    """The file's path, wherever it lies now (a staged download kept is the store's own file)."""
    return path.temporary_file_path() if isinstance(path, blobs.Staged) else path


def _ingest(connection: HubConnection, hub_doc_id: str, path: str | blobs.Staged, *, to_code: str,
            message_type: str, retry_of: InboxItem | None) -> InboxItem:
    max_bytes = _limit_bytes(connection, to_code)
    sink = BlobSink(max_bytes=max_bytes, limits=intake_limits(max_bytes))
    package = edxml.read_package(_local(path), attachment_sink=sink, limits=sink.limits)
    raw: Blob | None = None
    if getattr(settings, "EXCHANGE_KEEP_PACKAGES", True) and package.kind == "document":
        if isinstance(path, blobs.Staged):
            raw = blobs.store_checked(path)[0]
        else:
            raw = blobs.store_path(path, max_bytes=outbox.PACKAGE_LIMIT)
    agency = _agency_for(connection, to_code, package)
    sig = package.signature
    fields = {
        "agency": agency, "message_type": "status" if package.kind == "status" else "edoc",
        "from_code": (package.from_.organ_id or "")[:40], "edxml_document_id": (package.document_id or "")[:255],
        "business_type": package.business_type if package.kind == "document" else 0,
        "status_code": (package.status_code or "")[:4] if package.kind == "status" else "",
        "package": raw, "signature_present": sig.present, "signature_valid": sig.valid,
        "signature_subject": (sig.signer_subject or "")[:500],
        "warnings": [str(w) for w in package.warnings][:50],
    }
    # The signatures of its PDFs are checked now, before the transaction (every byte is hashed),
    # and their verdicts recorded in it, with the documents they are on.
    found = _verdicts(package)
    complete = True
    try:
        # The audit entries at the end (audit.deferred): a package makes documents and writes and
        # signs status packages back without holding the audit chain's head meanwhile.
        with transaction.atomic(), audit.deferred():
            if retry_of is not None:
                item = retry_of
                for name, value in fields.items():
                    setattr(item, name, value)
                item.outcome, item.detail, item.reason_code = InboxItem.STORED, "", ""
                if item.package is None:
                    item.package = raw
            else:
                item = InboxItem(connection=connection, hub_doc_id=hub_doc_id, outcome=InboxItem.STORED, **fields)
            if agency is None:
                item.outcome, item.detail = InboxItem.UNMATCHED, f"no agency of this connection for {to_code!r}"
                _save(item)
                return item
            retried = item.pk is not None
            if retried:
                _save(item)
                before = _handled_fields(item)
            joined = handlers.handle(item, package, agency)
            if found is not None:
                complete = _record_verdicts(joined, found)
            if retried:
                _save_handled(item, before)
            else:
                # A new item is written once, with what handling made of it: no INSERT, then an
                # UPDATE. Its (connection, DocId) is unique: a concurrent worker's is caught below.
                _save(item)
    except IntegrityError:
        # Processed concurrently by another worker: that one recorded it.
        return InboxItem.objects.get(connection=connection, hub_doc_id=hub_doc_id)
    if complete:
        return item
    try:
        _verify_received(joined)
    except Exception:  # noqa: BLE001 - the document is stored; its page shows "chưa kiểm tra"
        log.exception("exchange: verifying the files of package %s failed", hub_doc_id)
    return item


def _handled_fields(item: InboxItem) -> dict:
    return {f.attname: getattr(item, f.attname) for f in InboxItem._meta.concrete_fields}


def _save_handled(item: InboxItem, before: dict) -> None:
    """A retried item saved again after its package was handled: the fields handling changed."""
    changed = [name for name, value in before.items() if getattr(item, name) != value]
    if changed:
        item.save(update_fields=changed)


def _signing():
    """The signing app's services, or None when it is not installed."""
    if not django_apps.is_installed("vpdt.signing"):
        return None
    from vpdt.signing import services as signing

    return signing


def _verdicts(package) -> dict | None:
    """Before the inbox transaction: the signature verdicts of the package's stored PDFs, by blob
    (`signing.services.verdicts`: every byte hashed, no lock held meanwhile); None when there is
    nothing to verify (a status, no file, no signing app)."""
    signing = _signing()
    stored = [att.stored for att in package.attachments if att.stored] if package.kind == "document" else []
    if not stored or signing is None:
        return None
    return signing.verdicts(stored)


def _record_verdicts(joined: list[Document], found: dict) -> bool:
    """In the inbox transaction: the verdicts found before it, stored on the files it attached to
    `joined`, the documents handling attached them to (`signing.services.record_received`); False
    when a PDF is left without one."""
    signing = _signing()
    return all([signing.record_received(document, found) for document in joined])


def _verify_received(joined: list[Document]) -> None:
    """After the inbox transaction has committed, for the PDFs `_record_verdicts` left without a
    verdict (none found before it): verify them, through the signing app's one seam,
    `signing.services.verify_received`. Until then the page shows "chưa kiểm tra"."""
    signing = _signing()
    for document in joined:
        signing.verify_received(document)


def acknowledge(client: VxpClient, item: InboxItem, *, stamps: list[int] | None = None) -> None:
    """Tell the hub the package is taken in (or not), then stamp the item: at once, or, with
    `stamps`, by adding its id there for the caller's one `stamp_acknowledged` of the whole list."""
    # `fail` for a package not taken in: the hub stops offering it and the sender's
    # sent list (getSentEdocList) shows it failed; a retry later starts from the kept copy.
    status = "fail" if item.outcome in (InboxItem.INVALID, InboxItem.QUARANTINED, InboxItem.DISCARDED) else "done"
    client.update_status(item.hub_doc_id, status)
    if stamps is None:
        stamp_acknowledged([item.pk])
    else:
        stamps.append(item.pk)


def stamp_acknowledged(item_ids: list[int]) -> None:
    if item_ids:
        _STAMP.run(ids=item_ids, now=timezone.now())


def _fetch_and_ingest(client: VxpClient, connection: HubConnection, entry: dict, hub_doc_id: str,
                      message_type: str) -> InboxItem:
    to_code, from_code = str(entry.get("to") or ""), str(entry.get("from") or "")
    # Downloaded straight into the blob store's spool: a document's package is kept by a rename.
    with blobs.Staged(max_bytes=outbox.PACKAGE_LIMIT, prefix="in-") as staged:
        try:
            client.fetch_edoc(hub_doc_id, staged)
        except VxpRemoteError as exc:
            if not exc.code.startswith("3"):
                raise  # about the connection or the hub (1xx, 5xx, 6xx): the poll is retried later
            # This one package cannot be fetched (301 unknown, 303 content gone): quarantined with
            # what the hub said (nothing to keep), so the packages behind it still flow.
            return quarantine.record(connection, hub_doc_id, staged.temporary_file_path(), exc, to_code=to_code,
                                     from_code=from_code, message_type=message_type,
                                     agency=_agency_for(connection, to_code, None), keep=False)
        return ingest_file(connection, hub_doc_id, staged, to_code=to_code, message_type=message_type,
                           from_code=from_code, known_new=True)


def poll(connection: HubConnection, client: VxpClient | None = None) -> int:
    """Fetch and record everything waiting at the hub for this connection; returns how many.

    Each package on its own: one that cannot be taken in is quarantined and acknowledged
    `fail`, and the loop goes on with the next."""
    client = client or clients.shared(connection)
    count = 0
    for message_type in ("edoc", "status"):
        entries = [(str(entry.get("docId") or ""), entry)
                   for entry in client.get_received_edoc_list(message_type=message_type)]
        entries = [(hub_doc_id, entry) for hub_doc_id, entry in entries if hub_doc_id]
        # One query for the whole list: which of them were taken in already (not yet acknowledged).
        known = {item.hub_doc_id: item for item in _KNOWN.instances(
            connection_id=connection.pk, ids=[hub_doc_id for hub_doc_id, _ in entries])} if entries else {}
        stamps: list[int] = []  # acknowledged at the hub: stamped in one statement for the list
        try:
            for hub_doc_id, entry in entries:
                item = known.get(hub_doc_id)
                if item is None:
                    item = _fetch_and_ingest(client, connection, entry, hub_doc_id, message_type)
                acknowledge(client, item, stamps=stamps)
                count += 1
        finally:
            stamp_acknowledged(stamps)
    connections.succeeded(connection)
    return count


# Every poll asks it (vpdt.core.prepared: the SQL written once; the list as one array on PostgreSQL).
_KNOWN = Read(lambda connection_id, ids: InboxItem.objects.filter(connection_id=connection_id, hub_doc_id__in=ids)
              .order_by("pk"), connection_id=int, ids=[str])


# The writes of every poll (written out once too).
_POLL_LEASE = Update(lambda pk, now, until: (HubConnection.objects.filter(
    Q(polling_until__isnull=True) | Q(polling_until__lt=now), pk=pk), {"polling_until": until}),
    pk=int, now=dt.datetime, until=dt.datetime)
_POLL_DONE = Update(lambda pk: (HubConnection.objects.filter(pk=pk), {"polling_until": None}), pk=int)
_STAMP = Update(lambda ids, now: (InboxItem.objects.filter(pk__in=ids, acknowledged_at__isnull=True),
                                  {"acknowledged_at": now}), ids=[int], now=dt.datetime)


POLL_LEASE = dt.timedelta(minutes=5)  # default of settings.EXCHANGE_LEASE_SECONDS


def _poll_lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "EXCHANGE_LEASE_SECONDS", POLL_LEASE.total_seconds())))


def poll_all() -> int:
    """Worker job: poll every enabled connection not in back-off and not polled by another worker.

    The run reads its reference data (agencies by code, document types, trust anchors, the
    clerks to tell) once, not once per package: `vpdt.core.prepared.reference_rows`."""
    with prepared.reference_rows():
        return _poll_all()


def _poll_all() -> int:
    total = 0
    # The connection's agencies once per run (each package asks which of them it is for).
    for connection in HubConnection.objects.filter(enabled=True).order_by("id").prefetch_related("agencies"):
        if connections.is_waiting(connection):
            continue
        now = timezone.now()
        if not _POLL_LEASE.run(pk=connection.pk, now=now, until=now + _poll_lease()):
            continue
        try:
            total += poll(connection)
        except (httpx.TransportError, VxpProtocolError, VxpRemoteError, OSError) as exc:
            connections.failed(connection, f"{type(exc).__name__}: {exc}")
            log.warning("exchange: polling %s failed: %s", connection, exc)
        finally:
            _POLL_DONE.run(pk=connection.pk)
    return total

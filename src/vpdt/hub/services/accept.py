"""Accepting a package: read and check the edXML, route each receiver, store the file once,
queue one delivery per receiver (duplicates answered as before), log it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, OperationalError, connections
from django.db.models import Q
from django.utils import timezone

from vpdt.core.prepared import Update
from vpdt.hub.models import Agency, Delivery, LogEntry, Package, Submission, System
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services import fastsql
from vpdt.hub.services.config import MiB, max_package_bytes, new_doc_id, store
from vpdt.hub.services.forwarding import wake_forwarder
from vpdt.hub.services.message_log import OneStatement, _Writer, write_grouped
from vpdt.hub.services.registry import Caller, _active_agencies_and, _owns, _route_of, aliases
from vpdt.hub.storage import Incoming, StorageFull
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")


# --------------------------------------------------------------------------- accept
@dataclass
class Refusal:
    code: str
    error: vxp.ErrorCode
    detail: str = ""


@dataclass
class Accepted:
    doc_id: str
    deliveries: list[Delivery] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    duplicate: bool = False

    def description(self) -> str:
        if not self.refused:
            return ""
        return "; ".join(f"{r.code}: {r.error.code} {r.error.message}" for r in self.refused)


def _read_edxml(path: Path):
    from vpdt.edxml import EdxmlError, read_package

    try:
        # routing needs the header; the attachments are checked to be base64, not decoded
        return read_package(str(path), attachment_sink=None, strict=False, verify_signature=False,
                            decode_attachments=False)
    except EdxmlError as exc:
        where = f" at {exc.path}" if exc.path else ""
        raise vxp.VxpError(vxp.MALFORMED, f"{exc.code}{where}: {exc.message}. {exc.detail}".strip()) from None


def _receivers(claimed: list[str] | None, package) -> list[str]:
    if claimed:
        return claimed
    codes = [o.organ_id for o in (package.to or []) if getattr(o, "organ_id", None)]
    if not codes and package.kind == "status":
        codes = [r.organ_id for r in package.response_for if r.organ_id][:1]
    seen: list[str] = []
    for code in codes:
        code = code.strip()
        if code and code not in seen:
            seen.append(code)
    return seen


def receive_body(read: Callable[[int], bytes], content_length: int | None, hash_file: str | None) -> Incoming:
    """Stream a request body to a temp file and match it to hash-file (CRLF rule)."""
    incoming = store().receive(read, max_package_bytes(), content_length)
    try:
        incoming.match_hash_file(hash_file)
    except BaseException:
        incoming.discard()
        raise
    return incoming


def accept(caller: Caller, incoming: Incoming) -> Accepted:
    """sendEdoc: check, store and queue one package for each receiver; idempotent.

    Refused (nothing stored): malformed edXML, From not owned by the caller, wrong
    messagetype, no receiver or every receiver unknown. Unknown receivers among known
    ones are reported per receiver and the others delivered.
    """
    try:
        signed = caller.signed
        message_type = signed.message_type or "edoc"
        if message_type not in vxp.MESSAGE_TYPES:
            raise vxp.VxpError(vxp.BAD_MESSAGE_TYPE, f"messagetype {signed.message_type!r}")
        package = _read_edxml(incoming.path)
        if (package.kind == "status") != (message_type == "status"):
            raise vxp.VxpError(vxp.BAD_MESSAGE_TYPE,
                               f"messagetype {message_type} but the package is a {package.kind}")
        from_code = (package.from_.organ_id or "").strip()
        claimed_from = signed.get("from")
        if claimed_from and claimed_from.strip() != from_code:
            raise vxp.VxpError(vxp.FORGED_FROM, f"header from {claimed_from!r} differs from package From {from_code!r}")
        receivers = list(dict.fromkeys(_receivers(signed.to_codes, package)))  # named twice: queued once
        # One statement: the sender and receivers, and whether each receiver has this package
        # (or document) queued already (a retry).
        keys = {code: _dedupe_key(package, message_type, from_code, code) for code in receivers}
        known, ids = _active_agencies_and([from_code, *receivers], *_existing_columns(incoming.sha256, receivers, keys))
        if not _owns(caller.system, from_code, known):
            raise vxp.VxpError(vxp.FORGED_FROM, f"From {from_code!r} is not an agency of system {caller.system_id!r}")
        if not receivers:
            raise vxp.VxpError(vxp.NO_RECEIVER, "no to header and no To/ResponseFor in the package")
        return _queue(incoming, package, message_type, from_code, receivers, system=caller.system, known=known,
                      existing=_deliveries(ids))
    except BaseException:
        incoming.discard()
        raise


def _dedupe_key(package, message_type: str, from_code: str, to_code: str) -> str | None:
    if message_type != "edoc" or getattr(package, "business_type", 0) != 0 or not package.document_id:
        return None  # revoke/update/replace reuse the DocumentId; statuses have none of their own
    return f"{from_code}|{package.document_id}|{to_code}"[:800]


def _existing(sha256: str, to_code: str, key: str | None) -> Delivery | None:
    """The delivery already queued for this package and receiver, or for this document and
    receiver (`key`); the first one queued when both match."""
    return _existing_all(sha256, [to_code], {to_code: key})[0]


def _existing_all(sha256: str, receivers: list[str], keys: dict[str, str | None]) -> list:
    """`_existing` for every receiver in one statement."""
    columns, params = _existing_columns(sha256, receivers, keys)
    with fastsql.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        row = cursor.fetchone()
    return _deliveries(row[:len(receivers)])


def _existing_columns(sha256: str, receivers: list[str], keys: dict[str, str | None]) -> tuple[list[str], list]:
    """Per receiver, the SQL expression of `_existing` (the id of the delivery found, or NULL)
    and its parameters.

    Each is a scalar subquery of two index lookups (the package's unique sha256 then the
    partial unique (package, to_code); the partial unique dedupe_key), so its cost does not
    grow with the deliveries kept (the OR of both across the join was planned as full scans),
    written as SQL: it runs on every accept, and the ORM's compiling cost ten times its
    execution."""
    delivery, package = _TABLES()
    columns: list[str] = []
    params: list = []
    for code in receivers:
        one = (f"SELECT d.id FROM {delivery} d JOIN {package} p ON p.id = d.package_id "
               f"WHERE p.sha256 = %s AND d.to_code = %s AND d.route <> %s")
        params += [sha256, code, Delivery.REFUSED]
        if keys.get(code):
            one += f" UNION ALL SELECT d.id FROM {delivery} d WHERE d.dedupe_key = %s AND d.route <> %s"
            params += [keys[code], Delivery.REFUSED]
        columns.append(f"(SELECT MIN(id) FROM ({one}) AS found)")
    return columns, params


def _deliveries(ids) -> list[Delivery | None]:
    """The deliveries found (the common answer is none; one found is then loaded whole)."""
    return [Delivery.objects.using(DB).select_related("submission").get(pk=pk) if pk is not None else None
            for pk in ids]


@functools.cache
def _TABLES() -> tuple[str, str]:  # noqa: N802 - a constant computed once
    quote = connections[DB].ops.quote_name
    return quote(Delivery._meta.db_table), quote(Package._meta.db_table)


def _package_fields(package, message_type: str, from_code: str) -> dict:
    fields = {"message_type": message_type, "from_code": from_code, "document_id": (package.document_id or "")[:500]}
    if package.kind == "status":
        fields["status_code"] = (package.status_code or "")[:4]
    else:
        header = package.header
        fields["business_type"] = package.business_type
        fields["subject"] = (header.subject or "")[:500]
        if header.code is not None:
            fields["notation"] = "/".join(x for x in (header.code.number, header.code.notation) if x)[:200]
    return fields


def _queue(incoming: Incoming, package, message_type: str, from_code: str, receivers: list[str], *,
           system: System | None, via_upstream: bool = False, remote_doc_id: str = "",
           known: dict[str, Agency] | None = None, existing: list[Delivery | None] | None = None,
           again: bool = False) -> Accepted:
    """Store and queue: `existing` is `_existing_all` for `receivers` when the caller asked it;
    `again`: asked once more after a concurrent request queued some of them first."""
    sha = incoming.sha256
    receivers = list(dict.fromkeys(receivers))  # a receiver named twice is queued once
    keys = {code: _dedupe_key(package, message_type, from_code, code) for code in receivers}
    # Fast path for a retry: every receiver already queued -> same answer, nothing written.
    if existing is None:
        existing = _existing_all(sha, receivers, keys)
    if all(existing):
        incoming.discard()
        return Accepted(existing[0].submission.doc_id, existing, duplicate=True)
    destinations = {code: _route_of(code, allow_upstream=not via_upstream, known=known) for code in receivers}
    if system is not None and system.kind == System.HUB:
        # never send a package back down to the hub it came from (loops)
        destinations = {c: (None if d and d.holder is not None and d.holder.pk == system.pk else d)
                        for c, d in destinations.items()}
    if not any(destinations.values()):
        raise vxp.VxpError(vxp.UNKNOWN_RECEIVER, ", ".join(receivers))
    storage = store()
    storage.commit(incoming)
    now = timezone.now()
    fields = _package_fields(package, message_type, from_code)

    system_id = system.system_id if system else ""

    def made() -> tuple[Package, list, Accepted, list[dict], list[str]]:
        # No read under the lock: the receivers found queued (`existing`) were asked before it.
        # A concurrent request that queued one of the others since makes an INSERT break a
        # unique constraint (IntegrityError): the whole write is rolled back and asked again
        # below. The package row is an upsert: new, or the one of the same bytes (its file
        # stored again if it was purged). New objects each time: a batch may run its units again.
        pkg = Package(sha256=sha, size=incoming.size, **fields)
        submission = Submission(doc_id=new_doc_id(), package=pkg, system=system, from_code=from_code,
                                via_upstream=via_upstream)
        rows: list = [pkg, submission]
        result = Accepted(submission.doc_id)
        entries: list[dict] = []
        fresh: list[str] = []  # the receivers queued now
        for code, prior in zip(receivers, existing, strict=True):
            if prior is not None:
                result.deliveries.append(prior)
                continue
            dest = destinations[code]
            if dest is None:
                refusal = Refusal(code, vxp.UNKNOWN_RECEIVER, f"receiver {code!r} unknown")
                result.refused.append(refusal)
                rows.append(Delivery(
                    doc_id=new_doc_id(), submission=submission, package=pkg, message_type=message_type,
                    from_code=from_code, to_code=code, route=Delivery.REFUSED, state=Delivery.FAIL,
                    error_code=refusal.error.code, error_desc=refusal.error.message))
                entries.append({"action": LogEntry.REFUSED, "sha256": sha, "from_code": from_code, "to_code": code,
                                "system_id": system_id, "detail": f"{refusal.error.code} unknown receiver"})
                continue
            delivery = Delivery(
                doc_id=new_doc_id(), submission=submission, package=pkg, message_type=message_type,
                from_code=from_code, to_code=code, route=dest.route, holder=dest.holder, dedupe_key=keys[code],
                next_attempt_at=now if dest.route == Delivery.UPSTREAM else None)
            rows.append(delivery)
            result.deliveries.append(delivery)
            fresh.append(code)
            entries.append({"action": LogEntry.ACCEPTED, "doc_id": delivery.doc_id, "sha256": sha,
                            "from_code": from_code, "to_code": code, "system_id": system_id,
                            "detail": f"{message_type} route={dest.route}"
                                      + (f" upstream={remote_doc_id}" if via_upstream else "")})
        if not result.deliveries:
            raise vxp.VxpError(vxp.UNKNOWN_RECEIVER, ", ".join(receivers))
        # a status travelling back: noted on the delivery of the document it is about, for each receiver queued now
        return pkg, rows, result, entries, fresh if message_type == "status" else []

    def unit(w: _Writer) -> Accepted:
        # (fastsql: the INSERTs without the ORM's per-call compiling, same rows and instances;
        # on PostgreSQL package, submission and deliveries are one statement)
        pkg, rows, result, entries, noted = made()
        for entry in entries:
            w.log(**entry)
        fastsql.insert_linked(rows, upsert=(pkg, "sha256", "purged_at = NULL"))
        for to_code in noted:
            _note_status(package, from_code, to_code, known)
        return result

    def one() -> OneStatement | None:
        """The same write in one statement: the rows, each receiver's status noted, the entries."""
        pkg, rows, result, entries, noted = made()
        parts, values, keys, saved = fastsql.linked(rows, upsert=(pkg, "sha256", "purged_at = NULL"))
        for i, to_code in enumerate(noted):
            statement = _note_status_statement(package, from_code, to_code, known)
            if statement is None:
                return None
            if statement:
                parts += f", s{i} AS ({statement[0]})"
                values += statement[1]

        def done(row: tuple) -> Accepted:
            saved(row)
            return result

        return OneStatement(parts, values, entries, select=keys, done=done)

    try:
        accepted = write_grouped(unit, one)
    except IntegrityError:
        # A concurrent request queued this package (or document) for one of these receivers
        # first: asked again, those are answered as for a retry and the others queued.
        if again:
            raise
        return _queue(incoming, package, message_type, from_code, receivers, system=system,
                      via_upstream=via_upstream, remote_doc_id=remote_doc_id, known=known, again=True)
    except OperationalError as exc:
        if "full" in str(exc).lower():
            raise StorageFull(f"database: {exc}") from None
        raise
    if any(d.route == Delivery.UPSTREAM for d in accepted.deliveries):
        wake_forwarder()  # committed: the federation job sends it now, not at its next poll
    return accepted


# The status's UPDATE (every status package travelling back runs it), written once per process.
_NOTE_STATUS = Update(lambda document_id, to_codes, from_codes, at, status: (
    Delivery.objects.using(DB).filter(
        Q(receive_status_at__isnull=True) | Q(receive_status_at__lte=at), package__document_id=document_id,
        message_type="edoc", to_code__in=to_codes, from_code__in=from_codes),
    {"receive_status": status, "receive_status_at": at}),
    document_id=str, to_codes=[str], from_codes=[str], at=dt.datetime, status=str)


def _note_status(package, from_code: str, to_code: str, known: dict[str, Agency] | None = None) -> None:
    """A status travelling back: record it, as the receiver's latest status, on the delivery
    of the document it is about. Either code of an agency (QCVN 102 or QĐ 20) matches; a status
    older (by its Timestamp) than the one already recorded does not replace it. `known`: the
    agencies the accept already read (their codes need no statement of their own)."""
    values = _note_status_values(package, from_code, to_code, known)
    if values is not None:
        _NOTE_STATUS.run(**values)


def _note_status_values(package, from_code: str, to_code: str, known: dict[str, Agency] | None) -> dict | None:
    document_id = package.document_id
    if not document_id:
        return None
    stamp = package.timestamp
    at = timezone.make_aware(stamp, timezone.get_fixed_timezone(7 * 60)) if stamp else timezone.now()
    return {"document_id": document_id, "to_codes": sorted(_aliases(from_code, known)),
            "from_codes": sorted(_aliases(to_code, known)), "at": at, "status": package.status_code or ""}


def _note_status_statement(package, from_code: str, to_code: str, known: dict[str, Agency] | None
                           ) -> tuple[str, list] | tuple[()] | None:
    """`_note_status`'s UPDATE (SQL, parameters) for a larger statement; () when there is
    nothing to note, None when it must run on its own (through the ORM)."""
    values = _note_status_values(package, from_code, to_code, known)
    return () if values is None else _NOTE_STATUS.statement(**values)


def _aliases(code: str, known: dict[str, Agency] | None) -> set[str]:
    """`registry.aliases(code)`, from the agencies already read where `code` is among them."""
    agency = (known or {}).get(code)
    if agency is None:
        return aliases(code)
    return {code, *(c for c in (agency.code, agency.code_qd20) if c)}


def accept_from_upstream(path: Path, *, remote_doc_id: str, to_code: str, message_type: str) -> Accepted:
    """A package pulled from the upper hub for `to_code`: store and queue it here (never back up)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MiB):
            digest.update(chunk)
    incoming = Incoming(path=Path(path), size=os.path.getsize(path), sha_full=digest.digest(), sha_stripped=None,
                        sha256=digest.hexdigest())
    try:
        package = _read_edxml(incoming.path)
        from_code = (package.from_.organ_id or "").strip()
    except BaseException:
        incoming.discard()
        raise
    return _queue(incoming, package, message_type, from_code, [to_code], system=None, via_upstream=True,
                  remote_doc_id=remote_doc_id)

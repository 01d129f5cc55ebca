"""The hub's operations: authenticate, accept, route, deliver, acknowledge, forward.

Every state change happens here, inside one transaction on the hub database that
first takes the message-log head (so log entries form one ordered hash chain, across
threads and processes, on SQLite and PostgreSQL), and writes its log entries.
Views, the CLI and the forwarder only call these functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, OperationalError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from vpdt.hub import credentials
from vpdt.hub.models import Agency, Delivery, LogEntry, LogHead, Package, Route, Submission, System, Upstream
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.storage import Incoming, PackageStore, StorageFull
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")
GENESIS = "0" * 64
MiB = 1024 * 1024


# --------------------------------------------------------------------------- settings
def max_package_bytes() -> int:
    return int(getattr(settings, "HUB_MAX_PACKAGE_BYTES", 1024 * MiB))


def store() -> PackageStore:
    root = getattr(settings, "HUB_DATA_DIR", None) or os.environ.get("VPDT_HUB_DATA_DIR")
    if not root:
        root = Path(getattr(settings, "DATA_DIR", "var")) / "hub"
    return PackageStore(root, int(getattr(settings, "HUB_MIN_FREE_BYTES", 16 * MiB)))


def list_limit() -> int:
    return int(getattr(settings, "HUB_LIST_LIMIT", 1000))


def new_doc_id() -> str:
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- log
def _entry_hash(prev: str, fields: dict) -> str:
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def _entry_fields(entry: LogEntry) -> dict:
    return {k: getattr(entry, k) for k in ("seq", "at", "action", "doc_id", "sha256", "from_code", "to_code",
                                            "system_id", "detail")}


class _Writer:
    """The open write transaction: holds the log head row locked."""

    def __init__(self, head: LogHead):
        self.head = head
        self.entries: list[LogEntry] = []

    def log(self, action: str, *, doc_id: str = "", sha256: str = "", from_code: str = "", to_code: str = "",
            system_id: str = "", detail: str = "") -> None:
        entry = LogEntry(seq=self.head.seq + 1, at=datetime.now(UTC).isoformat(timespec="microseconds"),
                         action=action, doc_id=doc_id, sha256=sha256, from_code=from_code, to_code=to_code,
                         system_id=system_id, detail=detail[:1000], prev_hash=self.head.hash)
        entry.entry_hash = _entry_hash(entry.prev_hash, _entry_fields(entry))
        self.head.seq, self.head.hash = entry.seq, entry.entry_hash
        self.entries.append(entry)

    def mark(self) -> tuple[int, str, int]:
        return self.head.seq, self.head.hash, len(self.entries)

    def reset(self, mark: tuple[int, str, int]) -> None:
        """Forget the entries logged since `mark` (their savepoint was rolled back)."""
        self.head.seq, self.head.hash, count = mark
        del self.entries[count:]

    def flush(self) -> None:
        if self.entries:
            LogEntry.objects.using(DB).bulk_create(self.entries)
            LogHead.objects.using(DB).filter(pk=1).update(seq=self.head.seq, hash=self.head.hash)


class write:
    """`with write() as w:` one hub transaction; `w.log(...)` appends to the message log.

    Its first statement locks the log head (an UPDATE: the write lock on SQLite, a row
    lock on PostgreSQL), so every writer is serialized and the chain has no forks.
    """

    def __enter__(self) -> _Writer:
        self._atomic = transaction.atomic(using=DB)
        self._atomic.__enter__()
        try:
            head = _lock_head()
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._writer = _Writer(head)
        return self._writer

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self._writer.flush()
            except BaseException as flush_exc:
                self._atomic.__exit__(type(flush_exc), flush_exc, flush_exc.__traceback__)
                raise
        return self._atomic.__exit__(exc_type, exc, tb)


def _lock_head() -> LogHead:
    """Lock the log head row and read it in one statement (UPDATE … RETURNING)."""
    table = connections[DB].ops.quote_name(LogHead._meta.db_table)
    with connections[DB].cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET seq = seq WHERE id = 1 RETURNING seq, hash")
        row = cursor.fetchone()
    if row is None:
        return LogHead.objects.using(DB).create(pk=1, seq=0, hash=GENESIS)
    return LogHead(pk=1, seq=row[0], hash=row[1])


class _Unit:
    __slots__ = ("fn", "result", "error", "done")

    def __init__(self, fn):
        self.fn = fn
        self.result = None
        self.error: BaseException | None = None
        self.done = False


class _GroupCommit:
    """Group commit of hub write transactions across the threads of one process.

    `run(fn)` queues `fn(w)` and returns once the transaction holding it is committed
    (so every caller still waits for its own durability). Leader/follower: a thread
    that finds no batch running takes every queued unit and runs them in one `write()`
    transaction, each in its own savepoint (a failing unit is rolled back and its log
    entries forgotten, the others go on); the others wait. One log-head lock and one
    durable commit (WAL fsync) then serve many requests, where the lock held across a
    commit used to cap writes at 1/fsync time. The log order is the order of units
    within batches, still one chain.
    """

    def __init__(self, max_batch: int = 64):
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Unit] = []
        self._leading = False

    def run(self, fn):
        unit = _Unit(fn)
        with self._cond:
            self._queue.append(unit)
            while not unit.done:
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
                self._cond.release()
                try:
                    _run_batch(batch)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        if unit.error is not None:
            raise unit.error
        return unit.result


def _run_batch(batch: list[_Unit]) -> None:
    try:
        with write() as w:
            if len(batch) == 1:
                unit = batch[0]
                try:
                    unit.result = unit.fn(w)
                except Exception as exc:
                    unit.error = exc
                    raise
            else:
                for unit in batch:
                    mark = w.mark()
                    try:
                        with transaction.atomic(using=DB):
                            unit.result = unit.fn(w)
                    except Exception as exc:
                        w.reset(mark)
                        unit.error = exc
    except Exception as exc:  # the commit failed: nothing of the batch is stored
        for unit in batch:
            if unit.error is None:
                unit.result, unit.error = None, exc
    finally:
        for unit in batch:
            unit.done = True


_group = _GroupCommit()


def write_grouped(fn):
    """Run `fn(w)` in a hub write transaction, possibly shared with concurrent callers;
    returns its result (or raises its exception) once committed."""
    return _group.run(fn)


@dataclass
class LogCheck:
    ok: bool
    entries: int
    problem: str = ""
    seq: int | None = None


def verify_log() -> LogCheck:
    """Recompute the hash chain; any edited, deleted, inserted or reordered entry breaks it."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in LogEntry.objects.using(DB).order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return LogCheck(False, count, f"entry {expected_seq} missing (found {entry.seq})", expected_seq)
        if entry.prev_hash != prev:
            return LogCheck(False, count, f"entry {entry.seq}: prev_hash does not match entry {entry.seq - 1}",
                            entry.seq)
        if _entry_hash(entry.prev_hash, _entry_fields(entry)) != entry.entry_hash:
            return LogCheck(False, count, f"entry {entry.seq}: content does not match its hash", entry.seq)
        prev = entry.entry_hash
        expected_seq += 1
        count += 1
    head = LogHead.objects.using(DB).filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev:
        return LogCheck(False, count, f"log head says {head_seq} entries ending {head_hash[:12]}, "
                                      f"found {count} ending {prev[:12]} (entries removed at the end?)")
    return LogCheck(True, count)


# --------------------------------------------------------------------------- registry
def subtree_suffix(code: str) -> str:
    """`000.00.38.H53` -> `38.H53`: the codes under an agency end with this."""
    parts = code.strip().split(".")
    while len(parts) > 1 and set(parts[0]) <= {"0"}:
        parts.pop(0)
    return ".".join(parts)


def _upsert_system(system_id: str, secret: str, kind: str, name: str = "") -> System:
    system = System.objects.using(DB).filter(system_id=system_id).first()
    if system is None:
        system = System(system_id=system_id, kind=kind)
    system.secret_encrypted = credentials.encrypt(secret)
    system.kind = kind
    system.active = True
    if name:
        system.name = name
    system.save(using=DB)
    _secret_cache.pop(system_id, None)
    return system


def add_agency(code: str, name: str, *, system_id: str, secret: str, parent_code: str = "", mail: str = "") -> Agency:
    """Operator: register an agency served by this hub, with its system's VXP credentials."""
    with write() as w:
        system = _upsert_system(system_id, secret, System.AGENCY)
        agency, created = Agency.objects.using(DB).update_or_create(
            code=code, defaults={"name": name, "parent_code": parent_code, "system": system, "active": True,
                                 "mail": mail})
        w.log("registered", to_code=code, system_id=system_id, detail=f"agency {'added' if created else 'updated'}")
    return agency


def add_downstream(system_id: str, secret: str, codes: Iterable[str], name: str = "") -> System:
    """Operator: a downstream hub that serves the subtrees of `codes` and pulls their packages."""
    with write() as w:
        system = _upsert_system(system_id, secret, System.HUB, name)
        for code in codes:
            suffix = subtree_suffix(code)
            Route.objects.using(DB).update_or_create(suffix=suffix, defaults={"system": system})
            w.log("registered", to_code=code, system_id=system_id, detail=f"downstream hub serves *.{suffix}")
    return system


def set_upstream(url: str, system_id: str, secret: str) -> Upstream:
    with write() as w:
        upstream, _ = Upstream.objects.using(DB).update_or_create(
            pk=1, defaults={"url": url.rstrip("/"), "system_id": system_id,
                            "secret_encrypted": credentials.encrypt(secret)})
        w.log("registered", system_id=system_id, detail=f"upstream {url}")
    return upstream


def get_upstream() -> tuple[str, str, str] | None:
    upstream = Upstream.objects.using(DB).filter(pk=1).first()
    if upstream is None:
        return None
    return upstream.url, upstream.system_id, credentials.decrypt(upstream.secret_encrypted)


def generate_secret() -> str:
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- authentication
_secret_cache: dict[str, tuple[str, str]] = {}  # system_id -> (stored, plain)


@dataclass
class Caller:
    system: System
    signed: vxp.SignedHeaders

    @property
    def system_id(self) -> str:
        return self.system.system_id


def authenticate(headers) -> Caller:
    signed = vxp.read_signed_headers(headers)
    system = System.objects.using(DB).filter(system_id=signed.system_id, active=True).first()
    if system is None:
        raise vxp.VxpError(vxp.UNKNOWN_SYSTEM, f"systemid {signed.system_id!r}")
    cached = _secret_cache.get(system.system_id)
    if cached and cached[0] == system.secret_encrypted:
        secret = cached[1]
    else:
        secret = credentials.decrypt(system.secret_encrypted)
        _secret_cache[system.system_id] = (system.secret_encrypted, secret)
    if not signed.verify(secret):
        raise vxp.VxpError(vxp.BAD_SIGNATURE, f"for systemid {signed.system_id!r}")
    return Caller(system, signed)


# --------------------------------------------------------------------------- routing
@dataclass
class Destination:
    route: str
    holder: System | None = None


def _active_agencies(codes: Iterable[str]) -> dict[str, Agency]:
    """The active agencies among `codes`, with their systems, in one query."""
    return {a.code: a for a in Agency.objects.using(DB).filter(code__in=set(codes), active=True)
            .select_related("system")}


def _route_of(code: str, *, allow_upstream: bool, known: dict[str, Agency] | None = None) -> Destination | None:
    if known is None:
        agency = Agency.objects.using(DB).filter(code=code, active=True).select_related("system").first()
    else:
        agency = known.get(code)
    if agency is not None and agency.system is not None and agency.system.active:
        kind = Delivery.LOCAL if agency.system.kind == System.AGENCY else Delivery.DOWNSTREAM
        return Destination(kind, agency.system)
    best: Route | None = None
    for route in Route.objects.using(DB).select_related("system").filter(system__active=True):
        if (code == route.suffix or code.endswith("." + route.suffix)) and (
                best is None or len(route.suffix) > len(best.suffix)):
            best = route
    if best is not None:
        return Destination(Delivery.DOWNSTREAM, best.system)
    if allow_upstream and Upstream.objects.using(DB).filter(pk=1).exists():
        return Destination(Delivery.UPSTREAM)
    return None


def route(code: str) -> Destination | None:
    """Where a package for `code` goes: a local system, a downstream hub, the upper hub, or None."""
    return _route_of(code, allow_upstream=True)


def _owns(system: System, code: str, known: dict[str, Agency] | None = None) -> bool:
    if known is not None:
        agency = known.get(code)
        if agency is not None and agency.system_id == system.pk:
            return True
    elif Agency.objects.using(DB).filter(code=code, system=system, active=True).exists():
        return True
    if system.kind == System.HUB:
        return any(code == r.suffix or code.endswith("." + r.suffix) for r in system.routes.using(DB).all())
    return False


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
        return read_package(str(path), attachment_sink=None, strict=False, verify_signature=False)
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
        receivers = _receivers(signed.to_codes, package)
        known = _active_agencies([from_code, *receivers])  # sender and receivers: one query
        if not _owns(caller.system, from_code, known):
            raise vxp.VxpError(vxp.FORGED_FROM, f"From {from_code!r} is not an agency of system {caller.system_id!r}")
        if not receivers:
            raise vxp.VxpError(vxp.NO_RECEIVER, "no to header and no To/ResponseFor in the package")
        return _queue(incoming, package, message_type, from_code, receivers, system=caller.system, known=known)
    except BaseException:
        incoming.discard()
        raise


def _dedupe_key(package, message_type: str, from_code: str, to_code: str) -> str | None:
    if message_type != "edoc" or getattr(package, "business_type", 0) != 0 or not package.document_id:
        return None  # revoke/update/replace reuse the DocumentId; statuses have none of their own
    return f"{from_code}|{package.document_id}|{to_code}"[:800]


def _existing(sha256: str, to_code: str, key: str | None) -> Delivery | None:
    query = Q(package__sha256=sha256, to_code=to_code)
    if key:
        query |= Q(dedupe_key=key)
    return Delivery.objects.using(DB).filter(query).exclude(route=Delivery.REFUSED).select_related(
        "submission").first()


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
           known: dict[str, Agency] | None = None) -> Accepted:
    sha = incoming.sha256
    keys = {code: _dedupe_key(package, message_type, from_code, code) for code in receivers}
    # Fast path for a retry: every receiver already queued -> same answer, nothing written.
    existing = [_existing(sha, code, keys[code]) for code in receivers]
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

    def unit(w: _Writer) -> Accepted:
        # Every hub writer holds the log head, so nothing can insert this package between
        # the SELECT and the INSERT: no savepoint needed (get_or_create would add two).
        pkg = Package.objects.using(DB).filter(sha256=sha).first()
        if pkg is None:
            pkg = Package.objects.using(DB).create(sha256=sha, size=incoming.size, **fields)
        elif pkg.purged_at is not None:
            Package.objects.using(DB).filter(pk=pkg.pk).update(purged_at=None)
        submission = Submission.objects.using(DB).create(
            doc_id=new_doc_id(), package=pkg, system=system, from_code=from_code, via_upstream=via_upstream)
        result = Accepted(submission.doc_id)
        for code in receivers:
            key = keys[code]
            prior = _existing(sha, code, key)
            if prior is not None:
                result.deliveries.append(prior)
                continue
            dest = destinations[code]
            if dest is None:
                refusal = Refusal(code, vxp.UNKNOWN_RECEIVER, f"receiver {code!r} unknown")
                result.refused.append(refusal)
                Delivery.objects.using(DB).create(
                    doc_id=new_doc_id(), submission=submission, package=pkg, message_type=message_type,
                    from_code=from_code, to_code=code, route=Delivery.REFUSED, state=Delivery.FAIL,
                    error_code=refusal.error.code, error_desc=refusal.error.message)
                w.log(LogEntry.REFUSED, sha256=sha, from_code=from_code, to_code=code,
                      system_id=system.system_id if system else "", detail=f"{refusal.error.code} unknown receiver")
                continue
            delivery = Delivery.objects.using(DB).create(
                doc_id=new_doc_id(), submission=submission, package=pkg, message_type=message_type,
                from_code=from_code, to_code=code, route=dest.route, holder=dest.holder, dedupe_key=key,
                next_attempt_at=now if dest.route == Delivery.UPSTREAM else None)
            result.deliveries.append(delivery)
            w.log(LogEntry.ACCEPTED, doc_id=delivery.doc_id, sha256=sha, from_code=from_code, to_code=code,
                  system_id=system.system_id if system else "",
                  detail=f"{message_type} route={dest.route}" + (f" upstream={remote_doc_id}" if via_upstream else ""))
            if message_type == "status":
                _note_status(package, from_code, code)
        if not result.deliveries:
            raise vxp.VxpError(vxp.UNKNOWN_RECEIVER, ", ".join(receivers))
        if all(d.submission_id != submission.pk for d in result.deliveries) and not result.refused:
            # everything was a duplicate after all (a concurrent retry won the race)
            raise _Duplicate(result.deliveries)
        return result

    try:
        return write_grouped(unit)
    except _Duplicate as dup:
        return Accepted(dup.deliveries[0].submission.doc_id, dup.deliveries, duplicate=True)
    except IntegrityError:
        # A concurrent identical request committed first: answer as for a retry.
        again = [_existing(sha, code, _dedupe_key(package, message_type, from_code, code)) for code in receivers]
        found = [d for d in again if d]
        if found:
            return Accepted(found[0].submission.doc_id, found, duplicate=True)
        raise
    except OperationalError as exc:
        if "full" in str(exc).lower():
            raise StorageFull(f"database: {exc}") from None
        raise


class _Duplicate(Exception):
    def __init__(self, deliveries):
        self.deliveries = deliveries


def _note_status(package, from_code: str, to_code: str) -> None:
    """A status travelling back: record it on the delivery of the document it is about."""
    document_id = package.document_id
    if not document_id:
        return
    Delivery.objects.using(DB).filter(
        package__document_id=document_id, message_type="edoc", to_code=from_code, from_code=to_code,
    ).update(receive_status=package.status_code or "", receive_status_at=timezone.now())


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


# --------------------------------------------------------------------------- receive side
def received(caller: Caller, message_type: str | None = None) -> list[Delivery]:
    query = Delivery.objects.using(DB).filter(holder=caller.system,
                                              state__in=[Delivery.PENDING, Delivery.PROCESSING])
    if message_type in vxp.MESSAGE_TYPES:
        query = query.filter(message_type=message_type)
    return list(query.order_by("id")[: list_limit()])


def count_received(caller: Caller, message_type: str) -> int:
    return Delivery.objects.using(DB).filter(holder=caller.system, message_type=message_type,
                                             state__in=[Delivery.PENDING, Delivery.PROCESSING]).count()


def _own_delivery(caller: Caller, doc_id: str | None) -> Delivery:
    if not doc_id:
        raise vxp.VxpError(vxp.BAD_REQUEST, "docId header required")
    delivery = Delivery.objects.using(DB).filter(doc_id=doc_id, holder=caller.system).select_related(
        "package").first()
    if delivery is None:
        raise vxp.VxpError(vxp.NOT_FOUND, f"docId {doc_id!r}")
    return delivery


def open_delivery(caller: Caller, doc_id: str | None):
    """getEdoc/downloadEdoc: the package file, opened; logs `delivered` on the first fetch."""
    delivery = _own_delivery(caller, doc_id)
    path = store().path(delivery.package.sha256)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise vxp.VxpError(vxp.CONTENT_GONE, f"docId {doc_id!r}") from None
    if delivery.fetched_at is None:
        def unit(w: _Writer) -> None:
            if Delivery.objects.using(DB).filter(pk=delivery.pk, fetched_at__isnull=True).update(
                    fetched_at=timezone.now()):
                w.log(LogEntry.DELIVERED, doc_id=delivery.doc_id, sha256=delivery.package.sha256,
                      from_code=delivery.from_code, to_code=delivery.to_code, system_id=caller.system_id)

        try:
            write_grouped(unit)
        except BaseException:
            fh.close()
            raise
    return delivery, fh


def acknowledge(caller: Caller, doc_id: str | None, status: str | None) -> Delivery:
    """updateStatus: done (received and stored: leaves the list), fail, or processing."""
    status = (status or "").strip().lower()
    if status not in vxp.TRANSPORT_STATUSES:
        raise vxp.VxpError(vxp.BAD_STATUS, f"status {status!r}")
    delivery = _own_delivery(caller, doc_id)
    if delivery.state == status:
        return delivery  # a retry
    def unit(w: _Writer) -> None:
        updates = {"state": status}
        if status in (Delivery.DONE, Delivery.FAIL):
            updates["done_at"] = timezone.now()
        Delivery.objects.using(DB).filter(pk=delivery.pk).update(**updates)
        action = LogEntry.ACKNOWLEDGED if status == Delivery.DONE else f"status-{status}"
        w.log(action, doc_id=delivery.doc_id, sha256=delivery.package.sha256, from_code=delivery.from_code,
              to_code=delivery.to_code, system_id=caller.system_id, detail=status)

    write_grouped(unit)
    delivery.state = status
    return delivery


# --------------------------------------------------------------------------- send side
def sent(caller: Caller, doc_id: str | None = None, message_type: str | None = None) -> list[Delivery]:
    query = Delivery.objects.using(DB).filter(submission__system=caller.system).select_related(
        "submission", "package")
    if doc_id:
        query = query.filter(Q(submission__doc_id=doc_id) | Q(doc_id=doc_id))
    elif message_type in vxp.MESSAGE_TYPES:
        query = query.filter(message_type=message_type)
    return list(query.order_by("-id")[: list_limit()])


# --------------------------------------------------------------------------- directory
def agencies() -> list[Agency]:
    return list(Agency.objects.using(DB).filter(active=True).order_by("code"))


def code_level(code: str) -> int:
    """1 for `000.00.00.H53`, 2 for `000.00.13.H53`, ...: number of non-zero segments."""
    return sum(1 for part in code.split(".") if part.strip("0"))


def register_agency(caller: Caller, payload: dict) -> Agency:
    """registerAgency: a system adds an agency under one it owns (or in its subtree)."""
    code = str(payload.get("code") or "").strip()
    name = str(payload.get("name") or "").strip()
    parent = str(payload.get("pcode") or "").strip()
    if not code or not name:
        raise vxp.VxpError(vxp.BAD_REQUEST, "code and name are required")
    existing = Agency.objects.using(DB).filter(code=code).first()
    if existing is not None and existing.system_id not in (None, caller.system.pk) and existing.active:
        raise vxp.VxpError(vxp.AGENCY_EXISTS, f"{code!r}")
    if not (parent and _owns(caller.system, parent)) and not _owns(caller.system, code) and not (
            existing is None and not parent and not caller.system.agencies.using(DB).exists()):
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"parent {parent!r} is not an agency of {caller.system_id!r}")
    with write() as w:
        agency, _ = Agency.objects.using(DB).update_or_create(code=code, defaults={
            "name": name[:500], "parent_code": parent, "mail": str(payload.get("mail") or "")[:200],
            "mobile": str(payload.get("mobile") or "")[:50], "fax": str(payload.get("fax") or "")[:50],
            "system": caller.system, "active": True})
        w.log("registered", to_code=code, system_id=caller.system_id, detail="registerAgency")
    return agency


def delete_agency(caller: Caller, code: str | None) -> None:
    agency = Agency.objects.using(DB).filter(code=(code or "").strip(), active=True).first()
    if agency is None:
        raise vxp.VxpError(vxp.AGENCY_NOT_FOUND, f"{code!r}")
    if agency.system_id != caller.system.pk:
        raise vxp.VxpError(vxp.NOT_ALLOWED, f"{code!r} belongs to another system")
    with write() as w:
        Agency.objects.using(DB).filter(pk=agency.pk).update(active=False)
        w.log("unregistered", to_code=agency.code, system_id=caller.system_id, detail="deleteAgency")


# --------------------------------------------------------------------------- forwarding
def due_forwards(limit: int = 50) -> list[Delivery]:
    return list(Delivery.objects.using(DB).filter(
        route=Delivery.UPSTREAM, state=Delivery.PENDING, next_attempt_at__lte=timezone.now(),
    ).select_related("package").order_by("next_attempt_at", "id")[:limit])


def claim_forward(delivery: Delivery, lease_seconds: float = 120) -> bool:
    """Lease a due row so two forwarder processes do not send it at once (a retry is harmless anyway)."""
    return bool(Delivery.objects.using(DB).filter(pk=delivery.pk, state=Delivery.PENDING,
                                                  next_attempt_at=delivery.next_attempt_at).update(
        next_attempt_at=timezone.now() + timedelta(seconds=lease_seconds)))


def forwarded(delivery: Delivery, remote_doc_id: str) -> None:
    with write() as w:
        Delivery.objects.using(DB).filter(pk=delivery.pk).update(state=Delivery.DONE, remote_doc_id=remote_doc_id,
                                                                 done_at=timezone.now(), attempts=F("attempts") + 1)
        w.log(LogEntry.FORWARDED, doc_id=delivery.doc_id, sha256=delivery.package.sha256,
              from_code=delivery.from_code, to_code=delivery.to_code, detail=f"upstream docId {remote_doc_id}")


def forward_failed(delivery: Delivery, error: str, *, permanent: bool, code: str = "") -> None:
    attempts = delivery.attempts + 1
    base = float(getattr(settings, "HUB_RETRY_BASE_SECONDS", 1.0))
    cap = float(getattr(settings, "HUB_RETRY_MAX_SECONDS", 600.0))
    delay = min(cap, base * (2 ** min(attempts - 1, 20)))
    with write() as w:
        updates = {"attempts": attempts, "error_desc": error[:1000], "error_code": code[:10]}
        if permanent:
            updates.update(state=Delivery.FAIL, done_at=timezone.now())
            w.log(LogEntry.REFUSED, doc_id=delivery.doc_id, sha256=delivery.package.sha256,
                  from_code=delivery.from_code, to_code=delivery.to_code, detail=f"upstream refused: {error}"[:1000])
        else:
            updates["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
        Delivery.objects.using(DB).filter(pk=delivery.pk).update(**updates)


def package_path(delivery: Delivery) -> Path:
    return store().path(delivery.package.sha256)


# --------------------------------------------------------------------------- retention
def purge_delivered(days: float) -> int:
    """Delete package files whose every delivery is finished for `days`; the log stays."""
    cutoff = timezone.now() - timedelta(days=days)
    storage = store()
    purged = 0
    open_states = [Delivery.PENDING, Delivery.PROCESSING]
    candidates = Package.objects.using(DB).filter(purged_at__isnull=True, created_at__lt=cutoff).exclude(
        deliveries__state__in=open_states).exclude(deliveries__done_at__gte=cutoff)
    for pkg in candidates.iterator():
        with write() as w:
            if Delivery.objects.using(DB).filter(package=pkg, state__in=open_states).exists():
                continue
            Package.objects.using(DB).filter(pk=pkg.pk).update(purged_at=timezone.now())
            w.log(LogEntry.PURGED, sha256=pkg.sha256, from_code=pkg.from_code, detail=f"retention {days} days")
        storage.delete(pkg.sha256)
        purged += 1
    return purged

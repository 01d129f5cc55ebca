"""The one way to write the audit log, and the hash chain that makes it tamper-evident.

Each entry carries `seq`, the previous entry's hash and its own hash, SHA-256 over the
previous hash and a canonical JSON of its fields (`chained_fields`). Writers take the
chain head (`AuditHead`, one row) with an UPDATE first, inside their transaction (the
write lock on SQLite, a row lock on PostgreSQL), so concurrent writers never fork the
chain: the head is held until the writer's transaction commits. A transaction that does slow
work after its first audited change (a release writing its package, the intake of a received
one) records in `deferred()`: its entries are appended when that work is done.

Database triggers refuse UPDATE and DELETE; one who bypasses them (drops a trigger, edits
the SQLite file) leaves a chain that `verify` finds broken. One who rewrites the chain
from some entry on, recomputing every hash after it, is caught by the anchors: the head
(seq, hash) written now and then (`anchor`, the periodic job `audit.anchor`) to a file
signed with the platform's anchor key (Ed25519, the private key sealed under the
deployment secret) and to any registered sink (the hub's message log, when the hub runs
in this process).

Rows written before the chain existed have no `seq`; migration 0004 appended an
`audit.genesis` entry holding their count and a digest over them, so they are checked too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from vpdt.core import prepared, request_context
from vpdt.core.models import AuditEntry, AuditHead
from vpdt.core.prepared import Read

log = logging.getLogger("vpdt.audit")

GENESIS = "0" * 64
GENESIS_ACTION = "audit.genesis"
# The fields an entry's hash covers, in the order `verify` reads them.
CHAINED = ("seq", "at", "actor_id", "actor_name", "agency_code", "action", "object_type", "object_id", "ip",
           "via", "detail")
LEGACY = ("id", *CHAINED[1:])


# --------------------------------------------------------------------------- hashing
def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # a raw SQLite read
        value = datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(names: tuple[str, ...], values: tuple) -> bytes:
    """The bytes hashed for one entry: JSON, sorted keys, no spaces, UTF-8, `at` in UTC µs."""
    fields = dict(zip(names, values, strict=True))
    fields["at"] = _iso(fields["at"])
    if isinstance(fields.get("detail"), str):  # a raw read of the JSON column
        fields["detail"] = json.loads(fields["detail"])
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def entry_hash(prev: str, values: tuple) -> str:
    """`values` in the order of CHAINED."""
    return hashlib.sha256(prev.encode("ascii") + canonical(CHAINED, values)).hexdigest()


def legacy_digest(rows) -> tuple[int, int | None, str]:
    """(count, last id, digest) over unchained rows (tuples in the order of LEGACY), by id."""
    digest, count, last = GENESIS, 0, None
    for row in rows:
        digest = hashlib.sha256(digest.encode("ascii") + canonical(LEGACY, row)).hexdigest()
        count, last = count + 1, row[0]
    return count, last, digest


def _values(entry: AuditEntry) -> tuple:
    return tuple(getattr(entry, name) for name in CHAINED)


# --------------------------------------------------------------------------- writing
def _lock_head() -> tuple[int, str]:
    """Lock the head row and read it in one statement (UPDATE … RETURNING)."""
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET seq = seq WHERE id = 1 RETURNING seq, hash")
        row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    # No head yet (a fresh database, a test's flush): start from the last chained entry.
    last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "entry_hash").first()
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": last[0] if last else 0,
                                                    "hash": last[1] if last else GENESIS})
    return _lock_head()


def hold_head() -> None:
    """Inside a transaction: take the chain's head now; it is held until the transaction ends.

    For work that must not wait for the head while it holds something another writer waits
    for: taking the head first, it waits while holding nothing (vpdt.signing.agency_keys)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.hold_head() must be used inside a transaction")
    _lock_head()


def _append(**fields) -> AuditEntry:
    """Append one entry to the chain (in the caller's transaction, or its own)."""
    return _append_many([fields])[0]


_BATCH = 500  # entries per statement


def _append_many(many: list[dict]) -> list[AuditEntry]:
    """Append entries to the chain in the order given, under one take of the head: on
    PostgreSQL one statement for up to 500 (the head locked and read, the hashes, the INSERT and
    the head's move: `_append_in_one_statement`), on SQLite three.

    Inside the caller's transaction no savepoint of its own (two statements fewer per entry:
    an exchange writes ~9 entries): an entry that cannot be written fails the caller's whole
    transaction, which is what an audited change must do anyway."""
    entries: list[AuditEntry] = []
    if not many:
        return entries
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            for start in range(0, len(many), _BATCH):
                chained = _append_in_one_statement(many[start:start + _BATCH])
                if chained is None:  # no head row yet (a fresh database): made, then again
                    _lock_head()
                    chained = _append_in_one_statement(many[start:start + _BATCH])
                entries.extend(chained)
            return entries
        seq, prev = _lock_head()
        for fields in many:
            entry = AuditEntry(seq=seq + 1, prev_hash=prev, at=timezone.now(), **fields)
            entry.entry_hash = entry_hash(prev, _values(entry))
            seq, prev = entry.seq, entry.entry_hash
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries, batch_size=_BATCH)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return entries


# PostgreSQL: the head locked and read, each entry's seq and hash computed from it, the entries
# inserted and the head moved, in one statement. The hash is the same as `entry_hash` computes:
# the canonical JSON is built here split around its `seq` (the only key that sorts between the
# others and `via`), and PostgreSQL joins the parts with the seq it reads under the lock. The
# entries travel as one JSON array (each its parts, its number and its columns): one parameter,
# where ten column arrays and two of parts were twelve for the driver to write out element by
# element (a third of an append's CPU in this process).
assert sorted(CHAINED)[-2:] == ["seq", "via"]
_ENTRY_COLUMNS = ("at", "actor_id", "actor_name", "agency_code", "action", "object_type", "object_id", "ip",
                  "via", "detail")
_ENTRY_TYPES = ("timestamptz", "bigint", "text", "text", "text", "text", "text", "inet", "text", "jsonb")
_CHAIN_SQL = """
WITH RECURSIVE h AS MATERIALIZED (SELECT seq, hash FROM {head} WHERE id = 1 FOR UPDATE),
v AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v(i bigint, before text, after text, {typed})),
c(i, seq, prev, hash) AS (
    SELECT v.i, h.seq + 1, h.hash::text,
           encode(sha256(convert_to(h.hash || v.before || (h.seq + 1)::text || v.after, 'UTF8')), 'hex')
      FROM h JOIN v ON v.i = 1
    UNION ALL
    SELECT v.i, c.seq + 1, c.hash::text,
           encode(sha256(convert_to(c.hash || v.before || (c.seq + 1)::text || v.after, 'UTF8')), 'hex')
      FROM c JOIN v ON v.i = c.i + 1
),
e AS (INSERT INTO {entry} (seq, prev_hash, entry_hash, {columns})
      SELECT c.seq, c.prev, c.hash, {values} FROM c JOIN v ON v.i = c.i
      RETURNING id, seq, prev_hash, entry_hash),
m AS (UPDATE {head} SET seq = (SELECT max(seq) FROM e), hash = (SELECT entry_hash FROM e ORDER BY seq DESC LIMIT 1)
      WHERE id = 1)
SELECT id, seq, prev_hash, entry_hash FROM e ORDER BY seq
""".format(head=AuditHead._meta.db_table, entry=AuditEntry._meta.db_table, columns=", ".join(_ENTRY_COLUMNS),
           values=", ".join(f"v.{n}" for n in _ENTRY_COLUMNS),
           typed=", ".join(f"{n} {kind}" for n, kind in zip(_ENTRY_COLUMNS, _ENTRY_TYPES, strict=True)))


_BEFORE_SEQ = tuple(name for name in CHAINED if name not in ("seq", "via"))


def _split_canonical(entry: AuditEntry) -> tuple[str, str]:
    """`canonical(CHAINED, ...)` of the entry as the text before its seq's digits and after them."""
    head = canonical(_BEFORE_SEQ, tuple(getattr(entry, name) for name in _BEFORE_SEQ)).decode("utf-8")
    via = json.dumps(entry.via, ensure_ascii=False)  # a string: as canonical writes it
    return head[:-1] + ',"seq":', ',"via":' + via + "}"


def _append_in_one_statement(many: list[dict]) -> list[AuditEntry] | None:
    """The entries chained and written in one statement (PostgreSQL); None, with nothing written,
    where there is no head row yet (the caller's way makes it)."""
    at = timezone.now()
    entries = [AuditEntry(at=at, **fields) for fields in many]
    rows = []
    for i, entry in enumerate(entries, start=1):
        before, after = _split_canonical(entry)
        row = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
        row.update(i=i, before=before, after=after, at=at.isoformat())
        rows.append(row)
    with prepared.cursor(connection.alias) as cursor:
        cursor.execute(_CHAIN_SQL, [json.dumps(rows, ensure_ascii=False)])
        chained = cursor.fetchall()
    if not chained:
        return None
    for entry, (pk, seq, prev, hash_) in zip(entries, chained, strict=True):
        entry.pk, entry.seq, entry.prev_hash, entry.entry_hash = pk, seq, prev, hash_
        entry._state.adding = False
        entry._state.db = connection.alias
    return entries


def _json_safe(value):
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def record(action: str, obj: Any = None, *, user=None, agency_code: str = "", detail: dict | None = None) -> AuditEntry:
    """Append an entry: `action` is a dotted verb (`document.register`), `obj` the object changed.

    The acting user and address come from the request context unless `user` is given.
    `user` may be a system actor (anything with `is_system_actor`, e.g.
    `vpdt.records.actors.SystemActor`): the entry then names it and says `via="system"`.
    """
    actor = request_context.current()
    via = actor.via
    system = getattr(user, "is_system_actor", False)
    user_id = user.pk if user is not None else actor.user_id
    name = ""
    if system:
        via = "system"
        name = user.get_full_name()
    elif user is not None:
        name = user.get_full_name() or user.get_username()
    elif user_id is not None:
        from django.contrib.auth import get_user_model

        found = get_user_model().objects.filter(pk=user_id).first()
        name = (found.get_full_name() or found.get_username()) if found else ""
    if not agency_code and obj is not None:
        agency = getattr(obj, "agency", None)
        agency_code = getattr(agency, "code", "") or ""
    ip = AuditEntry._meta.get_field("ip").get_prep_value(actor.ip) if actor.ip else None
    fields = dict(
        actor_id=user_id,
        actor_name=name,
        agency_code=agency_code,
        action=action,
        object_type=obj._meta.label_lower if obj is not None and hasattr(obj, "_meta") else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        ip=ip,
        via=via,
        detail=_json_safe(detail or {}),
    )
    pending = getattr(_deferring, "pending", None)
    if pending is not None:  # inside deferred(), itself inside a transaction
        marker = _Marker()
        transaction.on_commit(marker)  # Django drops it if the savepoint it was made in rolls back
        pending.append((marker, fields))
        return AuditEntry(**fields)
    return _append(**fields)


# --------------------------------------------------------------------------- deferring
class _Marker:
    """An on-commit callback that does nothing: while it is in the connection's list, the
    savepoint its entry was recorded in has not been rolled back."""

    def __call__(self) -> None:
        pass


_deferring = threading.local()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Inside a transaction: the entries recorded in the block are appended to the chain at its
    end, not as they are recorded. Appending takes the chain's head, and the head is held until
    the transaction commits; every audited change of the whole system waits for it. A release
    writes and signs its edXML package after its first audited change: in this block it does
    so without holding the head (tests/core/test_audit_deferred.py).

    Each entry is appended as `record` would have appended it (in the order recorded, its time
    that of the append), or not at all when the savepoint it was recorded in rolled back (Django
    drops that savepoint's on-commit callbacks; each entry leaves one as a marker). They are
    appended together, under one take of the head (on PostgreSQL two statements for them all,
    where each alone took two). An entry recorded in the block comes back unsaved (no `seq`,
    no `pk`)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.deferred() must be used inside a transaction")
    if getattr(_deferring, "pending", None) is not None:  # already deferring: the outer block appends
        yield
        return
    pending: list = []
    _deferring.pending = pending
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        _deferring.pending = None
        alive = {id(func) for _sids, func, _robust in connection.run_on_commit}
        connection.run_on_commit = [c for c in connection.run_on_commit if not isinstance(c[1], _Marker)]
        # Also after an error the caller may catch inside its transaction: what was changed
        # before it, and not rolled back, keeps its entries.
        if not connection.needs_rollback:
            try:
                _append_many([fields for marker, fields in pending if id(marker) in alive])
            except Exception:
                if not failed:
                    raise  # else the block's own error goes on, and its transaction rolls back


_HISTORY = Read(lambda kind, pk: AuditEntry.objects.filter(object_type=kind, object_id=pk).order_by("at", "id"),
                kind=str, pk=str)  # every document page's story (vpdt.core.prepared)


def history(obj) -> list[AuditEntry]:
    return _HISTORY.instances(kind=obj._meta.label_lower, pk=str(obj.pk))


# --------------------------------------------------------------------------- anchors
@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    source: str  # "file" or a sink's name


class AnchorSink:
    """Somewhere else the head is written: `write(anchor)` and `read()` (the hub's log)."""

    name = "sink"

    def write(self, anchor: Anchor) -> None:
        raise NotImplementedError

    def read(self) -> list[Anchor]:
        raise NotImplementedError


_sinks: list[AnchorSink] = []


def register_anchor_sink(sink: AnchorSink) -> None:
    if not any(s.name == sink.name for s in _sinks):
        _sinks.append(sink)


def _anchor_dir() -> Path:
    from django.conf import settings

    return Path(settings.VPDT_AUDIT_ANCHOR_DIR)


def _sealer():
    from vpdt.core.sealed import Sealer

    return Sealer(salt=b"vpdt.audit.anchor", info=b"ed25519 anchor signing key")


def _anchor_key(create: bool):
    """The platform's anchor signing key (Ed25519), sealed under the deployment secret."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = _anchor_dir() / "anchor-key.sealed"
    if path.exists():
        return Ed25519PrivateKey.from_private_bytes(_sealer().open(path.read_bytes()))
    if not create:
        return None
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(_sealer().seal(raw))
    os.replace(tmp, path)
    return key


def _public_hex(key) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _signed_bytes(seq: int, hash_: str, at: str) -> bytes:
    return json.dumps({"at": at, "hash": hash_, "seq": seq}, separators=(",", ":"), sort_keys=True).encode()


def head() -> tuple[int, str]:
    row = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return (row[0], row[1]) if row else (0, GENESIS)


def anchor(force: bool = False) -> Anchor | None:
    """Write the chain head to the signed anchor file and every sink; None if unchanged."""
    seq, hash_ = head()
    if seq == 0:
        return None
    path = _anchor_dir() / "anchors.jsonl"
    last = _read_file_anchors(path, check=False)
    if last and last[-1].seq == seq and last[-1].hash == hash_ and not force:
        return None
    at = datetime.now(UTC).isoformat(timespec="seconds")
    key = _anchor_key(create=True)
    line = {"seq": seq, "hash": hash_, "at": at, "key": _public_hex(key),
            "sig": key.sign(_signed_bytes(seq, hash_, at)).hex()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
        f.flush()
        os.fsync(f.fileno())
    result = Anchor(seq, hash_, at, "file")
    for sink in _sinks:
        try:
            sink.write(result)
        except Exception:  # the file anchor is written; a sink that fails is said, not fatal
            log.warning("audit anchor: sink %s failed", sink.name, exc_info=True)
    return result


class AnchorForged(Exception):
    pass


def _read_file_anchors(path: Path, check: bool = True) -> list[Anchor]:
    if not path.exists():
        return []
    from cryptography.exceptions import InvalidSignature

    from vpdt.core.sealed import SealedError

    try:
        key = _anchor_key(create=False) if check else None
    except SealedError:
        raise AnchorForged("không mở được khóa ký mốc neo (VPDT_SECRET_KEY đã đổi mà thiếu khóa cũ "
                           "trong VPDT_SECRET_KEY_FALLBACKS?)") from None
    public = _public_hex(key) if key is not None else None
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            item = Anchor(int(line["seq"]), str(line["hash"]), str(line["at"]), "file")
        except (ValueError, KeyError, TypeError):
            raise AnchorForged(f"dòng {number} của {path.name} hỏng") from None
        if check:
            if key is None:
                raise AnchorForged(f"thiếu khóa ký mốc neo ({path.parent / 'anchor-key.sealed'})")
            try:
                if line.get("key") != public:
                    raise InvalidSignature
                key.public_key().verify(bytes.fromhex(line["sig"]), _signed_bytes(item.seq, item.hash, item.at))
            except (InvalidSignature, ValueError):
                raise AnchorForged(f"dòng {number} của {path.name}: chữ ký mốc neo sai (mốc bị sửa hoặc giả)") from None
        found.append(item)
    return found


# --------------------------------------------------------------------------- verifying
@dataclass
class Problem:
    kind: str  # changed, missing, inserted, broken, legacy, head, anchor
    message: str  # Vietnamese, for the operator
    seq: int | None = None
    entry_id: int | None = None
    at: str = ""
    actor: str = ""
    action: str = ""


@dataclass
class Check:
    ok: bool
    entries: int = 0
    legacy: int = 0
    anchors: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    seconds: float = 0.0
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)


_READ = ("id", "prev_hash", "entry_hash", *CHAINED)


def _rows(queryset, names) -> Iterator[tuple]:
    return queryset.values_list(*names).iterator(chunk_size=5000)


def _named(kind: str, message: str, row: tuple | None) -> Problem:
    if row is None:
        return Problem(kind, message)
    data = dict(zip(_READ, row, strict=True))
    return Problem(kind, message, seq=data["seq"], entry_id=data["id"], at=_iso(data["at"]),
                   actor=data["actor_name"] or ("hệ thống" if data["actor_id"] is None else f"#{data['actor_id']}"),
                   action=data["action"])


def verify(*, anchors: bool = True) -> Check:
    """Walk the whole log once, streaming; stop at the first broken entry and name it."""
    started = time.perf_counter()
    check = Check(ok=True)
    file_anchors: list[Anchor] = []
    if anchors:
        try:
            file_anchors = _read_file_anchors(_anchor_dir() / "anchors.jsonl")
        except AnchorForged as exc:
            return _done(check, started, Problem("anchor", f"Mốc neo không hợp lệ: {exc}"))
        for sink in _sinks:
            try:
                file_anchors.extend(sink.read())
            except Exception as exc:  # noqa: BLE001 - a sink out of reach is said, not fatal
                check.notes.append(f"không đọc được mốc neo ở {sink.name}: {exc}")
    anchored: dict[int, list[Anchor]] = {}
    for item in file_anchors:
        anchored.setdefault(item.seq, []).append(item)
    check.anchors = len(file_anchors)

    prev, expected, last_row = GENESIS, 1, None
    genesis: dict | None = None
    last_anchor: Anchor | None = None
    for row in _rows(AuditEntry.objects.filter(seq__isnull=False).order_by("seq"), _READ):
        prev_hash, stored_hash, seq = row[1], row[2], row[3]
        values = row[3:]
        if seq != expected:
            if seq < expected:
                return _done(check, started, _named(
                    "inserted", f"Mục số {seq} bị chèn thêm (trùng số thứ tự).", row))
            before = f" sau mục {expected - 1} lúc {_iso(last_row[4])}" if last_row else ""
            return _done(check, started, _named(
                "missing", f"Thiếu mục số {expected}{'' if seq == expected + 1 else f' đến {seq - 1}'}{before}: "
                           f"mục đã bị xóa. Mục kế tiếp còn lại là số {seq}.", row))
        if prev_hash != prev:
            return _done(check, started, _named(
                "broken", f"Mục số {seq}: mã băm mục trước không khớp mục {seq - 1} — chuỗi bị cắt ở đây "
                          f"(mục bị chèn vào, hoặc mục trước bị thay).", row))
        if entry_hash(prev_hash, values) != stored_hash:
            return _done(check, started, _named(
                "changed", f"Mục số {seq}: nội dung đã bị sửa (không khớp mã băm của nó).", row))
        for item in anchored.get(seq, ()):
            if item.hash != stored_hash:
                since = f" sau mốc số {last_anchor.seq}" if last_anchor else ""
                return _done(check, started, _named(
                    "anchor", f"Mục số {seq} khác mốc neo ({item.source}, {item.at}): chuỗi bị viết lại từ một "
                              f"mục{since} đến mục {seq}.", row))
            last_anchor = item
        if seq == 1 and values[CHAINED.index("action")] == GENESIS_ACTION:
            genesis = values[CHAINED.index("detail")]
            if isinstance(genesis, str):
                genesis = json.loads(genesis)
        prev, expected, last_row = stored_hash, expected + 1, row
        check.entries += 1

    # Rows from before the chain, checked against the genesis entry's digest.
    last_legacy = (genesis or {}).get("legacy_last_id")
    legacy = AuditEntry.objects.filter(seq__isnull=True)
    if last_legacy is not None:
        count, _last, digest = legacy_digest(_rows(legacy.filter(id__lte=last_legacy).order_by("id"), LEGACY))
        check.legacy = count
        if count != genesis["legacy_rows"] or digest != genesis["legacy_digest"]:
            change = ("bị xóa" if count < genesis["legacy_rows"] else
                      "bị thêm" if count > genesis["legacy_rows"] else "bị sửa")
            return _done(check, started, Problem(
                "legacy", f"Nhật ký trước khi có chuỗi (mục id ≤ {last_legacy}) đã {change}: còn {count} mục, "
                          f"lúc lập chuỗi có {genesis['legacy_rows']}."))
        legacy = legacy.filter(id__gt=last_legacy)
    stray = next(_rows(legacy.order_by("id"), ("id", "prev_hash", "entry_hash", *CHAINED)), None)
    if stray is not None:
        return _done(check, started, _named("inserted", f"Mục id {stray[0]} bị chèn ngoài chuỗi (không có số thứ tự, "
                                                         f"không có mã băm).", stray))

    head_seq, head_hash = head()
    check.head_seq, check.head_hash = head_seq, head_hash
    # The newest anchor says how long the chain was: fewer entries now means removed ones.
    top = max(file_anchors, key=lambda a: a.seq, default=None)
    if top is not None and top.seq > check.entries:
        return _done(check, started, Problem(
            "missing", f"Mốc neo ({top.source}, {top.at}) ghi chuỗi đến mục số {top.seq}, nay chỉ còn "
                       f"{check.entries} mục: các mục từ số {check.entries + 1} đã bị xóa.", seq=check.entries + 1))
    if (head_seq, head_hash) != (check.entries, prev) and not (head_seq == 0 and check.entries == 0):
        return _done(check, started, Problem(
            "head", f"Đầu chuỗi ghi {head_seq} mục, kết thúc {head_hash[:12]}; tìm thấy {check.entries} mục, "
                    f"kết thúc {prev[:12]} (mục cuối bị xóa hoặc đầu chuỗi bị sửa).", seq=check.entries + 1))
    return _done(check, started, None)


def _done(check: Check, started: float, problem: Problem | None) -> Check:
    check.problem = problem
    check.ok = problem is None
    check.seconds = time.perf_counter() - started
    return check


# --------------------------------------------------------------------------- change tracking
def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return _iso(value)
    return str(value)


def track(model, *, action: str, fields: list[str], secret: tuple[str, ...] = (),
          subject: Callable[[Any], Any] | None = None, describe: Callable[[Any], dict] | None = None,
          skip: Callable[[Any, set[str]], bool] | None = None) -> None:
    """Audit every create, change and delete of `model` with before/after of `fields`.

    Model signals, so a change made in Django admin, a page, a command or the shell is in
    the log; the actor is the request's (vpdt.core.request_context), the system otherwise.
    `secret` fields are named as changed, never their values (a password hash). `subject`
    gives the object the entry is about (default the instance); `describe` adds fields
    naming it (a username); `skip(instance, changed)` drops a change not worth a line.
    """
    from django.db.models.signals import post_delete, post_save, pre_save

    attnames = [model._meta.get_field(f).attname for f in fields]
    uid = f"vpdt.audit.{model._meta.label_lower}"

    def snapshot(instance) -> dict:
        return {a: getattr(instance, a) for a in attnames}

    def before(sender, instance, raw=False, update_fields=None, **kwargs):
        if raw or instance.pk is None or instance._state.adding:
            instance._audit_before = None
            return
        if update_fields is not None and not set(update_fields) & (set(fields) | set(attnames)):
            instance._audit_before = False  # nothing audited changes (last_login)
            return
        instance._audit_before = model._default_manager.filter(pk=instance.pk).values(*attnames).first()

    def after(sender, instance, created, raw=False, **kwargs):
        if raw:
            return
        old = getattr(instance, "_audit_before", None)
        instance._audit_before = None
        target = subject(instance) if subject else instance
        extra = describe(instance) if describe else {}
        now = snapshot(instance)
        if created or old is None:
            after_values = {k: ("***" if k in secret else _plain(v)) for k, v in now.items() if k not in secret}
            record(f"{action}.create", target, detail={**extra, "after": after_values})
            return
        if old is False:
            return
        changed = {k for k in attnames if old.get(k) != now[k]}
        if not changed or (skip and skip(instance, changed)):
            return
        public = sorted(changed - set(secret))
        detail = {**extra, "changed": sorted(changed)}
        if public:
            detail["before"] = {k: _plain(old[k]) for k in public}
            detail["after"] = {k: _plain(now[k]) for k in public}
        record(f"{action}.update", target, detail=detail)

    def deleted(sender, instance, **kwargs):
        target = subject(instance) if subject else instance
        extra = describe(instance) if describe else {}
        values = {k: _plain(v) for k, v in snapshot(instance).items() if k not in secret}
        record(f"{action}.delete", target, detail={**extra, "before": values})

    pre_save.connect(before, sender=model, weak=False, dispatch_uid=f"{uid}.pre")
    post_save.connect(after, sender=model, weak=False, dispatch_uid=f"{uid}.post")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"{uid}.delete")


def track_m2m(through, *, action: str, label: Callable[[Any], str]) -> None:
    """Audit adds and removals of a many-to-many relation (a user's groups, a group's permissions)."""
    from django.db.models.signals import m2m_changed

    def changed(sender, instance, action: str, reverse, model, pk_set, **kwargs):
        if action == "pre_clear":
            relation = _relation(instance, through, reverse)
            instance._audit_cleared = list(relation.all()) if relation is not None else []
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if action == "post_clear":
            objs = getattr(instance, "_audit_cleared", [])
            verb = "remove"
        else:
            objs = list(model._default_manager.filter(pk__in=pk_set or ()))
            verb = "add" if action == "post_add" else "remove"
        if not objs:
            return
        record(f"{action_name}.{verb}", instance, detail={"items": sorted(label(o) for o in objs),
                                                          "of": str(instance)})

    action_name = action
    m2m_changed.connect(changed, sender=through, weak=False, dispatch_uid=f"vpdt.audit.m2m.{through._meta.label_lower}")


def _relation(instance, through, reverse):
    for rel in instance._meta.get_fields():
        if getattr(rel, "many_to_many", False):
            remote = getattr(rel, "through", None) or getattr(getattr(rel, "remote_field", None), "through", None)
            if remote is through:
                accessor = rel.get_accessor_name() if hasattr(rel, "get_accessor_name") and rel.auto_created else rel.name
                return getattr(instance, accessor, None)
    return None

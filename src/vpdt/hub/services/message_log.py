"""The message log: one hash chain of every hub event, written under the log-head lock.

Every state change of the hub happens inside one transaction on the hub database that
first takes the log head (`write`, or `write_grouped` to share one commit between
concurrent requests), so log entries form one ordered chain across threads and
processes, on SQLite and PostgreSQL; a grouped write alone in its batch on PostgreSQL is one
statement that takes the head itself (`OneStatement`). `verify_log` checks the chain.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, transaction

from vpdt.hub.models import LogEntry, LogHead
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services import fastsql

log = logging.getLogger("vpdt.hub")
GENESIS = "0" * 64


# --------------------------------------------------------------------------- log
def _entry_hash(prev: str, fields: dict) -> str:
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


_ENTRY_COLUMNS = ("at", "action", "doc_id", "sha256", "from_code", "to_code", "system_id", "detail")  # and seq


def _entry_fields(entry: LogEntry) -> dict:
    return {k: getattr(entry, k) for k in ("seq", *_ENTRY_COLUMNS)}


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
        if self.entries:  # the entries and the new head: one statement on PostgreSQL
            table = connections[DB].ops.quote_name(LogHead._meta.db_table)
            fastsql.insert_many(self.entries, then=(f"UPDATE {table} SET seq = %s, hash = %s WHERE id = 1",
                                                    [self.head.seq, self.head.hash]))


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
    with fastsql.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET seq = seq WHERE id = 1 RETURNING seq, hash")
        row = cursor.fetchone()
    global _head_made
    if row is None:
        head = LogHead.objects.using(DB).create(pk=1, seq=0, hash=GENESIS)
    else:
        head = LogHead(pk=1, seq=row[0], hash=row[1])
    _head_made = True
    return head


_head_made = False  # this process has seen the log head row (it is never removed)


# --------------------------------------------------------------------------- one write, one statement
@dataclass(frozen=True)
class OneStatement:
    """A hub write as one statement (PostgreSQL): `ctes`, the write's parts of a WITH
    (`name AS (INSERT/UPDATE …)`) with their `params`; `entries`, the log entries it makes
    (LogEntry's fields but seq, at and the hashes), chained in their order, and only where `when`
    holds (an SQL condition on the parts; always when empty); `select`, what the statement
    returns of the write (SQL over the parts), and `done(row)`, the write's result from those
    columns.

    `write_grouped(fn, one)` runs `one()` instead of `fn` when it is alone in its batch (unless
    `one()` is None: no such statement this time): the write,
    the log head locked and read, each entry's hash computed by PostgreSQL over the same text as
    `_entry_hash`, the entries written and the head moved, in one statement that is its own
    transaction. A download's first fetch or an acknowledgement is then one round trip where
    its transaction took five (BEGIN, the head locked, the UPDATE, the entries with the head's
    move, COMMIT), an accept two fewer than that. The head is locked only by that statement,
    from its log part to its commit. With others in the batch, or on SQLite, `fn` runs as before."""

    ctes: str
    params: list
    entries: list[dict]
    select: str = ""
    when: str = ""
    done: Callable[[tuple], Any] | None = None

    @classmethod
    def update(cls, sql: str, params: list, entry: dict, *, always: bool = False) -> OneStatement:
        """One UPDATE (`sql`, `params`) and its `entry`, logged if it changed a row, or `always`."""
        return cls(f"u AS ({sql} RETURNING 1)", params, [entry], when="" if always else "EXISTS (SELECT 1 FROM u)")


@functools.cache
def _chain_sql(entries: int, when: str) -> str:
    """The WITH parts that chain `entries` log entries after the head (`e0` … its last one, then
    the head's move `m`)."""
    if entries < 1:
        raise ValueError("a write logs at least one entry")
    quote = connections[DB].ops.quote_name
    head, entry = quote(LogHead._meta.db_table), quote(LogEntry._meta.db_table)
    columns = ", ".join(quote(c) for c in _ENTRY_COLUMNS)
    marks = ", ".join(["%s"] * len(_ENTRY_COLUMNS))
    parts = [f"h AS MATERIALIZED (SELECT seq, hash FROM {head} WHERE id = 1{f' AND ({when})' if when else ''} "
             f"FOR UPDATE)"]
    before = "h"
    for i in range(entries):
        prev_hash = "hash" if before == "h" else "entry_hash"
        parts.append(f"e{i} AS (INSERT INTO {entry} (seq, {columns}, prev_hash, entry_hash) "
                     f"SELECT {before}.seq + 1, {marks}, {before}.{prev_hash}, encode(sha256(convert_to("
                     f"{before}.{prev_hash} || %s || ({before}.seq + 1)::text || %s, 'UTF8')), 'hex') FROM {before} "
                     f"RETURNING seq, entry_hash)")
        before = f"e{i}"
    parts.append(f"m AS (UPDATE {head} SET seq = {before}.seq, hash = {before}.entry_hash FROM {before} "
                 f"WHERE {head}.id = 1 RETURNING 1)")
    return ", ".join(parts)


def _split_canonical(fields: dict) -> tuple[str, str]:
    """`_entry_hash`'s JSON of an entry's fields (seq left out) as the text before the seq's digits
    and after them (its keys sorted: seq falls between from_code and sha256)."""
    dump = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    before = dump({k: v for k, v in fields.items() if k < "seq"})
    after = dump({k: v for k, v in fields.items() if k > "seq"})
    return before[:-1] + ',"seq":', "," + after[1:]


def _run_one(one: OneStatement):
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    params = list(one.params)
    for given in one.entries:
        fields = {name: given.get(name, "") for name in _ENTRY_COLUMNS}
        fields["at"], fields["detail"] = at, fields["detail"][:1000]
        params += [*(fields[name] for name in _ENTRY_COLUMNS), *_split_canonical(fields)]
    chain = _chain_sql(len(one.entries), one.when)
    returned = f"{one.select}, " if one.select else ""
    with fastsql.cursor() as cursor:
        cursor.execute(f"WITH {one.ctes}, {chain} SELECT {returned}(SELECT count(*) FROM m), {one.when or 'TRUE'}",
                       params)
        row = cursor.fetchone()
    if row[-1] and not row[-2]:  # never: the head row is there (_head_made)
        raise RuntimeError("hub log head missing: a change was not logged")
    return one.done(tuple(row[:-2])) if one.done is not None else None


def _alone(batch: list) -> bool:
    if len(batch) != 1 or batch[0].one is None or not _head_made:
        return False
    connection = connections[DB]  # a statement that is its own transaction: autocommit, no atomic block open
    return connection.vendor == "postgresql" and not connection.in_atomic_block and connection.get_autocommit()


class _Unit:
    __slots__ = ("fn", "one", "result", "error", "done")

    def __init__(self, fn, one: Callable[[], OneStatement] | None = None):
        self.fn = fn
        self.one = one
        self.result = None
        self.error: BaseException | None = None
        self.done = False


class _GroupCommit:
    """Group commit of hub write transactions across the threads of one process.

    `run(fn)` queues `fn(w)` and returns once the transaction holding it is committed
    (so every caller still waits for its own durability). Leader/follower: a thread
    that finds no batch running takes every queued unit and runs them in one `write()`
    transaction (`_run_batch`: together, or each in its own savepoint once one fails: a
    failing unit is rolled back and its log entries forgotten, the others go on); the
    others wait. One log-head lock and one
    durable commit (WAL fsync) then serve many requests, where the lock held across a
    commit used to cap writes at 1/fsync time. The log order is the order of units
    within batches, still one chain.
    """

    def __init__(self, max_batch: int = 64):
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Unit] = []
        self._leading = False

    def run(self, fn, one: Callable[[], OneStatement] | None = None):
        unit = _Unit(fn, one)
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


class _Again(Exception):
    """A unit of a batch run together failed: the batch is rolled back and run unit by unit."""


def _run_together(batch: list[_Unit]) -> bool:
    """Every unit in one transaction without savepoints (two statements less per unit); False,
    with nothing stored, if one of them raised."""
    try:
        with write() as w:
            for unit in batch:
                try:
                    unit.result = unit.fn(w)
                except Exception as exc:
                    raise _Again from exc
    except _Again:
        for unit in batch:
            unit.result = None
        return False
    except Exception as exc:  # the commit failed: nothing of the batch is stored
        for unit in batch:
            unit.result, unit.error = None, exc
    for unit in batch:
        unit.done = True
    return True


def _run_batch(batch: list[_Unit]) -> None:
    """Several units: first together without savepoints (the common case, no unit fails);
    if one fails, again each in its own savepoint, so the others still commit (units are
    re-runnable: everything they change is in the rolled-back transaction). One unit with its
    one-statement form (`OneStatement`), on PostgreSQL: that statement alone."""
    if _alone(batch):
        unit = batch[0]
        try:
            one = unit.one()
        except Exception as exc:  # the write refused before any statement (as `fn` would refuse it)
            unit.error, unit.done = exc, True
            return
        if one is not None:
            try:
                unit.result = _run_one(one)
            except Exception as exc:
                unit.error = exc
            finally:
                unit.done = True
            return
    if len(batch) > 1 and _run_together(batch):
        return
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


def write_grouped(fn, one: Callable[[], OneStatement] | None = None):
    """Run `fn(w)` in a hub write transaction, possibly shared with concurrent callers;
    returns its result (or raises its exception) once committed. `one()`: the same write as one
    statement (`OneStatement`), run instead when it is alone (its `done` gives the result)."""
    return _group.run(fn, one)


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

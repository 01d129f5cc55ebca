"""The receiving and sending sides of a system (list, open, acknowledge; its sent packages)
and retention (purging delivered package files, the log stays).
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from vpdt.hub.models import Delivery, LogEntry, Package, Submission
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services import fastsql
from vpdt.hub.services.config import list_limit, store
from vpdt.hub.services.message_log import OneStatement, _Writer, write, write_grouped
from vpdt.hub.services.registry import Caller, Joined
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")


# --------------------------------------------------------------------------- receive side
def received(caller: Caller, message_type: str | None = None) -> list[Delivery]:
    """The deliveries waiting for the caller (pending or being processed), oldest first, up to
    the list limit: what getReceivedEdocList answers, with the fields it shows (the others load
    on access). As SQL: every poll of every system asks, most of them finding nothing, and the
    ORM's compiling cost more than the lookup on the waiting index."""
    by_type = message_type in vxp.MESSAGE_TYPES
    with fastsql.cursor() as cursor:
        cursor.execute(_received_sql(by_type), [caller.system.pk, Delivery.PENDING, Delivery.PROCESSING,
                                                *([message_type] if by_type else []), list_limit()])
        rows = cursor.fetchall()
    return [_delivery(_LISTED, row) for row in rows]


def _columns(*names: str) -> list[str]:
    """Delivery's columns `names` in the model's field order, as Model.from_db takes them."""
    return [f.attname for f in Delivery._meta.concrete_fields if f.attname in names]


_LISTED = _columns("id", "doc_id", "message_type", "from_code", "to_code", "state", "created_at", "updated_at")
_DATETIMES = {f.attname for f in Delivery._meta.concrete_fields if f.get_internal_type() == "DateTimeField"}


def _delivery(columns: list[str], row) -> Delivery:
    """A Delivery from a row of `columns` read by SQL (the fields not read load on access), its
    datetimes as the ORM gives them (SQLite's cursor gives them without their zone, UTC)."""
    return Delivery.from_db(DB, columns, [_aware(v) if c in _DATETIMES else v
                                          for c, v in zip(columns, row, strict=True)])


@functools.cache
def _received_sql(by_type: bool) -> str:
    quote = connections[DB].ops.quote_name
    return (f"SELECT {', '.join(quote(c) for c in _LISTED)} FROM {quote(Delivery._meta.db_table)} "
            f"WHERE holder_id = %s AND state IN (%s, %s)" + (" AND message_type = %s" if by_type else "")
            + " ORDER BY id LIMIT %s")


def count_received(caller: Caller, message_type: str) -> int:
    return Delivery.objects.using(DB).filter(holder=caller.system, message_type=message_type,
                                             state__in=[Delivery.PENDING, Delivery.PROCESSING]).count()


def _own_delivery(caller: Caller, doc_id: str | None) -> Delivery:
    """The delivery `doc_id` held for the caller, with what opening and acknowledging read
    (`_OWN_DELIVERY`, its package's sha256; the other fields load on access): one statement
    on the unique docId, as SQL (every download and acknowledgement asks; the ORM's
    select_related compiling cost several times its execution), or none when authentication
    read it already (`own_delivery_join`)."""
    if not doc_id:
        raise vxp.VxpError(vxp.BAD_REQUEST, "docId header required")
    read, row = caller.joined_row(doc_id)
    if not read:
        with fastsql.cursor() as cursor:
            cursor.execute(_own_delivery_sql(), [doc_id, caller.system.pk])
            row = cursor.fetchone()
    if row is None:
        raise vxp.VxpError(vxp.NOT_FOUND, f"docId {doc_id!r}")
    delivery = _delivery(_OWN_DELIVERY, row[:-1])
    delivery.package = Package.from_db(DB, ["id", "sha256"], [delivery.package_id, row[-1]])
    return delivery


_OWN_DELIVERY = _columns("id", "doc_id", "state", "fetched_at", "from_code", "to_code", "message_type", "package_id")


@functools.cache
def _own_delivery_sql(holder: str = "%s") -> str:
    """The read of `_own_delivery`; `holder`: the SQL of the caller's system id (a parameter, or
    the system row's column where authentication reads it: `own_delivery_join`)."""
    quote = connections[DB].ops.quote_name
    return (f"SELECT {', '.join('d.' + quote(c) for c in _OWN_DELIVERY)}, p.{quote('sha256')} "
            f"FROM {quote(Delivery._meta.db_table)} d JOIN {quote(Package._meta.db_table)} p ON p.id = d.package_id "
            f"WHERE d.doc_id = %s AND d.holder_id = {holder}")


def own_delivery_join(signed: vxp.SignedHeaders) -> Joined | None:
    """For `authenticate`: the delivery a download or an acknowledgement names (its docId
    header), read in authentication's statement (a round trip fewer for each of the four such
    calls of an exchange)."""
    doc_id = signed.get("docId")
    return Joined(_own_delivery_sql("s.id"), doc_id) if doc_id else None


def _aware(value):
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _delivery_update(pk: int, sets: dict, *, unless_set: str | None = None) -> tuple[str, list]:
    """The UPDATE of one delivery's columns (`sets`: column -> value, datetimes adapted as the ORM
    adapts them), only where `unless_set` is still NULL."""
    connection = connections[DB]
    quote = connection.ops.quote_name
    values = [connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v for v in sets.values()]
    sql = (f"UPDATE {quote(Delivery._meta.db_table)} SET {', '.join(f'{quote(c)} = %s' for c in sets)} "
           f"WHERE id = %s" + (f" AND {quote(unless_set)} IS NULL" if unless_set else ""))
    return sql, [*values, pk]


def _update_delivery(statement: tuple[str, list]) -> int:
    """Run `_delivery_update`'s statement: the number of rows changed."""
    with fastsql.cursor() as cursor:
        cursor.execute(*statement)
        return cursor.rowcount


def _entry(caller: Caller, delivery: Delivery, action: str, detail: str = "") -> dict:
    """The log entry of a change to `delivery` made by `caller`."""
    return {"action": action, "doc_id": delivery.doc_id, "sha256": delivery.package.sha256,
            "from_code": delivery.from_code, "to_code": delivery.to_code, "system_id": caller.system_id,
            "detail": detail}


def open_delivery(caller: Caller, doc_id: str | None):
    """getEdoc/downloadEdoc: the package file, opened; logs `delivered` on the first fetch."""
    delivery = _own_delivery(caller, doc_id)
    path = store().path(delivery.package.sha256)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise vxp.VxpError(vxp.CONTENT_GONE, f"docId {doc_id!r}") from None
    if delivery.fetched_at is None:
        fetched = _delivery_update(delivery.pk, {"fetched_at": timezone.now()}, unless_set="fetched_at")
        entry = _entry(caller, delivery, LogEntry.DELIVERED)

        def unit(w: _Writer) -> None:
            if _update_delivery(fetched):
                w.log(**entry)

        try:
            write_grouped(unit, lambda: OneStatement.update(*fetched, entry))
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
    updates = {"state": status}
    if status in (Delivery.DONE, Delivery.FAIL):
        updates["done_at"] = timezone.now()
    change = _delivery_update(delivery.pk, updates)
    entry = _entry(caller, delivery, LogEntry.ACKNOWLEDGED if status == Delivery.DONE else f"status-{status}",
                   status)

    def unit(w: _Writer) -> None:
        _update_delivery(change)
        w.log(**entry)

    write_grouped(unit, lambda: OneStatement.update(*change, entry, always=True))
    delivery.state = status
    return delivery


# --------------------------------------------------------------------------- send side
def sent(caller: Caller, doc_id: str | None = None, message_type: str | None = None) -> list[Delivery]:
    query = Delivery.objects.using(DB).filter(submission__system=caller.system).select_related(
        "submission", "package")
    if doc_id:
        # the submission's DocId or one delivery's: two unique-index lookups, not an OR across the join
        found = {d.pk: d for d in (*query.filter(submission__doc_id=doc_id), *query.filter(doc_id=doc_id))}
        return sorted(found.values(), key=lambda d: -d.pk)[: list_limit()]
    if message_type in vxp.MESSAGE_TYPES:
        query = query.filter(message_type=message_type)
    return list(query.order_by("-id")[: list_limit()])


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


def keep_done_days() -> float:
    """HUB_KEEP_DONE_DAYS: finished deliveries older than this are pruned (0: kept forever)."""
    return float(getattr(settings, "HUB_KEEP_DONE_DAYS", 0) or 0)


def prune_done(days: float, batch: int = 2000, max_batches: int | None = None) -> int:
    """Delete the deliveries finished (done, failed or refused) more than `days` ago, then the
    submissions and packages left without any delivery, and those packages' files.

    The message log keeps every entry (accepted, delivered, acknowledged: the audit chain and
    the e-office's anchors live there, not in these rows), and one `pruned` entry is logged per
    batch. A package still waiting for any receiver is kept. After pruning, the same package or
    document sent again is accepted as new (its earlier deliveries are gone). Each batch is its
    own short write transaction, so senders wait at most one batch for the log head;
    `max_batches` bounds one call (the job runs again at once while it finds work)."""
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    finished = [Delivery.DONE, Delivery.FAIL]
    # acknowledged/forwarded/failed: by done_at (index hub_done_idx); refused at accept: no done_at
    by_done = Delivery.objects.using(DB).filter(state__in=finished, done_at__lt=cutoff)
    refused = Delivery.objects.using(DB).filter(route=Delivery.REFUSED, state=Delivery.FAIL, done_at__isnull=True,
                                                created_at__lt=cutoff)
    storage = store()
    pruned = batches = 0
    for query in (by_done, refused):
        while max_batches is None or batches < max_batches:
            batches += 1
            ids = list(query.order_by().values_list("pk", flat=True)[:batch])
            if not ids:
                break
            files: list[str] = []
            with write() as w:
                rows = list(query.filter(pk__in=ids).values_list("pk", "submission_id", "package_id"))
                if not rows:
                    continue
                Delivery.objects.using(DB).filter(pk__in=[r[0] for r in rows]).delete()
                submissions = {r[1] for r in rows}
                Submission.objects.using(DB).filter(pk__in=submissions).exclude(
                    pk__in=Delivery.objects.using(DB).filter(submission_id__in=submissions).values("submission_id")
                ).delete()
                packages = {r[2] for r in rows}
                gone = Package.objects.using(DB).filter(pk__in=packages).exclude(
                    pk__in=Delivery.objects.using(DB).filter(package_id__in=packages).values("package_id")).exclude(
                    pk__in=Submission.objects.using(DB).filter(package_id__in=packages).values("package_id"))
                files = list(gone.filter(purged_at__isnull=True).values_list("sha256", flat=True))
                gone.delete()
                w.log(LogEntry.PRUNED, detail=f"{len(rows)} deliveries finished before {cutoff.isoformat()} "
                                              f"({days:g} days), {len(files)} package files")
            for sha in files:  # after the commit: a rolled-back prune keeps its files
                storage.delete(sha)
            pruned += len(rows)
    return pruned

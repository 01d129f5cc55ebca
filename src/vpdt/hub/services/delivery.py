"""The receiving and sending sides of a system (list, open, acknowledge; its sent packages)
and retention (purging delivered package files, the log stays).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from vpdt.hub.models import Delivery, LogEntry, Package
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services.config import list_limit, store
from vpdt.hub.services.message_log import _Writer, write, write_grouped
from vpdt.hub.services.registry import Caller
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")


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

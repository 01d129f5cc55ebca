"""Federation queue: deliveries for the upper hub, claimed, forwarded or backed off
(vpdt.core.backoff); run by the `hub.forward` job (vpdt.hub.jobs, vpdt.hub.forwarder).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from vpdt.core import backoff
from vpdt.hub.models import Delivery, LogEntry
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services.config import store
from vpdt.hub.services.message_log import write

log = logging.getLogger("vpdt.hub")


# --------------------------------------------------------------------------- forwarding
def due_forwards(limit: int = 50) -> list[Delivery]:
    return list(Delivery.objects.using(DB).filter(
        route=Delivery.UPSTREAM, state=Delivery.PENDING, next_attempt_at__lte=timezone.now(),
    ).select_related("package").order_by("next_attempt_at", "id")[:limit])


def claim_forward(delivery: Delivery, lease_seconds: float | None = None) -> bool:
    """Lease a due row so two forwarder processes do not send it at once (a retry is harmless anyway)."""
    if lease_seconds is None:
        lease_seconds = float(getattr(settings, "HUB_FORWARD_LEASE_SECONDS", 120))
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
    delay = backoff.delay(attempts, float(getattr(settings, "HUB_RETRY_BASE_SECONDS", 1.0)),
                          float(getattr(settings, "HUB_RETRY_MAX_SECONDS", 600.0)))
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


def wake_forwarder() -> None:
    """A package for the upper hub was committed: run the federation job now."""
    from vpdt.core import tasks

    tasks.wake("hub.forward")

"""--- ops: failure episodes of the links (vpdt.core.models.Incident), recorded where failures are seen.

`failed(kind, subject, error)` opens an episode for the link (or counts one more failure in the
open one); `recovered(kind, subject)` closes it. A success with no open episode is one indexed
read and no write. A recording that fails never breaks the work that
reported it (the send or the poll goes on; a warning is logged).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from vpdt.core.prepared import Read

log = logging.getLogger("vpdt.ops")


def _open_episode(kind: str, subject: str):
    """The link's open episode (at most one)."""
    from vpdt.core.models import Incident

    return Incident.objects.filter(kind=kind, subject=subject[:300], ended_at__isnull=True)


# Every send and poll that succeeds asks it: written out once (vpdt.core.prepared).
_OPEN = Read(lambda kind, subject: _open_episode(kind, subject).order_by().values_list("pk")[:1], kind=str, subject=str)


def failed(kind: str, subject: str, error: str, *, agency_code: str = "") -> None:
    from vpdt.core.models import Incident

    now = timezone.now()
    error = (error or "?")[:2000]
    try:
        with transaction.atomic():
            if _open_episode(kind, subject).update(failures=F("failures") + 1, last_error=error, last_failure_at=now):
                return
            with transaction.atomic():
                Incident.objects.create(kind=kind, subject=subject[:300], agency_code=agency_code[:40], started_at=now,
                                        cause=error, last_error=error, last_failure_at=now)
    except IntegrityError:  # another worker opened it at the same moment: count this failure there
        _open_episode(kind, subject).update(failures=F("failures") + 1, last_error=error, last_failure_at=now)
    except Exception:  # noqa: BLE001 - recording must not break the send or poll that failed
        log.warning("incident not recorded: %s %s", kind, subject, exc_info=True)


def recovered(kind: str, subject: str) -> None:
    try:
        # a read first: a success with nothing open writes nothing (no SQLite write lock)
        if _OPEN.first(kind=kind, subject=subject[:300]) is not None:
            _open_episode(kind, subject).update(ended_at=timezone.now())
    except Exception:  # noqa: BLE001
        log.warning("incident not closed: %s %s", kind, subject, exc_info=True)

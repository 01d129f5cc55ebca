"""Replay protection and the record of refused requests.

- `check_fresh_and_once`: after the HMAC verifies, the request's XroadVnpt-timestamp must
  be within HUB_CLOCK_SKEW_SECONDS of the hub's clock (the SDK writes the JVM's wall time
  without a zone: read in HUB_CLIENT_TIME_ZONE), and its signature (the hash-header, an
  HMAC over every signed header including the timestamp) is accepted once. The unique key
  of SeenRequest is the guard, so it holds across threads and hub processes; a row is kept
  until its timestamp has left the window (then the window check refuses it anyway) and
  pruned on insert, at most once a minute per process, and by `vpdt hub purge`.
- `record_refusal`: every refused request whose system is known (authenticated, or a known
  system id with a bad signature) is stored in RefusedRequest with its reason, for the
  operator (`vpdt hub refused`). Not in the hash-chained message log: a flood of refusals
  must not take the log-head lock every accepted package waits for.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction

from vpdt.hub.models import RefusedRequest, SeenRequest
from vpdt.hub.router import HUB_ALIAS as DB
from vpdt.hub.services import fastsql
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")
PRUNE_EVERY_SECONDS = 60.0
_prune_lock = threading.Lock()
_last_prune = 0.0


def clock_skew() -> float:
    return float(getattr(settings, "HUB_CLOCK_SKEW_SECONDS", 300))


def client_time_zone() -> str:
    return str(getattr(settings, "HUB_CLIENT_TIME_ZONE", vxp.SDK_TIME_ZONE))


def check_fresh_and_once(signed: vxp.SignedHeaders, system_id: str, now: datetime | None = None,
                         time_zone: str = "") -> None:
    """Refuse a stale (107) or replayed (108) request; remember its signature otherwise.

    `time_zone`: the system's own (System.time_zone), else HUB_CLIENT_TIME_ZONE."""
    if clock_skew() <= 0:
        return
    now = now or datetime.now(UTC)
    # One statement (its own transaction in autocommit; a savepoint inside an outer one): the
    # unique signature decides, no IntegrityError to catch, no BEGIN/COMMIT round trips.
    if not fastsql.insert_unless_present(seen(signed, system_id, fresh_until(signed, now, time_zone)),
                                         "signature"):
        raise replayed(signed)
    maybe_prune(now)


def fresh_until(signed: vxp.SignedHeaders, now: datetime, time_zone: str = "") -> datetime:
    """Refuse a stale request (107); otherwise until when its signature must be remembered."""
    skew = clock_skew()
    zone = time_zone or client_time_zone()
    sent_at = vxp.parse_sdk_timestamp(signed.get("timestamp"), zone)
    offset = (sent_at - now).total_seconds()
    if abs(offset) > skew:
        raise vxp.VxpError(vxp.STALE_REQUEST, (
            f"timestamp {signed.get('timestamp')} read in {zone} is {abs(offset):.0f} s "
            f"{'ahead of' if offset > 0 else 'behind'} the hub's clock (allowed ±{skew:.0f} s)"))
    return max(sent_at, now) + timedelta(seconds=skew + 60)


def seen(signed: vxp.SignedHeaders, system_id: str, expires_at: datetime) -> SeenRequest:
    """The row that remembers the request's signature."""
    return SeenRequest(signature=signed.hash_header.strip().lower()[:64], system_id=system_id[:100],
                       expires_at=expires_at)


def replayed(signed: vxp.SignedHeaders) -> vxp.VxpError:
    return vxp.VxpError(vxp.REPLAYED, f"signature {signed.hash_header[:16]}… already used "
                                      f"(timestamp {signed.get('timestamp')})")


def maybe_prune(now: datetime) -> None:
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY_SECONDS or not _prune_lock.acquire(blocking=False):
        return
    try:
        _last_prune = time.monotonic()
        prune_seen(now)
    except Exception:  # noqa: BLE001 - pruning is housekeeping; the request itself succeeded
        log.exception("pruning seen request signatures failed")
    finally:
        _prune_lock.release()


def prune_seen(now: datetime | None = None) -> int:
    """Delete the signatures whose timestamp has left the window; returns how many."""
    deleted, _ = SeenRequest.objects.using(DB).filter(expires_at__lt=now or datetime.now(UTC)).delete()
    return deleted


def record_refusal(operation: str, error: vxp.VxpError, *, system_id: str, authenticated: bool,
                   remote_addr: str = "") -> None:
    """Store one refused request of a known system; never raises (the answer goes out anyway)."""
    if not system_id:
        return
    try:
        with transaction.atomic(using=DB):
            RefusedRequest.objects.using(DB).create(
                system_id=system_id[:100], authenticated=authenticated, operation=operation[:40],
                error_code=error.code, reason=f"{error.error.title}: {error.detail}"[:1000] if error.detail
                else error.error.title, remote_addr=(remote_addr or "")[:64])
    except Exception:  # noqa: BLE001
        log.exception("recording a refused %s of %s failed", operation, system_id)


def refused(system_id: str | None = None, limit: int = 50) -> list[RefusedRequest]:
    """The latest refused requests, newest first (of one system when given)."""
    rows = RefusedRequest.objects.using(DB).order_by("-at", "-pk")
    if system_id:
        rows = rows.filter(system_id=system_id)
    return list(rows[:limit])


def purge_refused(days: float) -> int:
    deleted, _ = RefusedRequest.objects.using(DB).filter(
        at__lt=datetime.now(UTC) - timedelta(days=days)).delete()
    return deleted

"""Which hub connection serves an agency, a VXP client for it, and the connection's back-off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
from django.conf import settings
from django.utils import timezone

from vpdt.core import backoff, incidents
from vpdt.core.models import Incident
from vpdt.core.prepared import Read
from vpdt.directory.models import Agency
from vpdt.exchange.models import HubConnection
from vpdt.vxp.client import VxpClient

# Tests plug an in-process hub here: factory(connection) -> httpx.BaseTransport | None.
transport_factory: Callable[[HubConnection], httpx.BaseTransport | None] | None = None


def for_agency(agency: Agency | int) -> HubConnection | None:
    agency_id = agency.pk if isinstance(agency, Agency) else agency
    return _FOR_AGENCY.instance(agency_id=agency_id)


# Every send asks it (vpdt.core.prepared: the SQL written once).
_FOR_AGENCY = Read(lambda agency_id: HubConnection.objects.filter(agencies__id=agency_id, enabled=True)
                   .order_by("id")[:1], agency_id=int)


def client(connection: HubConnection) -> VxpClient:
    transport = transport_factory(connection) if transport_factory else None
    timeout = float(getattr(settings, "EXCHANGE_HTTP_TIMEOUT_SECONDS", 60))
    return VxpClient(resolve_endpoint(connection.endpoint), connection.system_id, connection.secret,
                     timeout=timeout, transport=transport)


def resolve_endpoint(endpoint: str) -> str:
    """An endpoint given as a path ("/hub") is the hub embedded in this e-office."""
    if endpoint.startswith("/"):
        return settings.VPDT_SITE_URL.rstrip("/") + endpoint
    return endpoint


def backoff_seconds(failures: int) -> float:
    """The project's back-off (vpdt.core.backoff) with the exchange's base and cap."""
    return backoff.delay(failures, float(getattr(settings, "EXCHANGE_RETRY_BASE_SECONDS", 2.0)),
                         float(getattr(settings, "EXCHANGE_RETRY_MAX_SECONDS", 300.0)))


def is_waiting(connection: HubConnection, now: dt.datetime | None = None) -> bool:
    return connection.retry_at is not None and connection.retry_at > (now or timezone.now())


def failed(connection: HubConnection, error: str) -> dt.datetime:
    """The hub did not answer: back off the whole connection; returns when to try again."""
    failures = connection.failures + 1
    retry_at = timezone.now() + dt.timedelta(seconds=backoff_seconds(failures))
    HubConnection.objects.filter(pk=connection.pk).update(failures=failures, retry_at=retry_at,
                                                          last_error=error[:2000])
    connection.failures, connection.retry_at, connection.last_error = failures, retry_at, error
    incidents.failed(Incident.CONNECTION, link_name(connection), error)  # --- ops: the episode, for the report
    return retry_at


def link_name(connection: HubConnection) -> str:
    """How the operator's page and the incidents name a connection."""
    return f"{connection.system_id}@{connection.endpoint}"


def succeeded(connection: HubConnection) -> None:
    if connection.failures or connection.retry_at or connection.last_error or connection.last_ok_at is None or (
            timezone.now() - connection.last_ok_at).total_seconds() > 60:
        now = timezone.now()
        if connection.failures or connection.last_error:
            incidents.recovered(Incident.CONNECTION, link_name(connection))
        HubConnection.objects.filter(pk=connection.pk).update(failures=0, retry_at=None, last_error="",
                                                              last_ok_at=now)
        connection.failures, connection.retry_at, connection.last_error, connection.last_ok_at = 0, None, "", now

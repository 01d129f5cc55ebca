"""Federation: pushes packages for codes not served here up to the upper hub, and pulls
what the upper hub holds for codes served here. One round is the background job
`hub.forward` (vpdt.hub.jobs, run by the task consumer of vpdt.core.tasks).

Upward the hub is an ordinary VXP client of its upper hub (sendEdoc, with this hub's
system credentials there); downward it polls (getReceivedEdocList, downloadEdoc,
updateStatus done once stored). Pulling means the upper hub never needs to reach into a
province's network, and a downstream hub that is offline simply catches up later.
The queue is in the database, so a restart resumes where it stopped; a package sent
twice after a crash is recognised by the upper hub (same SHA-256, same receiver).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx

from vpdt.hub import services
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import VxpClient, VxpProtocolError, VxpRemoteError

log = logging.getLogger("vpdt.hub.forwarder")


def _episode(failed: bool, upstream: tuple | None, error: str = "") -> None:
    """--- ops: the upper hub link's failure episodes (vpdt.core.incidents), when this hub runs inside
    the e-office (a standalone hub has no e-office database; its log and its queue still say it)."""
    from django.apps import apps

    if upstream is None or not apps.is_installed("vpdt.core"):
        return
    from vpdt.core import incidents
    from vpdt.core.models import Incident

    if failed:
        incidents.failed(Incident.UPSTREAM, str(upstream[0]), error)
    else:
        incidents.recovered(Incident.UPSTREAM, str(upstream[0]))


class Forwarder:
    def __init__(self):
        self._lock = threading.Lock()
        self._client: VxpClient | None = None
        self._client_key: tuple | None = None

    def client(self) -> VxpClient | None:
        """The client of the upper hub (kept between rounds; a new one when the upstream changes)."""
        upstream = services.get_upstream()
        if upstream is None:
            return None
        with self._lock:
            if self._client_key != upstream:
                if self._client is not None:
                    self._client.close()
                self._client = VxpClient(*upstream, timeout=120)
                self._client_key = upstream
            return self._client

    def run_once(self) -> tuple[int, int]:
        """One round: (packages pushed up, packages pulled down)."""
        client = self.client()
        if client is None:
            return 0, 0
        return self.push(client), self.pull(client)

    def push(self, client: VxpClient) -> int:
        pushed = 0
        for delivery in services.due_forwards():
            if not services.claim_forward(delivery):
                continue
            path = services.package_path(delivery)
            try:
                remote = client.send_edoc(path, from_code=delivery.from_code, to=[delivery.to_code],
                                          message_type=delivery.message_type)
            except VxpRemoteError as exc:
                log.warning("upper hub refused %s for %s: %s", delivery.doc_id, delivery.to_code, exc)
                services.forward_failed(delivery, f"{exc.code} {exc.description}", permanent=not exc.retryable,
                                        code=exc.code)
                continue
            except (httpx.HTTPError, VxpProtocolError, OSError) as exc:
                log.info("upper hub unreachable for %s: %s", delivery.doc_id, exc)
                services.forward_failed(delivery, f"{vxp.UPSTREAM_UNREACHABLE.code} {exc}", permanent=False,
                                        code=vxp.UPSTREAM_UNREACHABLE.code)
                _episode(True, self._client_key, f"{vxp.UPSTREAM_UNREACHABLE.code} {exc}")
                continue
            services.forwarded(delivery, remote)
            if not pushed:
                _episode(False, self._client_key)
            pushed += 1
        return pushed

    def pull(self, client: VxpClient) -> int:
        pulled = 0
        tmp = services.store().tmp
        tmp.mkdir(parents=True, exist_ok=True)
        for message_type in vxp.MESSAGE_TYPES:
            try:
                items = client.get_received_edoc_list(message_type=message_type)
            except (httpx.HTTPError, VxpProtocolError, VxpRemoteError) as exc:
                log.info("cannot list the upper hub: %s", exc)
                _episode(True, self._client_key, f"getReceivedEdocList: {exc}")
                return pulled
            _episode(False, self._client_key)
            for item in items:
                doc_id = str(item.get("docId", ""))
                dest = Path(tmp) / f"pull-{doc_id}.edxml"
                try:
                    client.download_edoc(doc_id, dest)
                    try:
                        services.accept_from_upstream(dest, remote_doc_id=doc_id, to_code=str(item.get("to", "")),
                                                      message_type=str(item.get("messageType") or message_type))
                        status = "done"
                    except vxp.VxpError as exc:
                        if exc.code in vxp.RETRYABLE:
                            raise
                        log.warning("package %s from the upper hub refused here: %s", doc_id, exc)
                        status = "fail"
                    client.update_status(doc_id, status)
                    pulled += status == "done"
                except (httpx.HTTPError, VxpProtocolError, VxpRemoteError, vxp.VxpError, OSError) as exc:
                    log.info("pull of %s interrupted: %s", doc_id, exc)
                finally:
                    dest.unlink(missing_ok=True)
        return pulled


forwarder = Forwarder()

"""One VXP client per hub connection and process, kept open and shared by the worker's threads.

Building an httpx client loads the CA bundle into a fresh SSL context (~60 ms of CPU),
and a new client opens a new TCP connection per run: the exchange used to pay both on
every send and every poll. The shared client keeps its connections alive (httpx pools
them; it is thread-safe) and is rebuilt when the connection's endpoint, credentials or
the test transport change.
"""

from __future__ import annotations

import threading

from vpdt.exchange import connections
from vpdt.exchange.models import HubConnection
from vpdt.vxp.client import VxpClient

_lock = threading.Lock()
_clients: dict[int, tuple[tuple, VxpClient]] = {}


def _identity(connection: HubConnection) -> tuple:
    # The secret as stored: a new secret is a new ciphertext. Decrypting it to compare took 16-28 µs
    # of CPU for every message sent, to find the same client (1 µs now).
    return connection.endpoint, connection.system_id, connection.secret_encrypted, connections.transport_factory


def shared(connection: HubConnection) -> VxpClient:
    """The process's client for `connection` (do not close it)."""
    identity = _identity(connection)
    with _lock:
        found = _clients.get(connection.pk)
        if found is not None and found[0] == identity:
            return found[1]
    client = connections.client(connection)
    with _lock:
        found = _clients.get(connection.pk)
        if found is not None and found[0] == identity:  # built concurrently: keep the first
            stale = client
            client = found[1]
        else:
            stale = found[1] if found is not None else None
            _clients[connection.pk] = (identity, client)
    if stale is not None:
        stale.close()
    return client


def close_all() -> None:
    with _lock:
        found = list(_clients.values())
        _clients.clear()
    for _, client in found:
        client.close()

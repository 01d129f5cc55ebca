"""Django's PostgreSQL backend, its health check done without a round trip.

With CONN_HEALTH_CHECKS, Django asks a kept connection `SELECT 1` at the start of every
request and every background job that uses it: one round trip and one statement for
PostgreSQL each time (about 11 per exchanged document across the hub and the e-office's
jobs). A connection that PostgreSQL has closed since (a restart, `pg_terminate_backend`, an
idle timeout) has its socket readable (the server's last message, then its end); one kept
idle by a healthy server has nothing to read. So the check looks at the socket (a `poll` with
no wait): readable, or psycopg already knows it broken, means closed and opened again as
before. A connection that is not idle, or a platform without `poll`, gets Django's own
`SELECT 1`; so does the check after an error (`is_usable`, unchanged).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

_HAS_POLL = hasattr(select, "poll")


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.looks_usable():
            self.close()
        self.health_check_done = True

    def looks_usable(self) -> bool:
        """Whether the kept connection is still open, from its socket (Django's `SELECT 1`
        where that cannot tell)."""
        conn = self.connection
        if conn.closed or conn.broken:
            return False
        if not _HAS_POLL or conn.info.transaction_status != TransactionStatus.IDLE:
            return self.is_usable()
        poller = select.poll()
        try:
            poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

"""Django's PostgreSQL backend, with the per-request health check skipped while the connection
is busy.

With CONN_HEALTH_CHECKS, Django asks `SELECT 1` before the first statement of every request
on a kept connection: one round trip more per hub request, measured as much as the rest of a
list request's statements. Here a connection that ended its previous request less than
`RECENTLY_SECONDS` ago without a database error is taken as it is; one idle longer is checked
as before. The price: a database restarted within that second fails the next request of each
thread once (answered as an internal error; Django then finds the connection broken and opens
a new one; VXP clients send again).
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENTLY_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _request_edge = float("-inf")  # when a request last started or ended on a sound connection

    def close_if_unusable_or_obsolete(self):
        """At each request's start and end (Django's close_old_connections)."""
        before = self._request_edge
        super().close_if_unusable_or_obsolete()
        if self.connection is None or self.errors_occurred:
            return
        now = time.monotonic()
        if self.health_check_enabled and now - before < RECENTLY_SECONDS:
            self.health_check_done = True
        self._request_edge = now

"""PostgreSQL, Django's backend, with its per-request health check skipped for a connection
that served a request without error in the last second.

With `CONN_HEALTH_CHECKS` (settings: every persistent connection), Django runs `SELECT 1` on
a kept connection at its first use in each request: one round trip more on every request (a
hub accept makes eight, a list page about twenty). A connection pool does the same check
only for a connection idle for a while (HikariCP's `aliveBypassWindowMs`, 500 ms); so here:
a connection that served a request without a database error less than
`VPDT_DB_HEALTH_WINDOW_SECONDS` (default 1) ago is taken as alive. A server restarted inside
that window fails the one request that finds the connection dead; Django then closes it
(`errors_occurred`) and the next request connects again, as without health checks. 0 checks
at every request, as Django does.
"""

from __future__ import annotations

import os
import time

from django.db.backends.postgresql import base

WINDOW = float(os.environ.get("VPDT_DB_HEALTH_WINDOW_SECONDS", "1"))


class DatabaseWrapper(base.DatabaseWrapper):
    health_window = WINDOW

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proven_at: float | None = None  # when the connection last served a request without error

    def connect(self):
        self.proven_at = None
        super().connect()

    def close_if_unusable_or_obsolete(self):
        # Called at each request's start and end. `health_check_done` still set: the connection
        # was opened or checked and used since the last call; `errors_occurred` unset: no
        # statement failed (an IntegrityError or DataError also proves the server answered).
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.proven_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self):
        if (self.connection is not None and not self.health_check_done and self.proven_at is not None
                and not self.errors_occurred and time.monotonic() - self.proven_at < self.health_window):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

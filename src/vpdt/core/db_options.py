"""Prepared statements on a PostgreSQL connection (read by both settings modules).

The same statements run over and over (a page's reads, the hub's accept and delivery). With
server-side binding, parameters travel apart from the SQL text (no client-side quoting of each
value), and psycopg prepares a statement after N executions on a connection, so PostgreSQL
skips parsing and planning it again. N comes from an environment variable, 5 by default; 0
turns both off: for a connection pooler that cannot keep prepared statements (PgBouncer in
transaction mode before 1.21 without max_prepared_statements).
- VPDT_DB_PREPARE_AFTER: the e-office's database (in a load test PostgreSQL planned as long as
  it executed: docs/BENCHMARKS.md, "A specialist's search by key");
- VPDT_HUB_DB_PREPARE_AFTER: the hub's (vpdt.hub.db_options).
"""

from __future__ import annotations

import os

# Django's PostgreSQL backend, its kept connections checked from their socket (no SELECT 1).
ENGINE = "vpdt.core.postgresql"


def prepare_after(variable: str) -> int:
    """Executions on a connection before a statement is prepared (0: never, client-side binding)."""
    return int(os.environ.get(variable, "5"))


def postgres_options(after: int) -> dict:
    """The connection's OPTIONS for `after` (nothing to add for 0)."""
    if after <= 0:
        return {}
    return {"server_side_binding": True, "prepare_threshold": after}

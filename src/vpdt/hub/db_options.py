"""Connection options of the hub's database on PostgreSQL (read by both settings modules).

The hub's hot paths (accept, list, download, acknowledge) send the same dozen statements
over and over: bound server-side and prepared after `VPDT_HUB_DB_PREPARE_AFTER` executions
(5 by default; measured 30 % less CPU per statement in the hub process), so PostgreSQL skips
parsing and planning them again. 0 turns both off (vpdt.core.db_options).
"""

from __future__ import annotations

from vpdt.core import db_options

ENGINE = db_options.ENGINE  # the e-office's backend: kept connections checked from their socket


def postgres_options() -> dict:
    return db_options.postgres_options(db_options.prepare_after("VPDT_HUB_DB_PREPARE_AFTER"))

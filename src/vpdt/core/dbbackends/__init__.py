"""Django database backends of vpdt: the stock ones with what vpdt's serving needs changed.

`postgresql`: Django's, with the per-request health check skipped for a connection proven in
the last second (its module says why). Both settings modules pass a parsed database URL
through `ours`.
"""

from __future__ import annotations

STOCK_POSTGRESQL = "django.db.backends.postgresql"
POSTGRESQL = "vpdt.core.dbbackends.postgresql"


def ours(config: dict) -> dict:
    """`config` (a DATABASES entry) with vpdt's backend where it has one for its ENGINE."""
    if config.get("ENGINE") == STOCK_POSTGRESQL:
        config["ENGINE"] = POSTGRESQL
    return config

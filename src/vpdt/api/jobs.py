"""Background jobs of the API (vpdt.core.tasks): forget idempotency keys past their 24 hours."""

from vpdt.core import tasks


@tasks.job("api.idempotency_purge", every=3600)
def idempotency_purge() -> int:
    """Delete the idempotency keys older than vpdt.api.idempotency.KEEP (a token's own requests
    also forget its old keys as they come; this reaches the tokens no longer used)."""
    from vpdt.api.idempotency import purge

    return purge()

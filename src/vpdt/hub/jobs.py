"""Background jobs of the hub (vpdt.core.tasks): one federation round (push up, pull down),
and the retention of finished deliveries.

Each returns how much it did, so a backlog drains at full speed; a package queued for the
upper hub wakes the federation job when its transaction commits (services.forwarding).
"""

from django.conf import settings

from vpdt.core import tasks


@tasks.job("hub.forward", every=float(getattr(settings, "HUB_POLL_SECONDS", 2.0)))
def forward() -> int:
    from vpdt.hub.forwarder import forwarder

    pushed, pulled = forwarder.run_once()
    return pushed + pulled


@tasks.job("hub.prune", every=3600.0)
def prune() -> int:
    """Deliveries finished more than HUB_KEEP_DONE_DAYS ago (0: never) are removed, a batch a run."""
    from vpdt.hub import services

    days = services.keep_done_days()
    return services.prune_done(days, max_batches=1) if days > 0 else 0

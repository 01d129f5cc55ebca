"""Background job of the hub (vpdt.core.tasks): one federation round (push up, pull down).

It returns how many packages moved, so a backlog drains at full speed; a package queued
for the upper hub wakes it when its transaction commits (services.forwarding).
"""

from django.conf import settings

from vpdt.core import tasks


@tasks.job("hub.forward", every=float(getattr(settings, "HUB_POLL_SECONDS", 2.0)))
def forward() -> int:
    from vpdt.hub.forwarder import forwarder

    pushed, pulled = forwarder.run_once()
    return pushed + pulled

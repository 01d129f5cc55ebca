"""The webhooks' job (vpdt.core.tasks): read new audit entries, spot overdue documents, send."""

import time

from vpdt.core import tasks
from vpdt.webhooks import events, sender
from vpdt.webhooks.services import JOB

PRUNE_EVERY_SECONDS = 3600
_pruned_at = float("-inf")


@tasks.job(JOB, every=5)
def dispatch() -> int:
    read = events.collect()
    events.collect_overdue()
    sent = sender.deliver_due()
    global _pruned_at
    if time.monotonic() - _pruned_at > PRUNE_EVERY_SECONDS:
        events.prune()
        _pruned_at = time.monotonic()
    # Work found (entries read, deliveries tried): run again at once until the backlog is drained.
    return read + sent

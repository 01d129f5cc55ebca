"""The webhooks' job (vpdt.core.tasks): read new audit entries, spot overdue documents, send."""

from vpdt.core import tasks
from vpdt.webhooks import events, sender
from vpdt.webhooks.services import JOB


@tasks.job(JOB, every=5)
def dispatch() -> int:
    read = events.collect()
    events.collect_overdue()
    sent = sender.deliver_due()
    events.prune()
    # Work found (entries read, deliveries tried): run again at once until the backlog is drained.
    return read + sent

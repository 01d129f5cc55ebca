"""Background jobs of workflow (vpdt.core.tasks): reminders and digests (idempotent per day), e-mails."""

from vpdt.core import tasks


@tasks.job("workflow.daily", every=3600)
def daily() -> dict:
    from vpdt.workflow.notifications import run_daily

    return run_daily()


@tasks.job("workflow.emails", every=60)
def emails() -> int:
    from vpdt.workflow.notifications import deliver_emails

    return deliver_emails()

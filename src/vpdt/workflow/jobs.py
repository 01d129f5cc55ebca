"""Periodic jobs of workflow in the worker: reminders and digests (idempotent per day), e-mails."""

from vpdt.core import worker


@worker.register("workflow.daily", interval=3600)
def daily() -> dict:
    from vpdt.workflow.notifications import run_daily

    return run_daily()


@worker.register("workflow.emails", interval=60)
def emails() -> int:
    from vpdt.workflow.notifications import deliver_emails

    return deliver_emails()

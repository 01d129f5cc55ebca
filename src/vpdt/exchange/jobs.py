"""Worker jobs: send the outbox, poll the hub. Both keep their state in the database.

Both return how many packages they handled, so the worker runs them again at once while
there is work; a new outbox message wakes `exchange.send` when its transaction commits.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from vpdt.core import worker
from vpdt.exchange import inbox, outbox
from vpdt.exchange.models import OutboxMessage


@worker.register("exchange.send", interval=float(getattr(settings, "EXCHANGE_SEND_INTERVAL_SECONDS", 2.0)))
def send() -> int:
    return outbox.send_pending()


@worker.register("exchange.receive", interval=float(getattr(settings, "EXCHANGE_POLL_INTERVAL_SECONDS", 5.0)))
def receive() -> int:
    return inbox.poll_all()


@receiver(post_save, sender=OutboxMessage, dispatch_uid="vpdt.exchange.wake_send")
def _wake_send(sender, instance, created, **kwargs) -> None:
    if created:
        transaction.on_commit(lambda: worker.wake("exchange.send"))

"""Background jobs of the exchange (vpdt.core.tasks): send the outbox, poll the hub.

Both keep their state in the database and return how many packages they handled, so a
backlog drains at full speed; a new outbox message wakes `exchange.send` when its
transaction commits.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from vpdt.core import tasks
from vpdt.exchange import inbox, outbox
from vpdt.exchange.models import OutboxMessage


@tasks.job("exchange.send", every=settings.EXCHANGE_SEND_INTERVAL_SECONDS)
def send() -> int:
    return outbox.send_pending()


@tasks.job("exchange.receive", every=settings.EXCHANGE_POLL_INTERVAL_SECONDS)
def receive() -> int:
    return inbox.poll_all()


@receiver(post_save, sender=OutboxMessage, dispatch_uid="vpdt.exchange.wake_send")
def _wake_send(sender, instance, created, **kwargs) -> None:
    if created:
        transaction.on_commit(lambda: tasks.wake("exchange.send"))

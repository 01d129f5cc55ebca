"""Worker jobs: send the outbox, poll the hub. Both keep their state in the database."""

from django.conf import settings

from vpdt.core import worker
from vpdt.exchange import inbox, outbox


@worker.register("exchange.send", interval=float(getattr(settings, "EXCHANGE_SEND_INTERVAL_SECONDS", 2.0)))
def send() -> int:
    return outbox.send_pending()


@worker.register("exchange.receive", interval=float(getattr(settings, "EXCHANGE_POLL_INTERVAL_SECONDS", 5.0)))
def receive() -> int:
    return inbox.poll_all()

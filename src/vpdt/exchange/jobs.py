"""Background jobs of the exchange (vpdt.core.tasks): send the outbox, poll the hub, make the
package keys of the agencies that may send.

Each keeps its state in the database and returns how much it handled, so a backlog drains at
full speed; a new outbox message wakes `exchange.send` when its transaction commits, a new
connection or a new clerk `exchange.package_keys`.
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


# One poll at a time in a process: a connection's lease lets one poller through, and a second
# run only read the connections and lost the lease (57 runs instead of 7 for a burst of 100).
@tasks.job("exchange.receive", every=settings.EXCHANGE_POLL_INTERVAL_SECONDS, single=True)
def receive() -> int:
    return inbox.poll_all()


@tasks.job("exchange.package_keys", every=3600)
def package_keys() -> int:
    """An agency that may send packages has the key that signs them before its first release.

    Without one, the first release generates it (an RSA-2048 key, its certificate, sealed and
    audited: 25-130 ms of CPU here) in the clerk's request, inside the release's transaction.
    The agencies: those of an enabled hub connection, and those with a clerk here (a release
    queues its packages even before the agency is connected). One agency per run: a run that
    made a key runs again at once. An agency whose seal the server can open alone needs none
    (the seal signs its packages)."""
    from django.db.models import Q

    from vpdt.directory.models import Agency
    from vpdt.directory.roles import Role
    from vpdt.signing import agency_keys

    senders = Agency.objects.filter(Q(hub_connections__enabled=True) | Q(role_assignments__role=Role.CLERK),
                                    active=True)
    agency = agency_keys.without_package_key(senders).order_by("pk").first()
    if agency is None:
        return 0
    # False: a release is making this agency's key at this moment (it will have one).
    return 1 if agency_keys.make_package_key(agency) else 0


@receiver(post_save, sender="directory.RoleAssignment", dispatch_uid="vpdt.exchange.wake_package_keys")
def _wake_package_keys(sender, instance, created, raw=False, **kwargs) -> None:
    # A clerk here releases: the agency's package key is made now, not at the job's next hourly
    # run or in the clerk's first release (where it cost the request 25-130 ms of CPU).
    from vpdt.directory.roles import Role

    if created and not raw and instance.role == Role.CLERK:
        transaction.on_commit(lambda: tasks.wake("exchange.package_keys"))


@receiver(post_save, sender=OutboxMessage, dispatch_uid="vpdt.exchange.wake_send")
def _wake_send(sender, instance, created, **kwargs) -> None:
    if created:
        transaction.on_commit(lambda: tasks.wake("exchange.send"))

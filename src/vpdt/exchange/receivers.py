"""How the exchange takes part in records' operations (hooked up in ExchangeConfig.ready).

- release: `ReleaseDeliverer` is the records.seams deliverer; records.services.release
  calls it after the state change, in the same transaction.
- recall, replace, and the receiver's state changes: `on_state_change` receives
  records.signals.document_state_changed, also sent inside the transaction.

So the outbox rows written here commit or roll back with the change; an exception here
(a secret document, a package that cannot be written) makes the release or the state
change fail.
"""

from __future__ import annotations

from django.dispatch import receiver

from vpdt import edxml
from vpdt.exchange import outbox, statuses
from vpdt.exchange.models import OutboxMessage
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document, Recipient
from vpdt.records.signals import document_state_changed


class ReleaseDeliverer:
    """records.seams deliverer: a released document's agency recipients get one package each
    in the outbox (exchange.outbox.queue_release); internal units are the workflow's."""

    def deliver(self, actor, document: Document, recipients: list[Recipient]) -> list[OutboxMessage]:
        return outbox.queue_release(document, recipients, actor)


def _reached(document: Document):
    """Recipients the document was sent to over the interconnection."""
    ids = OutboxMessage.objects.filter(document=document, message_type=OutboxMessage.EDOC,
                                       business_type=edxml.BUSINESS_NEW).values("recipient_id")
    return Recipient.objects.filter(document=document, pk__in=ids).select_related("agency")


@receiver(document_state_changed, dispatch_uid="exchange.on_state_change")
def on_state_change(sender, document, old_state, new_state, user=None, action="", detail=None, **kwargs):
    detail = detail or {}
    if document.direction == Direction.INCOMING:
        code = statuses.status_for_state(new_state)
        if code and old_state != new_state and statuses.is_electronic_incoming(document):
            description = detail.get("reason") or detail.get("note") or ""
            outbox.queue_status(document, code, user, description=str(description))
        return
    if new_state == State.RECALLED and old_state != State.RECALLED:
        outbox.queue_business(document, edxml.BUSINESS_REVOKE, user, reason=str(detail.get("reason") or ""),
                              recipients=_reached(document))
    elif new_state == State.REPLACED and old_state != State.REPLACED:
        outbox.queue_business(document, edxml.BUSINESS_REPLACE, user, reason=str(detail.get("reason") or ""),
                              recipients=_reached(document))

"""Receivers of the records signals (connected in ExchangeConfig.ready).

Both signals are sent inside the transaction of the change, so the outbox rows written
here commit or roll back with it; an exception here (a secret document, a package that
cannot be written) makes the release or the state change fail.
"""

from __future__ import annotations

from django.dispatch import receiver

from vpdt import edxml
from vpdt.exchange import outbox, statuses
from vpdt.exchange.models import OutboxMessage
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document, Recipient
from vpdt.records.signals import document_released, document_state_changed


@receiver(document_released, dispatch_uid="exchange.on_release")
def on_release(sender, document, recipients, user=None, **kwargs):
    outbox.queue_release(document, list(recipients), user)


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

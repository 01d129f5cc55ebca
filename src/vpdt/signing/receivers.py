"""Every PDF that reaches an incoming document is verified when it is stored, whatever the
path: the clerk's upload (receive_paper, add_attachment), the interconnection inbox
(exchange.handlers), reconciliation with a paper registration."""

from __future__ import annotations

import logging

from django.db.models.signals import post_save
from django.dispatch import receiver

from vpdt.records.choices import Direction
from vpdt.records.models import Attachment

log = logging.getLogger(__name__)


@receiver(post_save, sender=Attachment, dispatch_uid="signing.verify_received_pdf")
def verify_received_pdf(sender, instance: Attachment, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not created:
        return
    from vpdt.signing import services

    if not services.is_pdf(instance.name, instance.content_type):
        return
    if instance.document.direction != Direction.INCOMING or instance.kind == Attachment.Kind.OPINION:
        return
    try:
        services.verify_attachment(instance)
    except Exception:  # verification must never lose a received document; the page shows "not checked"
        log.exception("signature verification failed for attachment %s", instance.pk)

"""The receiving clerk hears what the interconnection did: an arrival, a recall, an update, a replacement.

`exchange.signals.package_handled` is sent inside the inbox transaction; this receiver adds a
notification (the bell) for each clerk (văn thư) of the receiving agency, in the same
transaction, and wakes the e-mail job once it commits (vpdt.workflow.notifications.deliver_emails
mails these kinds). One notification per clerk, document and received package (`key`): a
package taken in again after a crash notifies nobody twice.

The kinds' labels, as a person reads them, are in the one catalogue (vpdt.core.labels.NOTIFICATIONS).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vpdt.directory.roles import Role
from vpdt.exchange import signals
from vpdt.workflow.notifications import notify

# Notification kinds (Notification.kind), one per event of the exchange.
KINDS = {
    signals.ARRIVED: "exchange_arrived",
    signals.RECONCILED: "exchange_reconciled",
    signals.RECALLED: "exchange_recalled",
    signals.UPDATED: "exchange_updated",
    signals.REPLACED: "exchange_replaced",
}

# What needs the clerk's hand (registering a new arrival); the others tell what already happened.
ACTION_KINDS = {"exchange_arrived"}

_MESSAGES = {
    signals.ARRIVED: _("Văn bản mới đến qua liên thông, chờ vào sổ: %(document)s (từ %(issuer)s)"),
    signals.RECONCILED: _("Đã nhận bản điện tử của văn bản đã vào sổ từ bản giấy: %(document)s (từ %(issuer)s)"),
    signals.RECALLED: _("Cơ quan gửi đã thu hồi văn bản: %(document)s (từ %(issuer)s)"),
    signals.UPDATED: _("Cơ quan gửi đã cập nhật văn bản: %(document)s (từ %(issuer)s)"),
    signals.REPLACED: _("Cơ quan gửi đã thay thế văn bản: %(document)s (từ %(issuer)s)"),
}
_REASON = _("Lý do: %(reason)s")
_URGENT = _("%(urgency)s – %(message)s")


def _label(document) -> str:
    code = document.code
    return f"{code + ' – ' if code else ''}{document.subject[:90]}"


def message(event: str, document, reason: str = "") -> str:
    """The notification's text, in the site's language (stored; the e-mail says the same)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(_MESSAGES[event]) % {"document": _label(document),
                                        "issuer": document.issuer_name or document.issuer_code or "—"}
        if event == signals.ARRIVED and document.urgency:
            text = str(_URGENT) % {"urgency": document.get_urgency_display(), "message": text}
        if reason:
            text = f"{text}. {str(_REASON) % {'reason': reason}}"
    return text


def clerks(agency) -> list:
    from vpdt.workflow.services import role_holders

    return role_holders(agency.pk, Role.CLERK)


def package_key(item) -> str:
    """The received package, in a notification's key: its connection and the hub's DocId (the
    inbox item is written once, after its package was handled, so it has no id yet)."""
    return hashlib.sha256(f"{item.connection_id}:{item.hub_doc_id}".encode()).hexdigest()[:16]


def on_package_handled(sender, item, agency, event: str, documents: list, reason: str = "", **kwargs) -> int:
    kind = KINDS.get(event)
    if kind is None:
        return 0
    to = clerks(agency)
    made = 0
    for document in documents:
        # A new arrival's document was made by this package, in this transaction: nobody has its key.
        made += notify(to, document, kind, message(event, document, reason),
                       key=f"{kind}:{document.pk}:{package_key(item)}", new_key=event == signals.ARRIVED)
    if made:
        from vpdt.core import tasks

        transaction.on_commit(lambda: tasks.wake("workflow.emails"))
    return made

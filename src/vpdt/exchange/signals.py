"""What the exchange announces to the apps built on it (they connect in their AppConfig.ready).

The exchange may not import workflow (docs/architecture.md), yet the receiving agency's
clerks must hear of what the interconnection did on their behalf; workflow connects a
receiver (`vpdt.workflow.arrivals`) that notifies them (bell and e-mail).

- `package_handled(sender=InboxItem, item, agency, event, documents, reason)`: sent by
  `exchange.handlers` inside the inbox transaction, after a received package changed the
  agency's documents, so what a receiver writes commits or rolls back with the package.
  `event` is one of EVENTS; `documents` the agency's documents it concerns; `reason` the
  sender's reason (recall, replacement) or note (update), possibly empty.
"""

from django.dispatch import Signal

ARRIVED = "arrived"  # a new document over the interconnection (state "đã đến")
RECONCILED = "reconciled"  # the electronic copy of a document the clerk registered from paper
RECALLED = "recalled"  # the sender recalled it (thu hồi)
UPDATED = "updated"  # the sender updated its metadata or files (cập nhật)
REPLACED = "replaced"  # the sender replaced it with another document (thay thế)
EVENTS = (ARRIVED, RECONCILED, RECALLED, UPDATED, REPLACED)

package_handled = Signal()


def announce(item, agency, event: str, documents: list, reason: str = "") -> None:
    documents = [d for d in documents if d is not None]
    if documents:
        package_handled.send(sender=type(item), item=item, agency=agency, event=event, documents=documents,
                             reason=reason or "")

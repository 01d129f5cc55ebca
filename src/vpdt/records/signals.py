"""Seams for the apps that build on records (exchange, search, notifications).

Both signals are sent inside the transaction that makes the change, so a receiver that
writes (the exchange outbox) commits or rolls back with it.

- `document_state_changed(sender=Document, document, old_state, new_state, user, action, detail)`:
  after every state change made through services (records or workflow).
- `document_released(sender=Document, document, recipients, user)`: when an outgoing document
  is released; `recipients` are its Recipient rows (internal units are delivered by workflow;
  agencies by the exchange).
"""

from django.dispatch import Signal

document_state_changed = Signal()
document_released = Signal()

"""Seams for the apps that build on records (exchange, search, notifications).

The signal is sent inside the transaction that makes the change, so a receiver that
writes (the exchange outbox) commits or rolls back with it.

- `document_state_changed(sender=Document, document, old_state, new_state, user, action, detail)`:
  after every state change made through services (records or workflow).

Release is not a signal: records.services.release calls the deliverer the exchange
registers (records.seams).
"""

from django.dispatch import Signal

document_state_changed = Signal()

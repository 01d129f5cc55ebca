"""The recipient's delivery state: the states, the allowed transitions, the one function that moves.

A `Recipient` of an outgoing document says where that copy is: waiting to be sent, sent to
the hub, arrived, accepted by the receiver's clerk, assigned, being handled, completed;
or finally rejected or recalled. Every change goes through `move` (and only through it):
it checks the transition against `ALLOWED`, writes the row and the audit log in the
caller's transaction. The callers are:

- workflow.release / acknowledge / recall (internal units: delivered at once, accepted by
  the unit head, recalled with the document);
- exchange.outbox (the hub took the package: sent; the hub refused it for good: failed);
- exchange.statuses (a status from the receiver: delivered, accepted, assigned, ...).

Statuses travel on their own and may overtake each other: a later one (03) can arrive
before an earlier one (01). The progress shown never goes back, so "accepted" after
"assigned" is not a transition: exchange.statuses asks `allowed` first and keeps the state
(recording the status code) when it is not.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from vpdt.core import audit
from vpdt.core.errors import InvalidState
from vpdt.core.prepared import SaveFields
from vpdt.records.choices import DeliveryState as S
from vpdt.records.models import Recipient

# From -> the states it may move to. Staying in the same state (a repeated status) is
# always allowed and changes only the status code and time. REJECTED and RECALLED are final.
_AFTER_ARRIVAL = {S.ACCEPTED, S.ASSIGNED, S.PROCESSING, S.COMPLETED, S.REJECTED, S.RECALLED}
ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.SENT, S.FAILED, S.DELIVERED, *_AFTER_ARRIVAL}),
    S.FAILED: frozenset({S.PENDING, S.SENT, S.DELIVERED, *_AFTER_ARRIVAL}),
    S.SENT: frozenset({S.DELIVERED, *_AFTER_ARRIVAL}),
    S.DELIVERED: frozenset(_AFTER_ARRIVAL),
    S.ACCEPTED: frozenset({S.ASSIGNED, S.PROCESSING, S.COMPLETED, S.REJECTED, S.RECALLED}),
    S.ASSIGNED: frozenset({S.PROCESSING, S.COMPLETED, S.REJECTED, S.RECALLED}),
    S.PROCESSING: frozenset({S.COMPLETED, S.REJECTED, S.RECALLED}),
    S.COMPLETED: frozenset({S.REJECTED, S.RECALLED}),
    S.REJECTED: frozenset(),
    S.RECALLED: frozenset(),
}
FINAL = frozenset(state for state, following in ALLOWED.items() if not following)


class IllegalTransition(InvalidState):
    """A recipient asked to move where its delivery state does not allow."""

    code = "RECIPIENT_ILLEGAL_TRANSITION"

    def __init__(self, recipient: Recipient, to_state: str):
        label = dict(S.choices)
        super().__init__(
            f"Không thể chuyển tình trạng gửi của “{recipient.display_name}” từ “{label.get(recipient.state)}” "
            f"sang “{label.get(to_state, to_state)}”.",
            code=self.code,
            detail=f"recipient {recipient.pk}: {recipient.state} -> {to_state} is not in records.delivery.ALLOWED",
        )


def allowed(from_state: str, to_state: str) -> bool:
    return to_state == from_state or to_state in ALLOWED.get(from_state, frozenset())


# Every status of every recipient moves one (the exchange's statuses both ways): written once.
_SAVE_STATE = SaveFields(Recipient, "state", "status_at")
_SAVE_STATE_AND_CODE = SaveFields(Recipient, "state", "status_at", "status_code")


def move(actor, recipient: Recipient, to_state: str, *, action: str = "recipient.state", status_code: str | None = None,
         at: dt.datetime | None = None, detail: dict | None = None) -> bool:
    """Move `recipient` to `to_state` and audit it (on its document, as `action`, by `actor`).

    `actor` is a person or a system actor (records.actors). Raises IllegalTransition for a
    move `ALLOWED` does not list, changing nothing. Returns whether the state changed (a
    repeated state still records `status_code` and the time). Call it inside the
    transaction of the change that causes it.
    """
    if to_state not in ALLOWED:
        raise IllegalTransition(recipient, to_state)
    previous = recipient.state
    if not allowed(previous, to_state):
        raise IllegalTransition(recipient, to_state)
    recipient.state = to_state
    recipient.status_at = at or timezone.now()
    if status_code is None:
        _SAVE_STATE.save(recipient)
    else:
        recipient.status_code = status_code
        _SAVE_STATE_AND_CODE.save(recipient)
    audit.record(action, recipient.document, user=actor, detail={
        **(detail or {}), "recipient": recipient.pk, "recipient_name": recipient.display_name,
        "recipient_state": [previous, to_state]})
    return previous != to_state


def move_if_allowed(actor, recipient: Recipient, to_state: str, **kwargs) -> bool:
    """`move` when the transition is allowed; otherwise nothing changes. Returns whether it moved."""
    if not allowed(recipient.state, to_state):
        return False
    return move(actor, recipient, to_state, **kwargs)

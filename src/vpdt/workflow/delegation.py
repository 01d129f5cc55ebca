"""Ủy quyền: who may act in whose name today. Used by services (permission) and queues."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from vpdt.core import request_context
from vpdt.core.prepared import Read
from vpdt.workflow.models import Delegation


def today() -> dt.date:
    return timezone.localdate()


# Asked by every list, counter and button check: one prepared statement (vpdt.core.prepared).
_PRINCIPALS = Read(lambda user_id, day: Delegation.objects.filter(
    deputy_id=user_id, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True).values_list("principal_id"),
    user_id=int, day=dt.date)


def principal_ids(user, day: dt.date | None = None) -> list[int]:
    """The people `user` acts for today: themselves, and whoever delegated to them."""
    day = day or today()
    ids = request_context.remembered(("principals", user.pk, day),
                                     lambda: [row[0] for row in _PRINCIPALS.rows(user_id=user.pk, day=day)])
    return [user.pk, *ids]


def acting_for(user, principal_id: int | None, day: dt.date | None = None) -> int | None:
    """`principal_id` when `user` is that person or their deputy today, else None."""
    if principal_id is None:
        return None
    if principal_id == user.pk:
        return principal_id
    return principal_id if principal_id in principal_ids(user, day) else None


def behalf_detail(user, principal) -> dict:
    """The audit detail that records who acted on whose behalf."""
    if principal is None or principal.pk == user.pk:
        return {}
    return {"on_behalf_of": principal.pk, "on_behalf_of_name": principal.get_full_name() or principal.username,
            "delegation": True}

"""The counters of a person's home page and of their queues' tabs (issue 14 "Dashboard").

Each counter is the size of one queue of `vpdt.workflow.queues`, the same queryset the tab
lists, so a card never says 7 when its list shows 6. A count stops at CAP: it is a
`COUNT(*)` over `SELECT id … LIMIT CAP + 1`, which reads at most CAP + 1 index entries
however big the agency (a leader "follows" most of it); the page says "1.000+" past it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from vpdt.directory.roles import Role
from vpdt.workflow import queues

CAP = 1_000
# The queues every person has (tabs, in this order) and the cards of every home page.
COMMON_TABS = ("waiting", "following", "overdue", "due_soon")
COMMON_CARDS = ("waiting", "overdue", "due_soon")
# Queues shown only to whom they concern: who reviews drafts, who releases them.
REVIEWER_ROLES = {Role.LEADER, Role.UNIT_HEAD, Role.CLERK}


@dataclass(frozen=True)
class Counter:
    key: str
    label: str
    value: int
    capped: bool  # more than `value` (= CAP)


def bounded_count(qs: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """(count up to `cap`, whether there are more): never a COUNT(*) over every match."""
    cap = cap or CAP
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def _roles(user) -> set[str]:
    return {r for a in user.member_agency_ids() for r in user.role_set(a)}


def queue_keys(user, *, cards: bool = False) -> list[str]:
    """The queues this person sees: as tabs (all), or as home cards (without "Theo dõi")."""
    keys = list(COMMON_CARDS if cards else COMMON_TABS)
    roles = _roles(user)
    if roles & REVIEWER_ROLES:
        keys.append("approval")
    if Role.CLERK in roles:
        keys.append("release")
    return keys


def count(user, key: str, day: dt.date | None = None) -> Counter:
    label, queue = queues.QUEUES[key]
    value, capped = bounded_count(queue(user, day))
    return Counter(key, str(label), value, capped)


def counters(user, keys: list[str], day: dt.date | None = None, *,
             known: dict[str, tuple[int, bool]] | None = None) -> dict[str, Counter]:
    """Each queue of `keys` counted; `known` gives (count, capped) already made for some (the list's
    page counts its queue up to the same cap): those are not counted again."""
    known = known or {}
    return {key: Counter(key, str(queues.QUEUES[key][0]), *known[key]) if key in known else count(user, key, day)
            for key in keys}

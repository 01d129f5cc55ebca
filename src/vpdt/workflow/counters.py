"""The counters of a person's home page and of their queues' tabs (issue 14 "Dashboard").

Each counter is the size of one queue of `vpdt.workflow.queues`, the same queryset the tab
lists, so a card never says 7 when its list shows 6. A count stops at CAP: it is a
`COUNT(*)` over `SELECT id … LIMIT CAP + 1`, which reads at most CAP + 1 index entries
however big the agency (a leader "follows" most of it); the page says "1.000+" past it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
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


def bounded_counts(querysets: list[QuerySet], cap: int | None = None) -> list[tuple[int, bool]]:
    """`bounded_count` of each queryset, all in one statement: `SELECT (SELECT COUNT(*) FROM
    (…LIMIT cap + 1)), …`. A page shows four to six counters; counted one by one, each cost a
    round trip and Django's wrapping of the sliced query in an aggregate. (Building the queues'
    querysets, not counting them, is most of the counters' share of a list page.)"""
    cap = cap or CAP
    parts, params, values = [], [], []
    for i, qs in enumerate(querysets):
        try:
            sql, p = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # a queue that cannot hold anything (none()): 0, not asked
            values.append(0)
            continue
        values.append(None)
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{i})")
        params += p
    if parts:
        alias = querysets[0].db
        with connections[alias].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            row = iter(cursor.fetchone())
        values = [next(row) if v is None else v for v in values]
    return [(min(n, cap), n > cap) for n in values]


def count(user, key: str, day: dt.date | None = None) -> Counter:
    return counters(user, [key], day)[key]


def counters(user, keys: list[str], day: dt.date | None = None, *,
             known: dict[str, tuple[int, bool]] | None = None) -> dict[str, Counter]:
    """Each queue of `keys` counted (in one statement); `known` gives (count, capped) already made
    for some (the list's page counts its queue up to the same cap): those are not counted again."""
    known = dict(known or {})
    todo = [key for key in keys if key not in known]
    if todo:
        known.update(zip(todo, bounded_counts([queues.QUEUES[key][1](user, day) for key in todo]), strict=True))
    return {key: Counter(key, str(queues.QUEUES[key][0]), *known[key]) for key in keys}

"""Pages of documents that stay fast on a big database: ids first, then the rows.

A page is asked for in two queries. The first selects only the ids, in the list's order,
for the page: with the filter and the order columns in one index, the database answers it
from that index alone (PostgreSQL index-only scan, SQLite covering index), however many
documents match. The second fetches the page's 25 or 50 rows by primary key.

In one query the database would read the whole row of every match before sorting: for a
unit head filtering a big agency by state, 39,500 rows from 26,000 table pages to keep 25
(160 ms on PostgreSQL, BENCHMARKS.md); ids first, 18 ms.

A count stops at a cap: an exact COUNT(*) walks every match and nobody pages that far.
"""

from __future__ import annotations

from django.db.models import QuerySet


def page_rows(qs: QuerySet, start: int, stop: int, *, related: tuple[str, ...] = ()) -> list:
    """`qs[start:stop]` as model instances, in `qs`'s order, through an ids-only query."""
    ids = list(qs.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    found = qs.model._base_manager.select_related(*related).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def capped_count(qs: QuerySet, cap: int) -> tuple[int, bool]:
    """(count up to `cap`, whether there are more)."""
    n = qs.order_by().values("pk")[:cap + 1].count()
    return min(n, cap), n > cap

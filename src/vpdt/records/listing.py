"""Pages of documents that stay fast on a big database: ids first, then the rows.

A page is asked for in two queries. The first selects only the ids, in the list's order,
for the page: with the filter and the order columns in one index, the database answers it
from that index alone (PostgreSQL index-only scan, SQLite covering index), however many
documents match. The second fetches the page's 25 or 50 rows by primary key.

In one query the database would read the whole row of every match before sorting: for a
unit head filtering a big agency by state, 39,500 rows from 26,000 table pages to keep 25
(160 ms on PostgreSQL, BENCHMARKS.md); ids first, 18 ms.

A count stops at a cap (an exact COUNT(*) walks every match and nobody pages that far) and
comes from the same ids query, which reads up to the cap: a search's full-text scan runs
once, not once for the page and once for the count. A page past the cap (rare) is asked for
with an offset, and counted apart.
"""

from __future__ import annotations

from django.db.models import QuerySet

from vpdt.core.prepared import Read

_ROWS: dict[tuple, Read] = {}  # (model, related) -> the page's rows by id, written out once per length bucket


def _rows_of(model, related: tuple[str, ...], ids: list[int]) -> dict:
    read = _ROWS.get((model, related))
    if read is None:
        read = _ROWS[(model, related)] = Read(
            lambda ids: model._base_manager.select_related(*related).filter(pk__in=ids).order_by(), ids=[int])
    return {row.pk: row for row in read.instances(ids=ids)}


def page_and_count(qs: QuerySet, offset: int, size: int, cap: int, *,
                   related: tuple[str, ...] = (), ids_read: list | None = None) -> tuple[list, int, bool, bool]:
    """(rows of the page, count up to `cap`, whether there are more than `cap`, whether a next page exists).

    `ids_read`: a list to receive the ids the count read (every match's, in order, when the
    count is not capped; left empty for a page past the cap), for a caller that counts
    something else among the matches without walking them again."""
    if offset + size <= cap:  # the usual case: one ids query gives the page and the count
        ids = list(qs.values_list("pk", flat=True)[:cap + 1])
        if ids_read is not None:
            ids_read[:] = ids
        count = len(ids)
        page_ids, has_next = ids[offset:offset + size], count > offset + size
    else:  # a page past the cap: that page's ids, and the count on its own
        page_ids = list(qs.values_list("pk", flat=True)[offset:offset + size + 1])
        has_next = len(page_ids) > size
        page_ids = page_ids[:size]
        count = qs.order_by().values("pk")[:cap + 1].count()
    found = _rows_of(qs.model, tuple(related), page_ids) if page_ids else {}
    return [found[pk] for pk in page_ids if pk in found], min(count, cap), count > cap, has_next

"""A person's read markers on documents: the first open of a document's page marks it read,
the lists show the others bold with a count, and the person may mark documents read or unread.

A marker is the person's own state, not a change of the document: it is not audited.
Only documents the person may see are marked (records.permissions).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from vpdt.core.prepared import Read
from vpdt.records.permissions import visible_documents
from vpdt.workflow.models import DocumentRead

# Asked on every document page and every list page (vpdt.core.prepared: written out once).
_OPENED = Read(lambda user_id, doc_id: DocumentRead.objects.filter(user_id=user_id, document_id=doc_id)
               .values_list("pk")[:1], user_id=int, doc_id=int)
_READ_IDS = Read(lambda user_id, ids: DocumentRead.objects.filter(user_id=user_id, document_id__in=ids)
                 .values_list("document_id").order_by(), user_id=int, ids=[int])


def _visible_ids(user, ids: Iterable[int]) -> list[int]:
    ids = {int(pk) for pk in ids}
    if not ids:
        return []
    return list(visible_documents(user).filter(pk__in=ids).values_list("pk", flat=True))


def mark_read(user, ids: Iterable[int]) -> int:
    """Marks the documents read for `user` (those they may see); returns how many were unread."""
    chosen = _visible_ids(user, ids)
    known = set(DocumentRead.objects.filter(user=user, document_id__in=chosen).values_list("document_id", flat=True))
    fresh = [DocumentRead(user=user, document_id=pk) for pk in chosen if pk not in known]
    DocumentRead.objects.bulk_create(fresh, ignore_conflicts=True)  # a second tab opening it meanwhile
    return len(fresh)


def mark_opened(user, document) -> None:
    """The document's page was opened by `user` (who may see it: the page checked)."""
    if _OPENED.first(user_id=user.pk, doc_id=document.pk) is not None:  # most pages are opened again
        return
    DocumentRead.objects.bulk_create([DocumentRead(user=user, document=document)], ignore_conflicts=True)


def mark_unread(user, ids: Iterable[int]) -> int:
    """Marks the documents unread again for `user`; returns how many were read."""
    deleted, _detail = DocumentRead.objects.filter(user=user, document_id__in=_visible_ids(user, ids)).delete()
    return deleted


def read_ids(user, ids: Iterable[int]) -> set[int]:
    """Which of `ids` `user` has read (one query for a page of a list)."""
    return {row[0] for row in _READ_IDS.rows(user_id=user.pk, ids=list(ids))}


def unread(user, qs: QuerySet) -> QuerySet:
    """The documents of `qs` that `user` has not read."""
    return qs.filter(~Exists(DocumentRead.objects.filter(user=user, document_id=OuterRef("pk"))))


def unread_count(user, qs: QuerySet, cap: int) -> tuple[int, bool]:
    """(unread documents of `qs` up to `cap`, whether there are more).

    In `qs`'s own order: the list walks its index for the page, and the count walks the same
    one. Unordered, PostgreSQL planned a search's count as a scan of the whole table (the
    matches are not spread evenly through it): 210 against 110 ms on 1,000,000 documents
    (docs/BENCHMARKS.md)."""
    found = unread(user, qs).values("pk")[:cap + 1].count()
    return min(found, cap), found > cap

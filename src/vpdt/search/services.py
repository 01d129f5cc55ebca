"""Rebuild the index and check that it matches the table (`vpdt manage rebuild_search_index`)."""

from __future__ import annotations

from django.db import connections, transaction

from vpdt.core.text import fold
from vpdt.search import schema

CHUNK = 5000


def refold(using: str = "default") -> int:
    """Recompute subject_folded where it differs from fold(subject) (a queryset.update()
    that changed the subject skips Document.save); returns how many rows were fixed.
    records writes the column (records.services.refold_subjects)."""
    from vpdt.records.services import refold_subjects

    return refold_subjects(using, chunk=CHUNK)


def stale_folds(using: str = "default", limit: int = 20) -> list[int]:
    """Ids whose subject_folded is not fold(subject) (a full pass over the table)."""
    from vpdt.records.models import Document

    found: list[int] = []
    last = 0
    while len(found) < limit:
        rows = list(Document.objects.using(using).filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "subject", "subject_folded")[:CHUNK])
        if not rows:
            break
        found += [pk for pk, subject, folded in rows if fold(subject) != folded]
        last = rows[-1][0]
    return found[:limit]


def rebuild_index(using: str = "default", *, refold_subjects: bool = False) -> dict:
    connection = connections[using]
    fixed = refold(using) if refold_subjects else 0
    with transaction.atomic(using=using):
        repaired = schema.ensure(connection)
        schema.rebuild(connection)
    return {"refolded": fixed, "repaired": repaired, "problems": schema.problems(connection)}


def check_index(using: str = "default", *, deep: bool = False) -> list[str]:
    """Empty when the index matches records_document; `deep` also re-folds every subject."""
    problems = schema.problems(connections[using])
    if deep:
        stale = stale_folds(using)
        if stale:
            problems.append(f"subject_folded is stale for documents {stale}: run with --refold")
    return problems

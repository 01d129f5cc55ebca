"""The quick search: an exact số/ký hiệu (`388/UBND-VP`), or subject words without diacritics.

Used by the web lists and by `GET /api/documents?q=…` alike.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from vpdt.core.text import fold

CODE_RE = re.compile(r"^\s*(?P<number>\d{1,7})\s*/\s*(?P<notation>[^\s/]+)\s*$")


def apply_quick_search(qs: QuerySet, q: str | None) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return qs
    match = CODE_RE.match(q)
    if match:
        number = int(match["number"])
        notation = match["notation"]
        return qs.filter(
            Q(number=number, notation__iexact=notation) | Q(incoming_number=number, notation__iexact=notation)
        )
    if q.isdigit():
        number = int(q)
        return qs.filter(Q(number=number) | Q(incoming_number=number) | Q(subject_folded__contains=q))
    condition = Q()
    for word in fold(q).split(" "):
        if word:
            condition &= Q(subject_folded__contains=word)
    return qs.filter(condition)

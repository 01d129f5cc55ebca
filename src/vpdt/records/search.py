"""The quick search: an exact số/ký hiệu (`388/UBND-VP`), or subject words without diacritics.

Used by the web lists and by `GET /api/documents?q=…` alike. Numbers go to the B-tree
indexes of records_document; words go to the full-text index of `vpdt.search` (SQLite
FTS5, PostgreSQL GIN on tsvector): every word must be in the subject, the last one may be
the start of a word.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from vpdt.core.text import words

CODE_RE = re.compile(r"^\s*(?P<number>\d{1,7})\s*/\s*(?P<notation>[^\s/]+)\s*$")


def apply_quick_search(qs: QuerySet, q: str | None) -> QuerySet:
    from vpdt.search.query import word_condition

    q = (q or "").strip()
    if not q:
        return qs
    match = CODE_RE.match(q)
    if match:
        number = int(match["number"])
        notation = match["notation"]
        return qs.filter(Q(number=number) | Q(incoming_number=number), notation__iexact=notation)
    terms = words(q)
    if q.isdigit():
        number = int(q)
        return qs.filter(Q(number=number) | Q(incoming_number=number) | word_condition(qs, terms))
    if not terms:
        return qs.none()
    return qs.filter(word_condition(qs, terms))

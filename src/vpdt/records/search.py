"""The quick search: one box for what clerks type (issue 15), on the metadata.

- a số/ký hiệu (`388/UBND-VP`, `11/skhcn-cds`, `11/SKHCN`): the number exactly, the ký hiệu
  folded (any case, Đ typed as D) and as a prefix;
- a part of a ký hiệu without the number (`SKHCN-CĐS`): every document whose ký hiệu has it;
- words, accented or not, in any order: every word in the subject (the full-text index of
  `vpdt.search`: SQLite FTS5, PostgreSQL GIN on tsvector; the last word may be unfinished),
  or every word starting a word of the issuer's or the signer's name;
- "an exact phrase" in double quotes: those words in a row, in the subject or the names.

Both sides are folded (vpdt.core.text.fold). Used by the web lists and by
`GET /api/documents?q=…` alike, on a queryset the caller already restricted to what the person
may see: the search only narrows it.

The names and the ký hiệu are matched with LIKE '%x%' on short folded columns (records
migration 0012): on PostgreSQL through pg_trgm GIN indexes; on SQLite by one scan of a B-tree
index of the column (not of the table), run once per search as an `id IN (…)` list. A search
costs that scan; the default list (no `q`) is untouched.
"""

from __future__ import annotations

import re

from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from vpdt.core.text import fold, words

CODE_RE = re.compile(r"^\s*(?P<number>\d{1,7})\s*/\s*(?P<notation>[^\s/]+)\s*$")
PHRASE_RE = re.compile(r'"([^"]*)"?')


def _ids(qs: QuerySet, condition: Q, agencies=None):
    """`id IN (ids matching the condition)`: one pass over the column's index, not a probe per row.
    `agencies` (SQLite): every document of `qs` is in one of them, so the pass reads only their
    entries of an index leading with the agency (records 0014: doc_agency_people, _notation)."""
    if agencies and connections[qs.db].vendor == "sqlite":
        condition &= Q(agency_id__in=sorted(agencies))
    return Q(pk__in=qs.model._base_manager.filter(condition).values("pk"))


def _names_condition(qs: QuerySet, terms: list[str], phrases: list[str], inline: bool = False,
                     agencies=None) -> Q:
    # people_folded is " issuer / signer": " word" is the start of a word of either name.
    condition = Q()
    for term in terms:
        condition &= Q(people_folded__contains=f" {term}")
    for phrase in phrases:
        condition &= Q(people_folded__contains=f" {phrase}")
    if inline:
        # Checked on each row the list walks (a name on a large share of the documents: listing
        # every match in the province costs more than the walk). `|| ''` keeps the planner from
        # the trigram index, which it would still scan province-wide (it underestimates an AND of
        # common words).
        patterns = [f"%{pattern}%" for pattern in [f" {t}" for t in terms] + [f" {p}" for p in phrases]]
        template = " AND ".join(["({t}.\"people_folded\" || '') LIKE %s"] * len(patterns))
        check = RawSQL(template.format(t=f'"{qs.model._meta.db_table}"'), patterns, output_field=BooleanField())
        # The full search walks the list in order and checks it there (vpdt.search.fulltext._newest).
        check.probe = (template, patterns, ("people_folded",))
        return Q(check)
    return _ids(qs, condition, agencies)


def names_patterns(q: str | None) -> list[str]:
    """The LIKE '%x%' patterns the names condition of `q` has (empty for a số/ký hiệu)."""
    q = (q or "").strip()
    if not q or CODE_RE.match(q):
        return []
    phrases = [" ".join(words(p)) for p in PHRASE_RE.findall(q)]
    return [f" {t}" for t in words(PHRASE_RE.sub(" ", q).strip())] + [f" {p}" for p in phrases if p]


def apply_quick_search(qs: QuerySet, q: str | None) -> QuerySet:
    condition = quick_condition(qs, q)
    if condition is None:
        return qs
    if condition is False:
        return qs.none()
    return qs.filter(condition)


def quick_condition(qs: QuerySet, q: str | None, *, inline_names: bool = False,
                    agencies=None) -> Q | bool | None:
    """The quick search's condition on `qs`'s documents: None for no search, False for one that
    finds nothing (no word in it). The full search (vpdt.search.fulltext) ORs the file text to it,
    and asks for the names `inline_names` (a condition on the row) when they are common, and
    gives the person's `agencies` (every document of `qs` is in one of them) to scope the names'
    and the ký hiệu's index scans on SQLite."""
    from vpdt.search.query import word_condition

    q = (q or "").strip()
    if not q:
        return None
    match = CODE_RE.match(q)
    if match:
        number = int(match["number"])
        notation = fold(match["notation"])
        return (Q(number=number) | Q(incoming_number=number)) & Q(notation_folded__startswith=notation)
    phrases = [" ".join(words(p)) for p in PHRASE_RE.findall(q)]
    phrases = [p for p in phrases if p]
    rest = PHRASE_RE.sub(" ", q).strip()
    terms = words(rest)
    if not terms and not phrases:
        return False
    condition = word_condition(qs, terms, [p.split() for p in phrases], agencies) | _names_condition(
        qs, terms, phrases, inline_names, agencies)
    token = fold(rest)
    if not phrases and " " not in token and len(token) >= 2 and not token.isdigit():
        # One token: it may be a part of a ký hiệu (`SKHCN-CĐS`, `cds`).
        condition |= _ids(qs, Q(notation_folded__contains=token), agencies)
    if rest.isdigit() and not phrases:
        number = int(rest)
        condition |= Q(number=number) | Q(incoming_number=number)
    return condition

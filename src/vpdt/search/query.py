"""Subject-word search on the index of the database the queryset reads from."""

from __future__ import annotations

from django.apps import apps
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from vpdt.search.schema import FTS_TABLE


def _fts5_query(words: list[str], phrases: list[list[str]] = ()) -> str:
    # Every word must appear; the last one may be unfinished (search as you type); a phrase is
    # its words in a row. Words are [0-9a-z]+ (vpdt.core.text.words), so quoting is enough
    # against FTS syntax.
    terms = [f'"{w}"' for w in words]
    if terms:
        terms[-1] += "*"
    terms += ['"' + " ".join(phrase) + '"' for phrase in phrases]
    return " ".join(terms)


def _tsquery(words: list[str], phrases: list[list[str]] = ()) -> str:
    terms = list(words)
    if terms:
        terms[-1] += ":*"
    terms += ["(" + " <-> ".join(phrase) + ")" for phrase in phrases]
    return " & ".join(terms)


def word_condition(qs: QuerySet, words: list[str], phrases: list[list[str]] = (), agencies=None) -> Q:
    """A condition on Document: its folded subject has every word (the last as a prefix) and
    every phrase (its words in a row). `agencies`: the person's (every document of `qs` is in one
    of them), which on PostgreSQL the GIN index's first column reads (search migration 0008)."""
    phrases = [p for p in phrases if p]
    if not words and not phrases:
        return Q()
    vendor = connections[qs.db].vendor
    table = qs.model._meta.db_table
    if apps.is_installed("vpdt.search") and vendor == "sqlite":
        # `+id` keeps SQLite from driving the query from the match list (one row lookup per
        # match in the whole province: 200 ms for a common word); it walks the agency's list
        # index in list order instead and probes the match list, stopping at the page.
        return Q(RawSQL(f'+"{table}"."id" IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)',
                        [_fts5_query(words, phrases)], output_field=BooleanField()))
    if apps.is_installed("vpdt.search") and vendor == "postgresql":
        # The stored vector the GIN index covers (search migration 0004, schema.PG_INDEX_SQL).
        # The person's agencies read the GIN index's first column (search migration 0008), the
        # expression agency_id::integer: btree_gin has no cross-type operators, and a plain
        # `agency_id = %s` would merge with the lists' own condition into an integer constant the
        # bigint column's index cannot take. 215 → 19 ms for a phrase in 2.7 % of the subjects at
        # 1,000,000. One equality per agency (GIN takes no `= ANY(array)`).
        scope, params = "", sorted(agencies or [])
        if params:
            scope = "(" + " OR ".join([f'"{table}"."agency_id"::integer = %s::integer'] * len(params)) + ") AND "
        return Q(RawSQL(f"{scope}\"{table}\".\"subject_tsv\" @@ to_tsquery('simple'::regconfig, %s)",
                        [*params, _tsquery(words, phrases)], output_field=BooleanField()))
    # Without the index: a scan; substrings, so it finds at least what the index finds.
    condition = Q()
    for word in words:
        condition &= Q(subject_folded__contains=word)
    for phrase in phrases:
        condition &= Q(subject_folded__contains=" ".join(phrase))
    return condition

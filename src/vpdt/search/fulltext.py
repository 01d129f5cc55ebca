"""The search page's search (issue 15): one box over everything, with facets and snippets.

A document is found when the quick search finds it (records.search: số/ký hiệu, subject, the
issuer's and the signer's names) OR the text of one of its files has every word and every
quoted phrase (search.FileText, indexed by SQLite FTS5 or a PostgreSQL GIN on a tsvector of
the folded text). Both sides are folded, so accents are optional and Đ is D; words in any order.

Always on a queryset the caller restricted to what the person may see
(records.permissions.visible_documents): a document outside it is never counted, listed, nor
its text read for a snippet. Ranked: documents whose metadata match first, then those found
by their files' text; newest first within each.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr

from vpdt.core.text import words
from vpdt.records.search import PHRASE_RE, quick_condition
from vpdt.search.models import DocumentText, FileText
from vpdt.search.schema import DOC_FTS_TABLE, FILE_FTS_TABLE, FILE_PAIRS_FTS_TABLE, pair_token
from vpdt.search.services import words_of

FACET_LIMIT = 12
SNIPPET_CHARS = 240
# The file text read for a snippet: the first this many characters of each matching file.
SNIPPET_SCAN = 60_000


@dataclass
class Parsed:
    terms: list[str]
    phrases: list[list[str]]

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases


def parse(q: str | None) -> Parsed:
    q = q or ""
    phrases = [words(p) for p in PHRASE_RE.findall(q)]
    return Parsed(words(PHRASE_RE.sub(" ", q)), [p for p in phrases if p])


# SQLite: three plans for the file side, chosen from n, the files matching (FTS5 counts its doclist,
# ~0.1 µs a file, up to the probe's threshold) and N, all the files (the largest id). Measured at
# 1,000,000 files: listing the matching files' documents costs ~0.9 µs a file (FTS5, then the
# file's document and state from the covering index search_ft_id_doc, search migration 0009;
# ~2.8 µs from the table's rows, scattered among the text); driving from the matching documents
# costs ~3.5 µs each (a row lookup) plus a sort. A walk of the list in order checks each document's
# files (their index) against the set of the matching files' rowids, which FTS5 lists once per
# statement (~0.2 µs a file: no row of search_filetext read for it); probing each document instead
# seeks FTS5's doclists for each of its files (12–90 µs a document: the dearer the more files hold
# the word). A walk or a probe stops after FACET_SAMPLE + 1 found, i.e. walks
# (FACET_SAMPLE + 1) × N / n documents.
# - "list" (drive from the documents of the matching files) when n² ≤ SQLITE_LIST × (FACET_SAMPLE + 1) × N;
# - "walk" (the list in order, each document's files `+ft.id IN` the rowids) while
#   n² ≤ SQLITE_PROBE × (FACET_SAMPLE + 1) × N;
# - "probe" (each document of the list in order, FTS5 seeking its files) above.
# At 1,000,000 files: list below ~38,000 matching files, probe above ~200,000 (a word in 11 % of
# the files with a filter narrowing the list: probe 824 ms, walk 260 ms; with 10.7, probed above
# ~103,000, before the covering index). A walk checked `id IN` the matching files' documents until
# the seventh pass (01/12/2026): that set costs a covering-index lookup for each of the n files
# (the clerk's quoted phrase, 121,044 files: 150 → 73 ms for the walk's statement).
SQLITE_LIST = 1.45
SQLITE_PROBE = 40


def _sqlite_plan_for(matching: int, files: int) -> str:
    """The file side's plan on SQLite for `matching` files of `files` (see SQLITE_LIST)."""
    bound = (FACET_SAMPLE + 1) * max(files, 1)
    if matching * matching <= SQLITE_LIST * bound:
        return "list"
    return "walk" if matching * matching <= SQLITE_PROBE * bound else "probe"


# The share of matching files is counted among the newest SQLITE_PLAN_SAMPLE files (FTS5 seeks the
# rowid range in each doclist) and scaled to all: at 1,000,000 files, counting a word in most files
# up to the probe's bound cost 40–46 ms, the sample 2 ms; "de dieu" 115,165 files, estimated 115,320.
# Only the plan follows it, never the answer.
SQLITE_PLAN_SAMPLE = 50_000


def _sqlite_plan(db: str, match: str, table: str = FILE_FTS_TABLE) -> str:
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT max(id) FROM search_filetext")
        files = cursor.fetchone()[0] or 0
        span = min(files, SQLITE_PLAN_SAMPLE)
        if not span:
            return "list"
        bound = int((SQLITE_PROBE * (FACET_SAMPLE + 1) * files) ** 0.5) + 1  # above it: "probe"
        cursor.execute(f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH %s AND rowid > %s "
                       "LIMIT %s)", [match, files - span, bound * span // files + 1])
        return _sqlite_plan_for(round(cursor.fetchone()[0] * files / span), files)


# SQLite: does document {t} have a done file whose text matches (FTS5 seeking its files' rowids)?
_SQLITE_FILE_PROBE = (f"EXISTS (SELECT 1 FROM search_filetext ft JOIN {FILE_FTS_TABLE} f ON f.rowid = ft.id "
                      f'WHERE ft.document_id = {{t}}."id" AND ft.state = %s AND {FILE_FTS_TABLE} MATCH %s)')


def _sqlite_walk(sets: list[tuple[str, str]]) -> tuple[str, list]:
    """The walk's check (a template on {t}, and its parameters before the state's): document {t} has
    a done file whose rowid is in each (FTS5 table, MATCH) set. The sets are not correlated: SQLite
    lists each once per statement. `+ft.id` keeps each an IN check on the document's own files
    (search_ft_document), never a lookup of every rowid of a set for each document walked."""
    checks = "".join(f" AND +ft.id IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)" for table, _match in sets)
    return ('EXISTS (SELECT 1 FROM search_filetext ft WHERE ft.document_id = {t}."id" AND ft.state = %s'
            + checks + ")", [match for _table, match in sets])


def _sqlite_listed(sets: list[tuple[str, str]]) -> tuple[str, list]:
    """The list's set (SQL, and its parameters before the state's): the documents of the done files
    whose rowid is in each (FTS5 table, MATCH) set."""
    where = " AND ".join(f"ft.id IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)" for table, _match in sets)
    return (f"SELECT ft.document_id FROM search_filetext ft WHERE {where} AND ft.state = %s",
            [match for _table, match in sets])


def _sqlite_has_pairs(db: str) -> bool:
    """Search migration 0009 is in (the pairs' FTS5 table): one lookup of sqlite_master."""
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FILE_PAIRS_FTS_TABLE])
        return cursor.fetchone() is not None


def _sqlite_pairs_condition(table: str, parsed: Parsed, db: str, match: str) -> Q:
    """SQLite, a quoted phrase of two words or more: the files holding every pair of adjacent words
    (search migration 0009) and every other word; a phrase of three words or more is then checked
    with positions (FTS5's own phrase query on that rowid) on the documents the list walks in the
    set, never on the whole set. The plan (list, walk, probe) follows the files holding the pairs."""
    done = FileText.State.DONE
    terms, pairs = phrase_terms(parsed)
    pairs_match = " ".join(f'"{pair_token(*p.split(" "))}"' for p in pairs)
    plan = _sqlite_plan(db, pairs_match, FILE_PAIRS_FTS_TABLE)
    if plan == "probe":
        return _probe(_SQLITE_FILE_PROBE, [done, match], f'"{table}"')
    sets = [(FILE_PAIRS_FTS_TABLE, pairs_match)]
    if terms:
        sets.append((FILE_FTS_TABLE, " ".join(f'"{w}"' for w in terms)))
    positions = any(len(p) > 2 for p in parsed.phrases)
    if plan == "walk":
        # Each document the list walks: its files against the sets' rowids; then, for three words or
        # more, the positions, only for a document whose files hold the pairs (CASE keeps that order).
        walk, params = _sqlite_walk(sets)
        if not positions:
            return _probe(walk, [done, *params], f'"{table}"')
        return _probe("CASE WHEN " + walk + " THEN " + _SQLITE_FILE_PROBE + " ELSE 0 END",
                      [done, *params, done, match], f'"{table}"')
    listed, params = _sqlite_listed(sets)
    if not positions:
        return Q(RawSQL(f'"{table}"."id" IN ({listed})', [*params, done], output_field=BooleanField()))
    # Few documents hold the pairs: drive from them, each checked with positions.
    return Q(RawSQL(f'"{table}"."id" IN ({listed}) AND ' + _SQLITE_FILE_PROBE.format(t=f'"{table}"'),
                    [*params, done, done, match], output_field=BooleanField()))


# PostgreSQL: when to probe each document of the list rather than list the matching files.
# Listing costs about one heap row per file that matches within the person's agencies (~10 µs);
# probing costs one index lookup and one stored vector per document walked (~60 µs, the vector is
# TOASTed), and the walk stops after FACET_SAMPLE + 1 found, so it walks (FACET_SAMPLE + 1) / f
# documents for a word in a share f of the files. Listing is dearer when
# files × f × 10 > (FACET_SAMPLE + 1) / f × 60, i.e. files × f² > 6 × (FACET_SAMPLE + 1).
PG_PROBE_COST = 6
_PG_STATS: dict[str, tuple[float, dict | None]] = {}
PG_STATS_SECONDS = 300


def _pg_stats(db: str) -> dict | None:
    """ANALYZE's statistics of search_filetext: each common word's share of the files, each common
    agency's share, the row count; None before the first ANALYZE. Cached a few minutes per process."""
    import time

    cached = _PG_STATS.get(db)
    if cached and time.monotonic() - cached[0] < PG_STATS_SECONDS:
        return cached[1]
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs, "
                       "a.most_common_vals::text::text[], a.most_common_freqs, a.n_distinct, a.null_frac, "
                       "p.most_common_elems::text::text[], p.most_common_elem_freqs "
                       "FROM pg_class c JOIN pg_stats s ON s.tablename = c.relname AND s.attname = 'text_tsv' "
                       "LEFT JOIN pg_stats a ON a.tablename = c.relname AND a.attname = 'agency_id' "
                       "AND a.schemaname = s.schemaname "
                       "LEFT JOIN pg_stats p ON p.tablename = c.relname AND p.attname = 'pairs_tsv' "
                       "AND p.schemaname = s.schemaname "
                       "WHERE c.relname = 'search_filetext' AND s.schemaname = current_schema()")
        row = cursor.fetchone()
    stats = None
    if row and row[0] and row[0] > 0 and row[1]:
        rows, elems, elem_freqs, agencies, agency_freqs, n_distinct, null_frac, pairs, pair_freqs = row
        n_distinct = n_distinct or 0
        distinct = -n_distinct * rows if n_distinct < 0 else n_distinct
        common = dict(zip((int(a) for a in agencies or []), agency_freqs or [], strict=False))
        rest = max(0.0, 1 - sum(common.values()) - (null_frac or 0))
        stats = {"rows": rows, "words": dict(zip(elems, elem_freqs, strict=False)),
                 # The word share below the least common listed (the last entries are min, max, nulls).
                 "rare": (elem_freqs[len(elems)] if len(elem_freqs) > len(elems) else min(elem_freqs)) / 2,
                 # The pairs' shares (search migration 0007); a pair not listed: the rare word's share.
                 "pairs": dict(zip(pairs or [], pair_freqs or [], strict=False)),
                 "agencies": common, "other_agency": rest / max(1.0, distinct - len(common)) if agencies else 1.0}
    _PG_STATS[db] = (time.monotonic(), stats)
    return stats


def _pg_probe(db: str, parsed: Parsed, agencies) -> bool:
    """The words are common enough within the agencies' files that probing the list costs less."""
    stats = _pg_stats(db)
    if stats is None:
        return False
    terms, pairs = phrase_terms(parsed)
    share = min([stats["words"].get(w, stats["rare"]) for w in terms]
                + [stats.get("pairs", {}).get(p, stats["rare"]) for p in pairs])
    files = stats["rows"]
    if agencies:
        files *= min(1.0, sum(stats["agencies"].get(a, stats["other_agency"]) for a in agencies))
    return files * share * share > PG_PROBE_COST * (FACET_SAMPLE + 1)


# PostgreSQL, the issuer's and signer's names (records.search): listing every document of the
# province whose names match (pg_trgm, ~3 µs a row) costs more than checking each row the list walks
# (~1.3 µs, stopping after FACET_SAMPLE + 1 found) when rows × f² > ~0.45 × (FACET_SAMPLE + 1), f
# the share of documents whose names match (from ANALYZE's most common values of people_folded).
PG_NAMES_INLINE = 0.45
_PG_NAME_STATS: dict[str, tuple[float, tuple | None]] = {}


def _pg_inline_names(db: str, q: str | None) -> bool:
    import time

    from vpdt.records.search import names_patterns

    patterns = names_patterns(q)
    if not patterns:
        return False
    cached = _PG_NAME_STATS.get(db)
    if not cached or time.monotonic() - cached[0] >= PG_STATS_SECONDS:
        with connections[db].cursor() as cursor:
            cursor.execute("SELECT c.reltuples, s.most_common_vals::text::text[], s.most_common_freqs FROM pg_class c "
                           "JOIN pg_stats s ON s.tablename = c.relname AND s.attname = 'people_folded' "
                           "WHERE c.relname = 'records_document' AND s.schemaname = current_schema()")
            row = cursor.fetchone()
        cached = (time.monotonic(), row if row and row[0] and row[0] > 0 and row[1] else None)
        _PG_NAME_STATS[db] = cached
    if cached[1] is None:
        return False
    rows, values, freqs = cached[1]
    share = sum(f for v, f in zip(values, freqs, strict=False) if all(p in v for p in patterns))
    return rows * share * share > PG_NAMES_INLINE * (FACET_SAMPLE + 1)


def _probe(template: str, params: list, table: str) -> Q:
    """The per-document probe as a condition on `table`'s rows; it keeps its SQL (`probe`: template
    with {t} for the table, params, the columns it reads) so that _newest can apply it to the list
    already in order."""
    condition = Q(RawSQL(template.format(t=table), params, output_field=BooleanField()))
    condition.probe = (template, params, ("id",))
    return condition


def phrase_terms(parsed: Parsed) -> tuple[list[str], list[str]]:
    """(words, adjacent word pairs) that a file must hold for `parsed`: its words and one-word
    phrases, and each longer phrase's pairs ("giai phong mat bang": "giai phong", "phong mat",
    "mat bang"), as PostgreSQL's pairs vector holds them (search migration 0007)."""
    terms = list(parsed.terms) + [p[0] for p in parsed.phrases if len(p) == 1]
    pairs = [f"{a} {b}" for p in parsed.phrases if len(p) > 1 for a, b in zip(p, p[1:], strict=False)]
    return list(dict.fromkeys(terms)), list(dict.fromkeys(pairs))


def file_text_condition(qs: QuerySet, parsed: Parsed, agencies=None) -> Q:
    """Documents with a file whose text has every word and every phrase. `agencies`: the person's
    agencies (every document they may see is in one of them), which on PostgreSQL bounds the files
    read to theirs."""
    if parsed.empty:
        return Q(pk__in=[])
    table = qs.model._meta.db_table
    vendor = connections[qs.db].vendor
    done = FileText.State.DONE
    if apps.is_installed("vpdt.search") and vendor == "sqlite":
        match = " ".join([f'"{w}"' for w in parsed.terms] + ['"' + " ".join(p) + '"' for p in parsed.phrases])
        if any(len(p) > 1 for p in parsed.phrases) and _sqlite_has_pairs(qs.db):
            return _sqlite_pairs_condition(table, parsed, qs.db, match)
        plan = _sqlite_plan(qs.db, match)
        if plan == "probe":
            # Every word is in many files: probe each document of the list in order (an index
            # lookup of its files, then FTS5 seeking that rowid in the doclists), which stops at
            # the page, rather than first listing the hundreds of thousands of files that match.
            return _probe(_SQLITE_FILE_PROBE, [done, match], f'"{table}"')
        if plan == "walk":
            # The list in order, each document's files checked against the matching files' rowids.
            walk, params = _sqlite_walk([(FILE_FTS_TABLE, match)])
            return _probe(walk, [done, *params], f'"{table}"')
        listed, params = _sqlite_listed([(FILE_FTS_TABLE, match)])
        return Q(RawSQL(f'"{table}"."id" IN ({listed})', [*params, done], output_field=BooleanField()))
    if apps.is_installed("vpdt.search") and vendor == "postgresql":
        tsquery = " & ".join(list(parsed.terms) + ["(" + " <-> ".join(p) + ")" for p in parsed.phrases])
        if _pg_probe(qs.db, parsed, agencies):
            # Every word is in many files: probe each document of the list in order, which stops
            # at FACET_SAMPLE + 1 found. OFFSET 0 keeps the EXISTS a per-row probe (PostgreSQL
            # would otherwise hash every matching file of the province first).
            return _probe('EXISTS (SELECT 1 FROM search_filetext ft WHERE ft.document_id = {t}."id" AND ft.state = %s '
                          "AND ft.text_tsv @@ to_tsquery('simple'::regconfig, %s) OFFSET 0)",
                          [done, tsquery], f'"{table}"')
        # Only the files of the person's agencies (search migration 0006: the column, and the GIN
        # index leading with it): a common phrase then hashes its matches in these agencies only.
        # A phrase is the AND of its adjacent word pairs (search migration 0007), which the pairs'
        # GIN index answers without re-reading any file's vector; a phrase of three words or more
        # is then checked with its positions on the documents the list walks (it stops at the
        # page and the facets' sample), so "a b" and "b c" apart never make "a b c".
        agencies = sorted(agencies or [])
        scope = ("(" + " OR ".join(["ft.agency_id = %s"] * len(agencies)) + ") AND ") if agencies else ""
        terms, pairs = phrase_terms(parsed)
        where, params = [], []
        if terms:
            where.append("ft.text_tsv @@ to_tsquery('simple'::regconfig, %s)")
            params.append(" & ".join(terms))
        if pairs:
            where.append("ft.pairs_tsv @@ %s::tsquery")
            params.append(" & ".join(f"'{p}'" for p in pairs))  # [0-9a-z ] only: safe inside quotes
        listed = (f"SELECT ft.document_id FROM search_filetext ft WHERE {scope}{' AND '.join(where)} "
                  "AND ft.state = %s")
        if any(len(p) > 2 for p in parsed.phrases):
            # The set of the pairs' documents, then the positions checked on each document of the
            # list in order that is in it (a probe: stops at the sample), never on all the set
            # (planned as a join, every candidate's vector was re-read: 470 ms at 1,000,000).
            # CASE keeps that order: as an AND, PostgreSQL probed every document walked first.
            return _probe('CASE WHEN {t}."id" IN (' + listed + ") THEN EXISTS (SELECT 1 FROM search_filetext ft "
                          'WHERE ft.document_id = {t}."id" AND ft.state = %s '
                          "AND ft.text_tsv @@ to_tsquery('simple'::regconfig, %s) OFFSET 0) ELSE false END",
                          [*agencies, *params, done, done, tsquery], f'"{table}"')
        return Q(RawSQL(f'"{table}"."id" IN ({listed})', [*agencies, *params, done], output_field=BooleanField()))
    condition = Q(state=done)
    for term in parsed.terms:
        condition &= Q(text_folded__contains=term)
    for phrase in parsed.phrases:
        condition &= Q(text_folded__contains=" ".join(phrase))
    return Q(pk__in=FileText.objects.filter(condition).values("document_id"))


def document_text_condition(qs: QuerySet, parsed: Parsed) -> Q:
    """Documents whose summary, note, recipients or opinions (search.DocumentText, keyed by the
    document's id: no join) have every word and every phrase."""
    if parsed.empty:
        return Q(pk__in=[])
    table = qs.model._meta.db_table
    vendor = connections[qs.db].vendor
    if apps.is_installed("vpdt.search") and vendor == "sqlite":
        match = " ".join([f'"{w}"' for w in parsed.terms] + ['"' + " ".join(p) + '"' for p in parsed.phrases])
        return Q(RawSQL(f'+"{table}"."id" IN (SELECT rowid FROM {DOC_FTS_TABLE} WHERE {DOC_FTS_TABLE} MATCH %s)',
                        [match], output_field=BooleanField()))
    if apps.is_installed("vpdt.search") and vendor == "postgresql":
        tsquery = " & ".join(list(parsed.terms) + ["(" + " <-> ".join(p) + ")" for p in parsed.phrases])
        return Q(RawSQL(f'"{table}"."id" IN (SELECT dt.document_id FROM search_documenttext dt WHERE '
                        f"dt.text_tsv @@ to_tsquery('simple'::regconfig, %s))", [tsquery],
                        output_field=BooleanField()))
    condition = Q()
    for term in parsed.terms:
        condition &= Q(text_folded__contains=term)
    for phrase in parsed.phrases:
        condition &= Q(text_folded__contains=" ".join(phrase))
    return Q(pk__in=DocumentText.objects.filter(condition).values("document_id"))


def text_sides(qs: QuerySet, q: str | None, agencies=None) -> tuple[Q | None, list[Q], Parsed]:
    """(metadata condition, [file text condition, document text condition], parsed query); the
    metadata None when it cannot match, the list empty when nothing can. `agencies`: the agencies
    every document of `qs` belongs to (the person's), or None."""
    parsed = parse(q)
    # SQLite: the names are listed from the person's agencies' entries of an index leading with
    # the agency (records 0014), which costs less than checking them on each row the list walks
    # (a table row each: the whole agency when nothing matches). Without the agencies, checked on
    # each row (a scan of the whole province's names index costs more).
    vendor = connections[qs.db].vendor
    inline = (vendor == "sqlite" and not agencies) or (vendor == "postgresql" and _pg_inline_names(qs.db, q))
    meta = quick_condition(qs, q, inline_names=inline, agencies=agencies)
    if meta is None or parsed.empty:
        return (meta if meta not in (None, False) else None), [], parsed
    return (meta if meta is not False else None), [file_text_condition(qs, parsed, agencies),
                                                   document_text_condition(qs, parsed)], parsed


def conditions(qs: QuerySet, q: str | None, agencies=None) -> tuple[Q | None, Q | None, Parsed]:
    """(metadata condition, text condition (files, summary, note, recipients, opinions), parsed
    query): None for a side that cannot match."""
    meta, sides, parsed = text_sides(qs, q, agencies)
    files = None
    for side in sides:
        files = side if files is None else files | side
    return meta, files, parsed


ORDER = ("-created_at", "-id")


def page_of(qs: QuerySet, meta: Q | None, files: Q | None, offset: int, size: int) -> list:
    """One page in rank order: the documents whose metadata match (newest first), then those found
    only by their files' text (newest first). Two index walks in list order, each stopping at the
    page (never a sort of every match); a document is marked `meta_hit`."""
    rows: list = []
    meta_total = 0
    if meta is not None:
        rows = list(qs.filter(meta).order_by(*ORDER)[offset:offset + size])
        for row in rows:
            row.meta_hit = True
        if len(rows) == size or files is None:
            return rows
        meta_total = offset + len(rows) if rows or not offset else qs.filter(meta).count()
    if files is None:
        return rows
    skip = max(0, offset - meta_total)
    only_files = qs.filter(files)
    if meta is not None:
        only_files = only_files.exclude(meta)
    more = list(only_files.order_by(*ORDER)[skip:skip + size - len(rows)])
    for row in more:
        row.meta_hit = False
    return rows + more


# --- filters and facets -----------------------------------------------------------------------

FILTERS = ("year", "type", "issuer", "state", "register", "urgency")


def apply_filters(qs: QuerySet, params) -> QuerySet:
    def number(name):
        value = (params.get(name) or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None

    if number("year"):
        qs = qs.filter(issued_date__year=number("year"))
    if number("type"):
        qs = qs.filter(document_type_id=number("type"))
    if (params.get("issuer") or "").strip():
        qs = qs.filter(issuer_name=params["issuer"].strip())
    if (params.get("state") or "").strip():
        qs = qs.filter(state=params["state"].strip())
    if number("register"):
        qs = qs.filter(Q(register_id=number("register")) | Q(incoming_register_id=number("register")))
    if number("urgency") is not None:
        qs = qs.filter(urgency=number("urgency"))
    return qs


FACET_SAMPLE = 1000
FACET_COLUMNS = ("issued_date", "document_type_id", "issuer_name", "state", "register_id", "incoming_register_id",
                 "urgency")


def _count(rows) -> dict[str, list[tuple]]:
    """The facets' (value, label, count) lists, largest first, from rows of FACET_COLUMNS."""
    from collections import Counter

    from vpdt.records.models import DocumentType, Register

    counts = {key: Counter() for key in FILTERS}
    for issued, type_id, issuer, state, register, incoming_register, urgency in rows:
        if issued:
            counts["year"][issued.year] += 1
        counts["type"][type_id] += 1
        if issuer:
            counts["issuer"][issuer] += 1
        counts["state"][state] += 1
        for reg in {register, incoming_register} - {None}:
            counts["register"][reg] += 1
        counts["urgency"][urgency] += 1
    types = DocumentType.objects.in_bulk(list(counts["type"]))
    registers = Register.objects.in_bulk(list(counts["register"]))
    label = {"type": lambda v: types[v].name if v in types else str(v),
             "register": lambda v: registers[v].name if v in registers else str(v)}
    out = {}
    for key, counter in counts.items():
        show = label.get(key, lambda v: v)
        out[key] = [(value, show(value), n) for value, n in counter.most_common(FACET_LIMIT)]
    return out


def facets(qs: QuerySet) -> tuple[dict[str, list[tuple]], bool]:
    """Counts per year, type, issuer, state, register, urgency over the found documents, as
    (value, label, count) largest first, at most FACET_LIMIT each; and whether they are counted
    over the newest FACET_SAMPLE found only (a search finding more: the page says so). One query,
    bounded, whatever the number of matches."""
    rows = list(qs.order_by(*ORDER).values_list(*FACET_COLUMNS)[:FACET_SAMPLE + 1])
    return _count(rows[:FACET_SAMPLE]), len(rows) > FACET_SAMPLE


def _newest(qs: QuerySet, condition: Q) -> list[tuple]:
    """(id, created_at, *FACET_COLUMNS) of the newest FACET_SAMPLE + 1 documents of `qs` meeting
    `condition`: one walk of the list index in list order, stopping there, each side on its own
    (never the OR of metadata and file text, which PostgreSQL evaluates as a hash of every match)."""
    probe = getattr(condition, "probe", None)
    if probe is None and len(condition.children) == 1 and not condition.negated:
        probe = getattr(condition.children[0], "probe", None)  # records.search's names on the row
    if probe is not None:
        # The probe applied to the list already in list order (OFFSET 0: neither backend merges
        # the two), stopping after FACET_SAMPLE + 1 found. Inside one query, a unit head's few
        # thousand reachable documents were each probed, then sorted (PostgreSQL 414 ms, SQLite
        # 215 ms for a word in every file); in order, ~1,000 probes (46 ms).
        # SQLite: the walk reads the facets' columns as it goes, converted to the ORM's types by the
        # queryset's own converters; fetching the found rows again by their ids cost one more
        # statement (~25 ms for 1,001 at 1,000,000 documents). PostgreSQL fetches them again: its
        # walk of the list may be an index-only scan, which those columns would end.
        template, probe_params, columns = probe
        sqlite = connections[qs.db].vendor == "sqlite"
        names = ("id", "created_at", *FACET_COLUMNS) if sqlite else ("id", "created_at")
        inner = qs.order_by(*ORDER).values_list(*dict.fromkeys((*names, *columns)))
        compiler = inner.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
        offset = "LIMIT -1 OFFSET 0" if sqlite else "OFFSET 0"
        with connections[qs.db].cursor() as cursor:
            cursor.execute(f"SELECT v.* FROM ({sql} {offset}) v WHERE {template.format(t='v')} LIMIT %s",
                           [*params, *probe_params, FACET_SAMPLE + 1])
            rows = [row[:len(names)] for row in cursor.fetchall()]
        if sqlite:
            converters = compiler.get_converters([col for col, _sql, _alias in compiler.select[:len(names)]])
            return [tuple(row) for row in compiler.apply_converters(rows, converters)] if converters else rows
        # The rows by their ids (the ORM's types: dates, times), still only what `qs` may show.
        return list(qs.filter(pk__in=[row[0] for row in rows]).order_by(*ORDER)
                    .values_list("id", "created_at", *FACET_COLUMNS))
    return list(qs.filter(condition).order_by(*ORDER).values_list("id", "created_at", *FACET_COLUMNS)
                [:FACET_SAMPLE + 1])


def _or_parts(condition: Q) -> list[Q]:
    """The branches of an OR (the quick search's subject words, names, ký hiệu, number), each to be
    walked on its own: PostgreSQL cannot combine an `id IN (list)` branch with an indexed one, so
    the OR of them walked the whole agency in list order when the words are in no subject."""
    if condition.connector != Q.OR or condition.negated or len(condition.children) < 2:
        return [condition]
    parts = []
    for child in condition.children:
        if isinstance(child, Q):
            parts.append(child)
        elif isinstance(child, tuple):
            parts.append(Q(**{child[0]: child[1]}))
        else:
            parts.append(Q(child))
    return parts


def _merge_newest(rows: list[tuple]) -> list[tuple]:
    """The newest FACET_SAMPLE + 1 of several walks' rows (id, created_at, ...), each id once."""
    unique = sorted({row[0]: row for row in rows}.values(), key=lambda r: (r[1], r[0]), reverse=True)
    return unique[:FACET_SAMPLE + 1]


def sampled_search(base: QuerySet, meta: Q | None, sides: list[Q], offset: int, size: int):
    """The facets and, when the samples cover it, the page, from two bounded queries: the newest
    FACET_SAMPLE + 1 documents found by their metadata and the newest found by their files' text.
    Their merge in list order is exactly the newest FACET_SAMPLE + 1 of the union (each side's
    newest contain the union's newest). Returns (page ids in rank order with their meta_hit, or
    None when the page lies beyond the samples), facets, sampled."""
    # Each branch of the metadata's OR, and each text side (files, the rest of the document's
    # words), on its own bounded walk; each walk's newest contain their union's newest.
    meta_rows = []
    if meta is not None:
        parts = _or_parts(meta) if connections[base.db].vendor == "postgresql" else [meta]
        meta_rows = _merge_newest([row for part in parts for row in _newest(base, part)])
    file_rows = _merge_newest([row for side in sides for row in _newest(base, side)])
    merged = {row[0]: row for row in meta_rows}
    merged.update((row[0], row) for row in file_rows if row[0] not in merged)
    union = sorted(merged.values(), key=lambda r: (r[1], r[0]), reverse=True)
    counted = _count([row[2:] for row in union[:FACET_SAMPLE]])
    sampled = len(union) > FACET_SAMPLE
    # The rank: every metadata match (newest first), then the file-only matches (newest first).
    meta_ids = [row[0] for row in meta_rows]
    meta_complete = len(meta_rows) <= FACET_SAMPLE
    files_complete = len(file_rows) <= FACET_SAMPLE
    seen = set(meta_ids)
    ranked = [(pk, True) for pk in meta_ids] + [(row[0], False) for row in file_rows if row[0] not in seen]
    if offset + size <= len(meta_ids) or (meta_complete and (files_complete or offset + size <= len(ranked))):
        return ranked[offset:offset + size], counted, sampled
    return None, counted, sampled


# --- snippets ---------------------------------------------------------------------------------

def _fold_table() -> dict[int, str]:
    """Each precomposed Latin letter to its folded base letter, one character for one (so a match in
    the folded text is at the same place in the original): Đ/đ to d, accents dropped, lower case."""
    table = {}
    for code in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)) + list(range(0x41, 0x5B)):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != ch:
            table[code] = base
    table.update({ord("Đ"): "d", ord("đ"): "d", ord("Ð"): "d"})
    return table


_FOLD_TABLE = _fold_table()


def _fold_same_length(text: str) -> str:
    return text.translate(_FOLD_TABLE)


def _pattern(parsed: Parsed, prefix_last: bool = True) -> re.Pattern | None:
    alternatives = [r"[^0-9a-z]+".join(map(re.escape, p)) for p in parsed.phrases]
    for i, term in enumerate(parsed.terms):
        last = prefix_last and i == len(parsed.terms) - 1
        alternatives.append(re.escape(term) + ("" if last else r"(?![0-9a-z])"))
    if not alternatives:
        return None
    return re.compile(r"(?<![0-9a-z])(?:" + "|".join(alternatives) + ")")


@dataclass
class Snippet:
    source: str  # "subject" | "file"
    parts: list[tuple[str, bool]] = field(default_factory=list)  # (text, highlighted)
    name: str = ""


def snippet(text: str, parsed: Parsed, width: int = SNIPPET_CHARS) -> list[tuple[str, bool]] | None:
    """A window of `text` around its first match, as (piece, highlighted) parts; None without a match."""
    pattern = _pattern(parsed)
    if pattern is None or not text:
        return None
    folded = _fold_same_length(text)
    hits = [(m.start(), m.end()) for m in pattern.finditer(folded)]
    if not hits:
        return None
    first = hits[0][0]
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    if start > 0:  # start at a word
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    parts: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    cursor = start
    for a, b in hits:
        if a < cursor or a >= end:
            continue
        parts += [(text[cursor:a], False), (text[a:b], True)]
        cursor = b
    parts.append((text[cursor:end], False))
    if end < len(text):
        parts.append(("…", False))
    return [(p, h) for p, h in parts if p]


def snippets(documents: list, parsed: Parsed) -> dict[int, Snippet]:
    """The snippet of each document of the page (already visible to the person): from the subject
    when it matches, else from the first of its files whose text matches."""
    out: dict[int, Snippet] = {}
    if parsed.empty:
        return out
    need = []
    for document in documents:
        parts = snippet(document.subject, parsed)
        if parts:
            out[document.pk] = Snippet("subject", parts)
        else:
            need.append(document.pk)
    if need:
        # The summary, note, recipients and opinions (all readable by who sees the document).
        for document_id, texts in words_of(need, documents[0]._state.db or "default").items():
            for text in texts:
                parts = snippet(text, parsed)
                if parts:
                    out[document_id] = Snippet("notes", parts)
                    break
        need = [pk for pk in need if pk not in out]
    if need:
        rows = (FileText.objects.filter(document_id__in=need, state=FileText.State.DONE).exclude(text="")
                .annotate(head=Substr("text", 1, SNIPPET_SCAN)).order_by("document_id", "pk")
                .values_list("document_id", "head", "attachment__name", "version__name"))
        for document_id, head, attachment_name, version_name in rows:
            if document_id in out:
                continue
            parts = snippet(head, parsed)
            if parts:
                out[document_id] = Snippet("file", parts, attachment_name or version_name or "")
    return out


# --- the search page's one call ---------------------------------------------------------------

PAGE_SIZE = 20


@dataclass
class Results:
    rows: list
    has_next: bool
    facets: dict
    snippets: dict
    parsed: Parsed
    facets_sampled: bool = False


def search(user, q: str | None, params=None, *, page: int = 1, with_facets: bool = True) -> Results:
    """What `user` may see that `q` finds, filtered by `params` (year, type, issuer, state,
    register, urgency), one page of PAGE_SIZE in rank order, with the facets' counts and the
    snippets (read only for the documents of the page, all visible to `user`)."""
    from vpdt.records.permissions import visible_documents

    base = apply_filters(visible_documents(user), params or {})
    agencies = user.member_agency_ids() if user is not None and user.is_authenticated else set()
    meta, sides, parsed = text_sides(base, q, agencies)
    files = None
    for side in sides:
        files = side if files is None else files | side
    offset = (max(1, page) - 1) * PAGE_SIZE
    counted, sampled = {}, False
    if meta is None and files is None:
        found = base.none() if (q or "").strip() else base
        rows = list(found.order_by(*ORDER).select_related("document_type")[offset:offset + PAGE_SIZE + 1])
        if with_facets:
            counted, sampled = facets(found)
    else:
        ranked = None
        if with_facets:
            ranked, counted, sampled = sampled_search(base, meta, sides, offset, PAGE_SIZE + 1)
        if ranked is not None:
            by_id = base.select_related("document_type").in_bulk([pk for pk, _hit in ranked])
            rows = []
            for pk, hit in ranked:
                if pk in by_id:
                    by_id[pk].meta_hit = hit
                    rows.append(by_id[pk])
        else:
            rows = page_of(base.select_related("document_type"), meta, files, offset, PAGE_SIZE + 1)
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Results(rows=rows, has_next=has_next, facets=counted, snippets=snippets(rows, parsed), parsed=parsed,
                   facets_sampled=sampled)

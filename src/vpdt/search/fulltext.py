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
from django.db.models import BooleanField, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr

from vpdt.core.text import words
from vpdt.records.search import PHRASE_RE, quick_condition
from vpdt.search.models import FileText
from vpdt.search.schema import FILE_FTS_TABLE

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


def file_text_condition(qs: QuerySet, parsed: Parsed) -> Q:
    """Documents with a file whose text has every word and every phrase."""
    if parsed.empty:
        return Q(pk__in=[])
    table = qs.model._meta.db_table
    vendor = connections[qs.db].vendor
    done = FileText.State.DONE
    if apps.is_installed("vpdt.search") and vendor == "sqlite":
        match = " ".join([f'"{w}"' for w in parsed.terms] + ['"' + " ".join(p) + '"' for p in parsed.phrases])
        return Q(RawSQL(
            f'"{table}"."id" IN (SELECT ft.document_id FROM search_filetext ft WHERE ft.id IN '
            f"(SELECT rowid FROM {FILE_FTS_TABLE} WHERE {FILE_FTS_TABLE} MATCH %s) AND ft.state = %s)",
            [match, done], output_field=BooleanField()))
    if apps.is_installed("vpdt.search") and vendor == "postgresql":
        tsquery = " & ".join(list(parsed.terms) + ["(" + " <-> ".join(p) + ")" for p in parsed.phrases])
        return Q(RawSQL(
            f'"{table}"."id" IN (SELECT ft.document_id FROM search_filetext ft WHERE '
            f"to_tsvector('simple'::regconfig, ft.text_folded) @@ to_tsquery('simple'::regconfig, %s) "
            f"AND ft.state = %s)", [tsquery, done], output_field=BooleanField()))
    condition = Q(state=done)
    for term in parsed.terms:
        condition &= Q(text_folded__contains=term)
    for phrase in parsed.phrases:
        condition &= Q(text_folded__contains=" ".join(phrase))
    return Q(pk__in=FileText.objects.filter(condition).values("document_id"))


def apply(qs: QuerySet, q: str | None) -> tuple[QuerySet, Parsed]:
    """`qs` narrowed to the documents the search finds, annotated `meta_hit` (1 when the metadata
    matched) and ordered by it, then newest first."""
    parsed = parse(q)
    meta = quick_condition(qs, q)
    if meta is None:
        return qs.annotate(meta_hit=Value(0, output_field=IntegerField())).order_by("-created_at", "-id"), parsed
    files = file_text_condition(qs, parsed) if not parsed.empty else Q(pk__in=[])
    if meta is False:
        meta = Q(pk__in=[])
    qs = qs.filter(meta | files).annotate(
        meta_hit=Case(When(meta, then=Value(1)), default=Value(0), output_field=IntegerField()))
    return qs.order_by("-meta_hit", "-created_at", "-id"), parsed


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


def facets(qs: QuerySet) -> dict[str, list[tuple]]:
    """Counts per year, type, issuer, state, register, urgency over the found documents: (value, count),
    largest first, at most FACET_LIMIT each."""
    base = qs.order_by()

    def top(*fields, flt: Q | None = None):
        rows = base.filter(flt or Q()).values(*fields).annotate(n=Count("pk")).order_by("-n")[:FACET_LIMIT]
        return [(tuple(r[f] for f in fields) if len(fields) > 1 else r[fields[0]], r["n"]) for r in rows]

    registers = top("register_id", "register__name", flt=Q(register__isnull=False)) + top(
        "incoming_register_id", "incoming_register__name", flt=Q(incoming_register__isnull=False))
    return {
        "year": top("issued_date__year", flt=Q(issued_date__isnull=False)),
        "type": top("document_type_id", "document_type__name"),
        "issuer": top("issuer_name", flt=~Q(issuer_name="")),
        "state": top("state"),
        "register": sorted(registers, key=lambda r: -r[1])[:FACET_LIMIT],
        "urgency": top("urgency"),
    }


# --- snippets ---------------------------------------------------------------------------------

_DD = str.maketrans({"đ": "d", "Đ": "d"})


def _fold_map(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original one."""
    out, where = [], []
    for i, ch in enumerate(text):
        folded = "".join(c for c in unicodedata.normalize("NFD", ch.translate(_DD)) if not unicodedata.combining(c))
        for c in folded.lower():
            out.append(c)
            where.append(i)
    return "".join(out), where


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
    folded, where = _fold_map(text)
    hits = [(m.start(), m.end()) for m in pattern.finditer(folded)]
    if not hits:
        return None
    first = where[hits[0][0]]
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    if start > 0:  # start at a word
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    parts: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    cursor = start
    for a, b in hits:
        a, b = where[a], where[b - 1] + 1
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
    total: int | None = None


def search(user, q: str | None, params=None, *, page: int = 1, with_facets: bool = True) -> Results:
    """What `user` may see that `q` finds, filtered by `params` (year, type, issuer, state,
    register, urgency), one page of PAGE_SIZE, with the facets' counts and the snippets."""
    from vpdt.records.permissions import visible_documents

    params = params or {}
    qs, parsed = apply(visible_documents(user), q)
    found = apply_filters(qs, params)
    offset = (max(1, page) - 1) * PAGE_SIZE
    rows = list(found.select_related("document_type")[offset:offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Results(rows=rows, has_next=has_next, facets=facets(found) if with_facets else {},
                   snippets=snippets(rows, parsed), parsed=parsed)

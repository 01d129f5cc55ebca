"""The bulk path for historical documents (`vpdt import`, vpdt.migration): records' own writer of
documents that already existed in a legacy system, with the numbers they were issued.

Live numbering (numbering.py) never touches these: a legacy document goes into a **historical
register** of its agency, direction, legacy book and year (series `ls.<book>`, so it never
collides with a live series such as `chung`), created closed (`Register.closed`): numbering
into it is refused like any closed register (numbering.register_for), editing its documents too
(registers.refuse_if_closed). The legacy number and notation are kept as issued.

What this keeps, as the live services do:
- a number once per register (the database constraint; a legacy duplicate is returned as a
  rejection, never written, never renumbered);
- the folded search columns (Document.save is bypassed: the rows are written as values,
  `document_values`, so they are set here, exactly as save() sets them: tests/migration/test_rows.py);
- the document belongs to the importing agency (isolation: `agency`), secret ones stay secret
  (no access rows are made: only the clerk's own grants see them later);
- the audit log: one entry per batch (`document.import_batch`, by the import's system actor),
  naming the documents it created, so a batch of 1,000 costs one chained hash, not 1,000.

`import_batch` runs in the caller's transaction (or its own), all or nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, Max, PositiveIntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from vpdt.core import audit
from vpdt.core.models import Blob
from vpdt.core.text import fold
from vpdt.directory.models import Agency
from vpdt.records.choices import Direction, Secrecy, Source, State, Urgency
from vpdt.records.models import Attachment, Document, DocumentType, Register, folded_search_fields

HISTORICAL_PREFIX = "ls."
IMPORT_ACTION = "document.import_batch"


@dataclass
class HistoricalFile:
    blob: Blob
    name: str
    content_type: str
    file_kind: str
    flag: str = ""


@dataclass
class HistoricalDocument:
    """One legacy document as the importer normalised it (NFC text, dates, the register's key)."""

    key: str  # the legacy id, for the audit entry and rejections
    direction: str
    book: str
    year: int
    document_type: DocumentType
    subject: str
    number: int | None = None
    notation: str = ""
    issued_date: dt.date | None = None
    incoming_number: int | None = None
    received_at: dt.datetime | None = None
    state: str = ""
    urgency: int = Urgency.NORMAL
    secrecy: int = Secrecy.NONE
    signer_name: str = ""
    signer_position: str = ""
    issuer_code: str = ""
    issuer_name: str = ""
    recipients_text: str = ""
    due_date: dt.date | None = None
    note: str = ""
    content: str = ""
    place: str = ""
    page_count: int | None = None
    copies: int | None = None
    edxml_document_id: str = ""
    completed_at: dt.datetime | None = None
    files: list[HistoricalFile] = field(default_factory=list)


def historical_series(book: str) -> str:
    return (HISTORICAL_PREFIX + (book or "chung"))[:30]


def is_historical(register: Register) -> bool:
    return register.series.startswith(HISTORICAL_PREFIX)


def historical_register(agency: Agency, direction: str, book: str, year: int) -> Register:
    """The closed historical register of (agency, direction, legacy book, year), made on first use."""
    series = historical_series(book)
    kind = "Sổ văn bản đi" if direction == Direction.OUTGOING else "Sổ văn bản đến"
    name = f"{kind} (dữ liệu cũ: {book or 'chung'})"[:200]
    try:
        with transaction.atomic():
            register, _ = Register.objects.get_or_create(
                agency=agency, direction=direction, series=series, year=year,
                defaults={"name": name, "closed": True})
    except IntegrityError:
        register = Register.objects.get(agency=agency, direction=direction, series=series, year=year)
    return register


def _number_field(direction: str) -> tuple[str, str]:
    """(register field, number field) of the register's own number for a direction."""
    if direction == Direction.OUTGOING:
        return "register", "number"
    return "incoming_register", "incoming_number"


def _default_state(direction: str) -> str:
    return State.RELEASED if direction == Direction.OUTGOING else State.COMPLETED


def _registers(agency: Agency, keys: set[tuple[str, str, int]], cache: dict) -> dict[tuple[str, str, int], int]:
    """Register ids of (direction, book, year) keys: from `cache`, else one query, else made."""
    missing = {k for k in keys if k not in cache}
    if missing:
        found = Register.objects.filter(
            agency=agency, direction__in={k[0] for k in missing}, year__in={k[2] for k in missing},
            series__in={historical_series(k[1]) for k in missing}).values_list("pk", "direction", "series", "year")
        by_series = {(d, se, y): pk for pk, d, se, y in found}
        for k in missing:
            pk = by_series.get((k[0], historical_series(k[1]), k[2]))
            cache[k] = pk if pk is not None else historical_register(agency, *k).pk
    return {k: cache[k] for k in keys}


class Imported:
    """A document `import_batch` wrote: its id and the attachments made for it (no model instance:
    building 40 fields' worth of Django model per legacy row was most of an import's time)."""

    __slots__ = ("pk", "attachments")

    def __init__(self, pk: int, attachments: list | None = None):
        self.pk, self.attachments = pk, attachments if attachments is not None else []

    @property
    def id(self) -> int:
        return self.pk


def import_batch(actor, agency: Agency, rows: list[HistoricalDocument], *, detail: dict | None = None,
                 cache: dict | None = None
                 ) -> tuple[list[tuple[HistoricalDocument, Imported]], list[tuple[HistoricalDocument, str, str]]]:
    """Write `rows` as historical documents of `agency`, all in one transaction.

    Returns (created: [(row, Imported(pk, attachments))], rejected: [(row, code, Vietnamese reason)]): a
    row whose number is already taken in its historical register (by an earlier row or in this batch)
    is rejected, never renumbered. One audit entry names the batch. `actor` is the import's
    system actor (records.actors.system_actor(agency, IMPORT)) or a person running it. `cache`
    (a dict the caller keeps between batches) saves looking the registers up again and folding the
    values the rows repeat.

    A constant number of queries per batch, whatever the number of registers it touches: the
    registers are locked together, the numbers they already hold read in one query each way.
    The documents' columns are built as values (`document_values`), the columns a `Document(...)`
    would have had, and written by `insert_values` (COPY on PostgreSQL).
    """
    rejected: list[tuple[HistoricalDocument, str, str]] = []
    cache = {} if cache is None else cache
    with transaction.atomic():
        ids = _registers(agency, {(r.direction, r.book, r.year) for r in rows}, cache)
        registers = {r.pk: r for r in Register.objects.select_for_update().filter(pk__in=set(ids.values()))}
        for register in registers.values():
            if not is_historical(register) or register.agency_id != agency.pk:
                raise ValueError(f"register {register.pk} is not a historical register of {agency.code}")
        wanted: dict[str, set[int]] = {Direction.OUTGOING: set(), Direction.INCOMING: set()}
        for row in rows:
            n = row.number if row.direction == Direction.OUTGOING else row.incoming_number
            if n is not None:
                wanted[row.direction].add(n)
        taken: set[tuple[int, int]] = set()
        for direction, numbers in wanted.items():
            if not numbers:
                continue
            reg_field, num_field = _number_field(direction)
            regs = [pk for (d, _b, _y), pk in ids.items() if d == direction]
            taken |= set(select_in(Document, [f"{reg_field}_id", num_field],
                                   {f"{reg_field}_id": regs, num_field: numbers}))
        accepted: list[tuple[HistoricalDocument, dict]] = []
        top: dict[int, int] = {}
        folds = cache.setdefault("_folds", _Folds())
        agency_id = agency.pk
        for row in rows:
            register_id = ids[(row.direction, row.book, row.year)]
            n = row.number if row.direction == Direction.OUTGOING else row.incoming_number
            if n is not None:
                if (register_id, n) in taken:
                    register = registers[register_id]
                    message = (_("Trùng số %(number)s trong %(register)s năm %(year)s: không đánh lại số văn bản cũ.")
                               if row.direction == Direction.OUTGOING else
                               _("Trùng số đến %(number)s trong %(register)s năm %(year)s: "
                                 "không đánh lại số văn bản cũ."))
                    rejected.append((row, "IMPORT_NUMBER_TAKEN", message % {
                        "number": f"{n:02d}", "register": register.name, "year": register.year}))
                    continue
                taken.add((register_id, n))
                if n > top.get(register_id, 0):
                    top[register_id] = n
            accepted.append((row, document_values(agency_id, register_id, row, folds)))
        raised = [(pk, n) for pk, n in top.items() if n > registers[pk].last_number]
        if raised:
            Register.objects.filter(pk__in=[pk for pk, _n in raised]).update(last_number=Case(
                *[When(pk=pk, then=Value(n)) for pk, n in raised], output_field=PositiveIntegerField()))
        pks = insert_values(Document, [values for _r, values in accepted])
        documents = [(row, Imported(pk)) for (row, _v), pk in zip(accepted, pks, strict=True)]
        # Their summary, note and recipients are searched like any other document's (issue 15).
        from vpdt.search.services import index_new_texts

        index_new_texts((d.pk, row.content, row.note, row.recipients_text) for row, d in documents)
        attachments = []
        for row, d in documents:
            for i, f in enumerate(row.files):
                attachment = Attachment(document_id=d.pk, blob=f.blob, name=f.name[:255], content_type=f.content_type,
                                        kind=Attachment.Kind.MAIN if i == 0 else Attachment.Kind.APPENDIX,
                                        file_kind=f.file_kind, flag=f.flag)
                d.attachments.append(attachment)
                attachments.append(attachment)
        if attachments:
            Attachment.objects.bulk_create(attachments, batch_size=1000)
        if documents:
            audit.record(IMPORT_ACTION, None, user=actor, agency_code=agency.code, detail={
                **(detail or {}), "documents": len(documents), "first_id": min(pks), "last_id": max(pks),
                "first_key": documents[0][0].key, "last_key": documents[-1][0].key,
                "attachments": len(attachments), "rejected": len(rejected)})
    return documents, rejected


class _Folds:
    """The folded forms of values a legacy export repeats on row after row (ký hiệu such as
    `UBND-VP`, issuer and signer pairs), remembered for the import (at most LIMIT of each, then
    forgotten and made again: an export of unique values cannot grow them without bound)."""

    LIMIT = 50_000

    def __init__(self):
        self.notation: dict[str, str] = {}
        self.people: dict[tuple[str, str], str] = {}

    def fields(self, notation: str, issuer_name: str, signer_name: str) -> tuple[str, str]:
        """What records.models.folded_search_fields gives."""
        folded_notation = self.notation.get(notation)
        if folded_notation is None:
            if len(self.notation) >= self.LIMIT:
                self.notation.clear()
            folded_notation = self.notation[notation] = folded_search_fields(notation, "", "")[0]
        key = (issuer_name, signer_name)
        people = self.people.get(key)
        if people is None:
            if len(self.people) >= self.LIMIT:
                self.people.clear()
            people = self.people[key] = folded_search_fields("", issuer_name, signer_name)[1]
        return folded_notation, people


def document_values(agency_id: int, register_id: int, row: HistoricalDocument, folds: _Folds | None = None) -> dict:
    """The columns of the Document a legacy row becomes, by attname (the fields not named here
    take their model default in `insert_values`): what `Document(...)` and its save() would set."""
    outgoing = row.direction == Direction.OUTGOING
    notation, issuer_name, signer_name = row.notation[:60], row.issuer_name[:255], row.signer_name[:150]
    notation_folded, people_folded = (folds or _Folds()).fields(notation, issuer_name, signer_name)
    return {
        "agency_id": agency_id, "direction": _plain(row.direction),
        "state": _plain(row.state or _default_state(row.direction)),
        "source": _SOURCE_OUT if outgoing else _SOURCE_IN, "document_type_id": row.document_type.pk,
        "register_id": register_id if outgoing else None, "number": row.number, "notation": notation,
        "issued_date": row.issued_date, "place": row.place[:100], "subject": row.subject,
        "subject_folded": fold(row.subject), "content": row.content,
        "signer_name": signer_name, "signer_position": row.signer_position[:150],
        "urgency": _plain(row.urgency), "secrecy": _plain(row.secrecy), "page_count": row.page_count,
        "copies": row.copies, "recipients_text": row.recipients_text, "due_date": row.due_date, "note": row.note,
        "issuer_code": row.issuer_code[:40], "issuer_name": issuer_name,
        "notation_folded": notation_folded, "people_folded": people_folded,
        "incoming_register_id": None if outgoing else register_id,
        "incoming_number": None if outgoing else row.incoming_number,
        "received_at": row.received_at, "edxml_document_id": row.edxml_document_id[:255],
        "completed_at": row.completed_at,
    }


_SOURCE_OUT, _SOURCE_IN = Source.INTERNAL.value, Source.PAPER.value
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.DateField,
                 models.ForeignKey)  # DateTimeField is a DateField; the integer fields are IntegerFields


class _Table:
    """What `insert_values` needs of a model, worked out once: its columns, their defaults."""

    def __init__(self, model):
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if f is not meta.pk]
        odd = [f.name for f in self.fields if not isinstance(f, _PLAIN_FIELDS)]
        if odd:
            raise TypeError(f"records.bulk.insert_values cannot write {meta.label} fields {odd}")
        self.stamped = [f.attname for f in self.fields
                        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        # A default that is a callable is called for each row, as Model(...) would.
        self.called = [f for f in self.fields if f.has_default() and callable(f.default)]
        self.defaults = {f.attname: _plain(f.get_default()) for f in self.fields if f not in self.called}
        self.attnames = [f.attname for f in self.fields]
        self.known = set(self.attnames)
        self.pairs = [(a, self.defaults.get(a)) for a in self.attnames]
        self.stamped_at = [i for i, a in enumerate(self.attnames) if a in self.stamped]
        self.called_at = [(i, f) for i, f in enumerate(self.fields) if f in self.called]
        self.pk = meta.pk
        self.table = meta.db_table


_TABLES: dict = {}


def insert_values(model, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts of column values by attname) into `model`'s table; returns their ids.

    The fields a row does not name take their default, the auto_now/auto_now_add ones the time of
    the call, as `Model(...)` and save() would. Values are Python values (str, int, bool, date,
    aware datetime, None, foreign keys as `<name>_id`); the tables written here have no field whose
    database form differs from that (a JSON or binary field makes this refuse).

    PostgreSQL: the ids are drawn from the table's sequence in one query, then the rows go in with
    COPY (no statement of 90,000 parameters to parse). Elsewhere (SQLite): one prepared INSERT per
    row, its values through the fields' own get_db_prep_save.
    """
    if not rows:
        return []
    table = _TABLES.get(model) or _TABLES.setdefault(model, _Table(model))
    now = timezone.now()
    known = table.known
    for row in rows:
        if not row.keys() <= known:
            raise TypeError(f"unknown {model._meta.label} columns: {sorted(row.keys() - known)}")
    # Each column: the row's value, else the default (a callable one called per row), and the
    # auto_now/auto_now_add ones the time of this call whatever the row says, as save() does.
    full = []
    for row in rows:
        values = [row.get(a, d) for a, d in table.pairs]
        for i in table.stamped_at:
            values[i] = now
        for i, f in table.called_at:
            if f.attname not in row:
                values[i] = f.get_default()
        full.append(values)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [table.pk, *table.fields])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table.table, table.pk.column, len(full)])
            pks = [pk for (pk,) in cursor.fetchall()]
            with cursor.cursor.copy(f"COPY {quote(table.table)} ({columns}) FROM STDIN") as copy:
                for pk, values in zip(pks, full, strict=True):
                    copy.write_row([pk, *values])
            return pks
        sql = (f"INSERT INTO {quote(table.table)} ({', '.join(quote(f.column) for f in table.fields)}) "
               f"VALUES ({', '.join(['%s'] * len(table.fields))})")
        pks = []
        for values in full:
            cursor.execute(sql, [f.get_db_prep_save(v, connection) for f, v in zip(table.fields, values, strict=True)])
            pks.append(cursor.lastrowid)
        return pks


def select_in(model, attnames: list[str], where: dict[str, list], equal: dict | None = None) -> list[tuple]:
    """Rows (tuples of `attnames`) of `model` whose columns are in the given lists, and equal to the
    given values: `filter(x__in=[...])` without Django's work on each of thousands of values (most
    of a batch's client time). PostgreSQL: `= ANY(%s)`, one array parameter; SQLite: `IN (...)`."""
    meta, quote = model._meta, connection.ops.quote_name
    column = {f.attname: f.column for f in meta.concrete_fields}
    tests, params = [], []
    for name, value in (equal or {}).items():
        tests.append(f"{quote(column[name])} = %s")
        params.append(value)
    for name, values in where.items():
        values = list(values)
        if not values:
            return []
        if connection.vendor == "postgresql":
            tests.append(f"{quote(column[name])} = ANY(%s)")
            params.append(values)
        else:
            tests.append(f"{quote(column[name])} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
    sql = (f"SELECT {', '.join(quote(column[a]) for a in attnames)} FROM {quote(meta.db_table)} "
           f"WHERE {' AND '.join(tests)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(r) for r in cursor.fetchall()]


def _plain(value):
    kind = type(value)
    if kind is str or kind is int:
        return value
    return value.value if isinstance(value, enum.Enum) else value


def register_summary(agency: Agency) -> list[dict]:
    """The agency's historical registers with their document counts (for the import's report)."""
    out = []
    for register in Register.objects.filter(agency=agency, series__startswith=HISTORICAL_PREFIX).order_by(
            "year", "direction", "series"):
        reg_field, num_field = _number_field(register.direction)
        agg = Document.objects.filter(**{reg_field: register}).aggregate(n=Max(num_field))
        out.append({"register": register.name, "year": register.year, "closed": register.closed,
                    "last_number": agg["n"]})
    return out

"""Numbers of outgoing and incoming documents: atomic, gap-free, per register per year.

The counter lives on the register row. `next_number` increments it with one UPDATE inside
the caller's transaction: on PostgreSQL the row lock serialises concurrent issuers and
READ COMMITTED re-reads the incremented value; on SQLite the transaction takes the write
lock at BEGIN (transaction_mode IMMEDIATE). A rolled-back transaction gives its number
back, so there is never a gap; the unique constraint on (register, number) is the last
line of defence against a duplicate.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from vpdt.core.errors import InvalidState
from vpdt.records.choices import Direction
from vpdt.records.models import Document, Register

SERIES_NAMES = {
    "chung": "chung",
    "mat": "văn bản mật",
    "sao": "bản sao",
}


def series_for(document: Document) -> str:
    """Which series (register) numbers this document (DOMAIN.md "Separate series")."""
    if document.direction == Direction.INCOMING:
        return "mat" if document.is_secret else "chung"
    if document.is_secret:
        return "mat"
    doc_type = document.document_type
    if doc_type.is_copy:
        return "sao"
    if doc_type.is_normative:
        return doc_type.code
    return "chung"


def register_for(agency, direction: str, series: str, year: int) -> Register:
    """The register of `series` for `year`, opened on first use (numbers restart each year)."""
    kind = "Sổ văn bản đi" if direction == Direction.OUTGOING else "Sổ văn bản đến"
    name = f"{kind} {SERIES_NAMES.get(series, series)}"
    try:
        with transaction.atomic():
            register, _ = Register.objects.get_or_create(
                agency=agency, direction=direction, series=series, year=year, defaults={"name": name}
            )
    except IntegrityError:
        register = Register.objects.get(agency=agency, direction=direction, series=series, year=year)
    if register.closed:
        raise InvalidState(f"{register.name} năm {year} đã khóa, không cấp số được.", code="REGISTER_CLOSED")
    return register


def refuse_closed(agency, direction: str, series: str, year: int) -> None:
    """Refuse early (before any signing) a number in a register closed at year end (khóa sổ)."""
    closed = Register.objects.filter(agency=agency, direction=direction, series=series, year=year,
                                     closed=True).first()
    if closed is not None:
        raise InvalidState(f"{closed.name} năm {year} đã khóa, không cấp số được.", code="REGISTER_CLOSED")


def next_number(register: Register) -> int:
    """Take the next number of `register`. Must run inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside transaction.atomic()")
    Register.objects.filter(pk=register.pk).update(last_number=F("last_number") + 1)
    return Register.objects.values_list("last_number", flat=True).get(pk=register.pk)


def planned_number(document: Document, issued: dt.date) -> int:
    """The number `next_number` would give an outgoing document now, without taking it (read only).

    Signing fills the number into the PDF before the short transaction that takes it; that
    transaction compares the number it took with this one (another clerk may have been faster).
    """
    last = (Register.objects.filter(agency=document.agency, direction=Direction.OUTGOING,
                                    series=series_for(document), year=issued.year)
            .values_list("last_number", flat=True).first())
    return (last or 0) + 1


def notation_for(document: Document) -> str:
    """Ký hiệu: `QĐ-UBND` for a typed document; `UBND-VP` for a công văn (agency - drafting unit)."""
    agency = document.agency.abbreviation
    doc_type = document.document_type
    if doc_type.abbreviation:
        return f"{doc_type.abbreviation}-{agency}"
    if document.drafting_unit_id and document.drafting_unit.abbreviation:
        return f"{agency}-{document.drafting_unit.abbreviation}"
    return agency


def format_code(number: int, notation: str) -> str:
    return f"{number:02d}/{notation}"


def today_in_vietnam() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()

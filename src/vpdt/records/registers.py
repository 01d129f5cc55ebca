"""The registers of Decree 30 (Phụ lục IV) as books a person prints, and closing them at year end.

Each Register row (one series of one agency for one year) is printed as one or two books:

- an outgoing register as the **sổ đăng ký văn bản đi**;
- an incoming register as the **sổ đăng ký văn bản đến** and the **sổ theo dõi giải quyết
  văn bản đến** (the same documents, followed to their reply).

`BOOKS` declares each book's columns in the Decree's order, with their Vietnamese headings
(English in the catalogue); `book_rows` yields the rows from the records, a chunk of
documents at a time, so a year of any size is written to a file without being held in memory
(`registers_export` writes the PDF and the XLSX).

**Closing** (khóa sổ, `close_register`): after the year ended, the agency's clerk (or its
admin) closes a register. Its books are written and the PDF signed with the agency's seal
(records.seams' book sealer, the signing app) outside any transaction, stored as blobs, then a
short transaction checks that nothing changed meanwhile and marks the register closed. From
then on the downloads serve those files, numbering into the register is refused
(numbering.register_for) and so is editing a document registered in it
(`refuse_if_closed`, called by records' services).

Who: the agency's clerks and leaders read the books; the clerk or the agency admin closes
them. The secret series (`mat`) is the clerk's alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, NotFound
from vpdt.core.i18n import vietnamese
from vpdt.directory.roles import Role
from vpdt.records import seams
from vpdt.records.choices import AccessReason, DeliveryState, Direction, RecipientKind, State, Urgency
from vpdt.records.models import (
    ClosedRegisterFile,
    Document,
    DocumentAccess,
    DocumentLink,
    Recipient,
    Register,
)
from vpdt.records.permissions import require_role

SECRET_SERIES = "mat"
CHUNK = 500
PDF, XLSX = "pdf", "xlsx"
FORMATS = (PDF, XLSX)


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # a lazy msgid: the Decree's Vietnamese heading
    weight: float  # share of the page's width in the PDF
    centred: bool = False


@dataclass(frozen=True)
class Book:
    code: str
    title: str  # lazy msgid
    direction: str
    columns: tuple[Column, ...]
    slug: str  # file names


OUTGOING = "di"
INCOMING = "den"
TRACKING = "theo-doi"

BOOKS: dict[str, Book] = {
    # Phụ lục IV, mẫu sổ đăng ký văn bản đi: 10 columns.
    OUTGOING: Book(OUTGOING, _("Sổ đăng ký văn bản đi"), Direction.OUTGOING, (
        Column("code", _("Số, ký hiệu văn bản"), 1.1),
        Column("date", _("Ngày tháng văn bản"), 0.8, centred=True),
        Column("type_subject", _("Tên loại và trích yếu nội dung văn bản"), 2.6),
        Column("signer", _("Người ký"), 1.0),
        Column("recipients", _("Nơi nhận văn bản"), 1.6),
        Column("archive", _("Đơn vị, người nhận bản lưu"), 0.9),
        Column("copies", _("Số lượng bản"), 0.6, centred=True),
        Column("transfer_date", _("Ngày chuyển"), 0.8, centred=True),
        Column("signature", _("Ký nhận"), 0.9),
        Column("note", _("Ghi chú"), 0.9),
    ), "so-dang-ky-van-ban-di"),
    # Phụ lục IV, mẫu sổ đăng ký văn bản đến: 10 columns.
    INCOMING: Book(INCOMING, _("Sổ đăng ký văn bản đến"), Direction.INCOMING, (
        Column("arrival", _("Ngày đến"), 0.8, centred=True),
        Column("incoming_number", _("Số đến"), 0.6, centred=True),
        Column("author", _("Tác giả"), 1.4),
        Column("code", _("Số, ký hiệu văn bản"), 1.1),
        Column("date", _("Ngày tháng văn bản"), 0.8, centred=True),
        Column("type_subject", _("Tên loại và trích yếu nội dung văn bản"), 2.6),
        Column("handler", _("Đơn vị hoặc người nhận"), 1.3),
        Column("transfer_date", _("Ngày chuyển"), 0.8, centred=True),
        Column("signature", _("Ký nhận"), 0.8),
        Column("note", _("Ghi chú"), 0.9),
    ), "so-dang-ky-van-ban-den"),
    # Phụ lục IV, mẫu sổ theo dõi giải quyết văn bản đến: 7 columns.
    TRACKING: Book(TRACKING, _("Sổ theo dõi giải quyết văn bản đến"), Direction.INCOMING, (
        Column("incoming_number", _("Số đến"), 0.6, centred=True),
        Column("description", _("Tên loại, số, ký hiệu, ngày tháng và cơ quan ban hành văn bản"), 3.0),
        Column("handler", _("Đơn vị hoặc người nhận"), 1.5),
        Column("due", _("Thời hạn giải quyết"), 0.9, centred=True),
        Column("progress", _("Tiến độ giải quyết"), 1.5),
        Column("replies", _("Số, ký hiệu văn bản trả lời"), 1.2),
        Column("note", _("Ghi chú"), 1.0),
    ), "so-theo-doi-giai-quyet-van-ban-den"),
}

# Fields printed in the books: a document registered in a closed register keeps them.
FROZEN_FIELDS = {"document_type", "subject", "number", "notation", "issued_date", "signer_name",
                 "recipients_text", "copies", "note", "issuer_code", "issuer_name"}


def books_of(register: Register) -> list[Book]:
    if register.direction == Direction.OUTGOING:
        return [BOOKS[OUTGOING]]
    return [BOOKS[INCOMING], BOOKS[TRACKING]]


def book_of(register: Register, code: str) -> Book:
    book = BOOKS.get(code)
    if book is None or book not in books_of(register):
        raise NotFound("Không có sổ này.", detail=f"book {code!r} of register {register.pk}")
    return book


# --- who ---------------------------------------------------------------------------------


def _readers(register: Register) -> tuple[str, ...]:
    return (Role.CLERK,) if register.series == SECRET_SERIES else (Role.CLERK, Role.LEADER)


def _closers(register: Register) -> tuple[str, ...]:
    return (Role.CLERK,) if register.series == SECRET_SERIES else (Role.CLERK, Role.AGENCY_ADMIN)


def check_read(user, register: Register) -> None:
    require_role(user, register.agency_id, *_readers(register))


def check_close(user, register: Register) -> None:
    require_role(user, register.agency_id, *_closers(register))


def may_read(user, register: Register) -> bool:
    return any(user.has_role(r, register.agency_id) for r in _readers(register))


def may_close(user, register: Register) -> bool:
    return any(user.has_role(r, register.agency_id) for r in _closers(register))


def visible_registers(user):
    """The registers `user` may see listed: their agencies' (clerk, leader or agency admin); the
    secret series for the clerk only."""
    agencies = [a for a in user.member_agency_ids()
                if user.role_set(a) & {Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN}]
    clerk_of = [a for a in agencies if user.has_role(Role.CLERK, a)]
    return Register.objects.filter(
        (Q(agency_id__in=agencies) & ~Q(series=SECRET_SERIES)) | Q(agency_id__in=clerk_of, series=SECRET_SERIES)
    ).select_related("agency")


def registers_page(user, year: int | None = None) -> list[Register]:
    """The rows of the registers page, newest year first, outgoing before incoming."""
    found = sorted(visible_registers(user), key=lambda r: (-r.year, r.agency_id, r.direction != "outgoing", r.series))
    if year is not None:
        found = [r for r in found if r.year == year]
    return found


def closable(register: Register, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return not register.closed and register.year < today.year


# --- the rows ------------------------------------------------------------------------------


def _d(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value:%d/%m/%Y}"


def _type_subject(doc: Document) -> str:
    return f"{doc.document_type.name}: {doc.subject}".strip()


def _note(doc: Document) -> str:
    parts = []
    if doc.urgency > Urgency.NORMAL:
        parts.append(vietnamese(Urgency(doc.urgency).label))
    if doc.note:
        parts.append(doc.note)
    return "; ".join(parts)


def documents_of(register: Register):
    """The documents of the register in the order of their numbers."""
    if register.direction == Direction.OUTGOING:
        return Document.objects.filter(register=register, number__isnull=False).order_by("number", "id")
    return Document.objects.filter(incoming_register=register, incoming_number__isnull=False).order_by(
        "incoming_number", "id")


def _chunks(register: Register) -> Iterator[list[Document]]:
    """The register's documents, CHUNK at a time (keyset pagination on the number)."""
    field = "number" if register.direction == Direction.OUTGOING else "incoming_number"
    base = documents_of(register).select_related("document_type", "drafting_unit")
    last = 0
    while True:
        chunk = list(base.filter(**{f"{field}__gt": last})[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = getattr(chunk[-1], field)


def _handlers(ids: list[int]) -> dict[int, tuple[str, object]]:
    """Document id -> (the main handlers' names, when they were given the document)."""
    found: dict[int, list] = {}
    rows = (DocumentAccess.objects.filter(document_id__in=ids, reason=AccessReason.MAIN)
            .select_related("unit", "user").order_by("document_id", "created_at", "id"))
    for access in rows:
        name = access.unit.name if access.unit_id else (access.user.get_full_name() if access.user_id else "")
        found.setdefault(access.document_id, []).append((name, access.created_at))
    return {k: ("; ".join(dict.fromkeys(n for n, _at in v if n)), v[0][1]) for k, v in found.items()}


def _released(ids: list[int]) -> dict[int, object]:
    from vpdt.core.models import AuditEntry

    rows = (AuditEntry.objects.filter(object_type=Document._meta.label_lower,
                                      object_id__in=[str(i) for i in ids], action="document.release")
            .values_list("object_id", "at").order_by("at"))
    found: dict[int, object] = {}
    for object_id, at in rows:
        found.setdefault(int(object_id), at)
    return found


ELECTRONIC_RECEIVED = {DeliveryState.DELIVERED, DeliveryState.ACCEPTED, DeliveryState.ASSIGNED,
                       DeliveryState.PROCESSING, DeliveryState.COMPLETED}


def _recipients(ids: list[int]) -> dict[int, list[Recipient]]:
    found: dict[int, list[Recipient]] = {}
    for r in Recipient.objects.filter(document_id__in=ids).select_related("unit", "agency").order_by("id"):
        found.setdefault(r.document_id, []).append(r)
    return found


def _replies(ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    links = (DocumentLink.objects.filter(target_id__in=ids, document__number__isnull=False)
             .select_related("document").order_by("document__issued_date", "document_id"))
    for link in links:
        found.setdefault(link.target_id, []).append(link.document.code)
    return found


def _outgoing_row(doc: Document, recipients: list[Recipient], released) -> list[str]:
    names = "; ".join(r.display_name for r in recipients if r.display_name) or doc.recipients_text
    electronic = [r for r in recipients if r.kind == RecipientKind.AGENCY]
    received = sum(r.state in ELECTRONIC_RECEIVED for r in electronic)
    signature = f"Điện tử: đã nhận {received}/{len(electronic)}" if electronic else ""
    archive = "VT" + (f", {doc.drafting_unit.abbreviation}" if doc.drafting_unit_id else "")
    if released is None and doc.state == State.RELEASED:
        released = min((r.status_at for r in recipients if r.status_at), default=None)
    return [doc.code, _d(doc.issued_date), _type_subject(doc), doc.signer_name, names, archive,
            str(doc.copies or ""), _d(released), signature, _note(doc)]


def _incoming_row(doc: Document, handler: tuple[str, object] | None) -> list[str]:
    name, given = handler or ("", None)
    return [_d(doc.received_at), doc.incoming_number_text, doc.issuer_name or doc.issuer_code, doc.code,
            _d(doc.issued_date), _type_subject(doc), name, _d(given), "", _note(doc)]


def _progress(doc: Document, today: dt.date) -> str:
    if doc.state == State.COMPLETED:
        done = timezone.localtime(doc.completed_at).date() if doc.completed_at else None
        text = f"Hoàn thành ngày {_d(done)}" if done else "Hoàn thành"
        if done and doc.due_date and done > doc.due_date:
            text += " (quá hạn)"
        return text
    text = vietnamese(State(doc.state).label)
    if doc.due_date and doc.due_date < today:
        text += ", quá hạn"
    return text


def _tracking_row(doc: Document, handler, replies: list[str], today: dt.date) -> list[str]:
    parts = [doc.document_type.name]
    if doc.code:
        parts.append(f"số {doc.code}")
    if doc.issued_date:
        parts.append(f"ngày {_d(doc.issued_date)}")
    if doc.issuer_name or doc.issuer_code:
        parts.append(f"của {doc.issuer_name or doc.issuer_code}")
    description = " ".join(parts) + f": {doc.subject}"
    return [doc.incoming_number_text, description, (handler or ("", None))[0], _d(doc.due_date),
            _progress(doc, today), "; ".join(replies), _note(doc)]


def book_rows(register: Register, book: Book, today: dt.date | None = None) -> Iterator[list[str]]:
    """The book's rows (one list of strings per document, in the columns' order), streamed."""
    today = today or timezone.localdate()
    for chunk in _chunks(register):
        ids = [d.pk for d in chunk]
        if book.code == OUTGOING:
            recipients, released = _recipients(ids), _released(ids)
            for doc in chunk:
                yield _outgoing_row(doc, recipients.get(doc.pk, []), released.get(doc.pk))
        elif book.code == INCOMING:
            handlers = _handlers(ids)
            for doc in chunk:
                yield _incoming_row(doc, handlers.get(doc.pk))
        else:
            handlers, replies = _handlers(ids), _replies(ids)
            for doc in chunk:
                yield _tracking_row(doc, handlers.get(doc.pk), replies.get(doc.pk, []), today)


@dataclass(frozen=True)
class Summary:
    """What the book's cover says: how many, from which number and date to which."""

    count: int
    first_number: int | None
    last_number: int | None
    first_date: dt.date | None
    last_date: dt.date | None
    changed: object  # the last change of its documents (closing compares it)


def summary(register: Register) -> Summary:
    docs = documents_of(register).order_by()
    if register.direction == Direction.OUTGOING:
        found = docs.aggregate(n=Count("id"), a=Min("number"), b=Max("number"), c=Min("issued_date"),
                               d=Max("issued_date"), u=Max("updated_at"))
        first, last = found["c"], found["d"]
    else:
        found = docs.aggregate(n=Count("id"), a=Min("incoming_number"), b=Max("incoming_number"),
                               c=Min("received_at"), d=Max("received_at"), u=Max("updated_at"))
        first = timezone.localtime(found["c"]).date() if found["c"] else None
        last = timezone.localtime(found["d"]).date() if found["d"] else None
    return Summary(found["n"], found["a"], found["b"], first, last, found["u"])


def file_name(register: Register, book: Book, fmt: str) -> str:
    return f"{book.slug}-{register.series}-{register.year}.{fmt}"


# --- exports -------------------------------------------------------------------------------


@dataclass
class Export:
    """A book ready to stream: an open binary file positioned at 0, its name and type."""

    file: BinaryIO
    name: str
    content_type: str
    closed: bool


CONTENT_TYPES = {PDF: "application/pdf",
                 XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def write_book(register: Register, book: Book, fmt: str, out: BinaryIO, today: dt.date | None = None) -> int:
    """Write the book as `fmt` into `out` (a file); returns how many rows it holds."""
    from vpdt.records import registers_export

    writer = registers_export.write_pdf if fmt == PDF else registers_export.write_xlsx
    return writer(out, register=register, book=book, summary=summary(register),
                  rows=book_rows(register, book, today))


def export(user, register: Register, book_code: str, fmt: str) -> Export:
    """The book of `register` as PDF or XLSX, for a reader of the register (audited). A closed
    register answers the files stored when it was closed (the PDF is the signed one)."""
    check_read(user, register)
    if fmt not in FORMATS:
        raise InvalidInput("Định dạng không hỗ trợ (chọn PDF hoặc XLSX).", code="BAD_FORMAT", detail=fmt)
    book = book_of(register, book_code)
    name = file_name(register, book, fmt)
    audit.record("register.export", register, user=user, detail={"book": book.code, "format": fmt,
                                                                  "year": register.year, "closed": register.closed})
    stored = ClosedRegisterFile.objects.filter(register=register, book=book.code, file_format=fmt).first()
    if stored is not None:
        return Export(blobs.open_blob(stored.blob_id), name, CONTENT_TYPES[fmt], True)
    out = tempfile.TemporaryFile(prefix="vpdt-register-")
    try:
        write_book(register, book, fmt, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return Export(out, name, CONTENT_TYPES[fmt], False)


# --- closing -------------------------------------------------------------------------------


def _label(register: Register) -> str:
    return f"Khóa sổ {register.name} năm {register.year}"


def close_register(user, register: Register, *, pin: str | None = None, today: dt.date | None = None) -> Register:
    """Khóa sổ: the register's books as they stand, the PDF signed with the agency's seal, stored;
    the register no longer changes. Only after its year ended; slow work outside transactions."""
    check_close(user, register)
    today = today or timezone.localdate()
    if register.closed:
        raise InvalidState(f"{register.name} năm {register.year} đã khóa sổ.", code="REGISTER_ALREADY_CLOSED")
    if register.year >= today.year:
        raise InvalidState(f"Chỉ khóa sổ năm {register.year} sau khi hết năm (từ ngày 01/01/{register.year + 1}).",
                           code="REGISTER_YEAR_NOT_ENDED")
    sealer = seams.book_sealer()
    if sealer is None:
        raise InvalidState("Hệ thống chưa có chức năng ký số nên chưa khóa sổ được.", code="REGISTER_SEAL_MISSING")
    before = summary(register)
    last_number = register.last_number
    made: list[ClosedRegisterFile] = []
    subject = ""
    for book in books_of(register):
        with contextlib.ExitStack() as stack:
            plain = stack.enter_context(tempfile.TemporaryFile(prefix="vpdt-register-"))
            signed = stack.enter_context(tempfile.TemporaryFile(prefix="vpdt-register-signed-"))
            sheet = stack.enter_context(tempfile.TemporaryFile(prefix="vpdt-register-"))
            rows = write_book(register, book, PDF, plain, today)
            plain.seek(0)
            subject = sealer.seal(user, register.agency, plain, signed, label=_label(register), pin=pin)
            signed.seek(0)
            pdf_blob = blobs.store_stream(signed, max_bytes=1 << 40)
            write_book(register, book, XLSX, sheet, today)
            sheet.seek(0)
            xlsx_blob = blobs.store_stream(sheet, max_bytes=1 << 40)
        made += [ClosedRegisterFile(register=register, book=book.code, file_format=PDF, blob=pdf_blob, rows=rows,
                                    signer_subject=subject[:500]),
                 ClosedRegisterFile(register=register, book=book.code, file_format=XLSX, blob=xlsx_blob, rows=rows)]
    with transaction.atomic():
        locked = Register.objects.select_for_update().get(pk=register.pk)
        if locked.closed:
            raise InvalidState(f"{register.name} năm {register.year} đã khóa sổ.", code="REGISTER_ALREADY_CLOSED")
        if locked.last_number != last_number or summary(locked) != before:
            raise InvalidState("Sổ vừa có thay đổi trong lúc khóa sổ; chưa khóa. Hãy thực hiện lại.",
                               code="REGISTER_CHANGED")
        closer = None if getattr(user, "is_system_actor", False) else user
        for row in made:
            row.closed_by = closer
        ClosedRegisterFile.objects.bulk_create(made)
        locked.closed = True
        locked.save(update_fields=["closed"])
        audit.record("register.close", locked, user=user, detail={
            "year": locked.year, "series": locked.series, "direction": locked.direction, "rows": before.count,
            "signer": subject, "files": {f"{r.book}.{r.file_format}": r.blob_id for r in made}})
    register.refresh_from_db()
    return register


def refuse_if_closed(document: Document, fields=None) -> None:
    """A document registered in a closed register keeps what the register printed. Called inside
    the writer's transaction. On PostgreSQL the register rows are read FOR KEY SHARE: edits do not
    wait for each other nor for numbering, but one that races a closing waits for its commit and
    sees the register closed (a plain read would not: the closing's lock is on a row that, in the
    edit's snapshot, is still open). On SQLite the closing holds the database's write lock."""
    if fields is not None and not (set(fields) & FROZEN_FIELDS):
        return
    ids = [i for i in (document.register_id, document.incoming_register_id) if i]
    if not ids:
        return
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            # Not "AND closed" in the WHERE: a row open in the snapshot would not be locked, nor waited for.
            cursor.execute(f"SELECT id, closed FROM {Register._meta.db_table} WHERE id = ANY(%s) "  # noqa: S608
                           "FOR KEY SHARE", [ids])
            closed_ids = [pk for pk, is_closed in cursor.fetchall() if is_closed]
        closed = Register.objects.filter(pk__in=closed_ids).first() if closed_ids else None
    else:
        closed = Register.objects.filter(pk__in=ids, closed=True).first()
    if closed is not None:
        raise InvalidState(f"{closed.name} năm {closed.year} đã khóa sổ: không sửa được văn bản đã đăng ký "
                           "trong sổ này.", code="REGISTER_CLOSED", detail=f"register {closed.pk}")

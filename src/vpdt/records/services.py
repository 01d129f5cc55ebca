"""Operations on documents, registers and dossiers: each checks permission, keeps the
invariants and writes the audit log. Views, the API, the CLI and tasks call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import BinaryIO

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied, VpdtError
from vpdt.core.models import Blob
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.records import numbering, signals
from vpdt.records.choices import AccessReason, Direction, Source, State
from vpdt.records.models import (
    Attachment,
    Document,
    DocumentAccess,
    DocumentType,
    Dossier,
    DossierItem,
    DraftVersion,
)
from vpdt.records.permissions import can_view, require_role

# Fields a caller may set when creating or editing a document's metadata.
METADATA_FIELDS = {
    "document_type", "subject", "content", "number", "notation", "issued_date", "place",
    "signer_name", "signer_position", "signer_competence", "urgency", "secrecy", "page_count",
    "copies", "recipients_text", "due_date", "steering_type", "sphere", "typer_notation", "note",
    "issuer_code", "issuer_name", "drafting_unit", "edxml_document_id",
}


class DuplicateIncoming(VpdtError):
    """Same issuer, number, notation and date as a document already received (a warning to confirm)."""

    code = "DUPLICATE_INCOMING"
    http_status = 409

    def __init__(self, matches: list[Document]):
        codes = ", ".join(f"số đến {d.incoming_number_text or '—'} ({d.code})" for d in matches)
        super().__init__(
            f"Văn bản này có thể đã được tiếp nhận: {codes}. Kiểm tra lại hoặc xác nhận vào sổ.",
            detail=f"matching documents: {[d.pk for d in matches]}",
        )
        self.matches = matches


def set_state(document: Document, state: str, user, action: str, detail: dict | None = None) -> None:
    """Change a document's state: audited, and announced to other apps (records.signals).

    Callers check permission and the allowed transition first, inside their transaction.
    """
    previous = document.state
    document.state = state
    fields = ["state", "updated_at"]
    if state == State.COMPLETED and document.completed_at is None:
        document.completed_at = timezone.now()
        fields.append("completed_at")
    document.save(update_fields=fields)
    audit.record(action, document, user=user, detail={"from": previous, "to": state, **(detail or {})})
    signals.document_state_changed.send(
        sender=Document, document=document, old_state=previous, new_state=state, user=user, action=action,
        detail=detail or {},
    )


def _check_fields(data: dict) -> dict:
    unknown = set(data) - METADATA_FIELDS
    if unknown:
        raise InvalidInput(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.", detail=f"unknown fields {unknown}")
    if "subject" in data and not (data["subject"] or "").strip():
        raise InvalidInput("Trích yếu không được để trống.", code="SUBJECT_REQUIRED")
    if isinstance(data.get("document_type"), str):
        found = DocumentType.objects.filter(Q(code=data["document_type"]) | Q(abbreviation=data["document_type"])).first()
        if not found:
            raise InvalidInput(f"Không có loại văn bản “{data['document_type']}”.", code="UNKNOWN_DOCUMENT_TYPE")
        data["document_type"] = found
    return data


# --- creation -------------------------------------------------------------------------


@transaction.atomic
def receive_incoming(user, agency: Agency, data: dict, *, source: str = Source.PAPER) -> Document:
    """The clerk receives a document (a paper one, scanned, or an e-mail): state "đã đến"."""
    require_role(user, agency.pk, Role.CLERK)
    data = _check_fields(dict(data))
    if not data.get("subject"):
        raise InvalidInput("Trích yếu không được để trống.", code="SUBJECT_REQUIRED")
    document = Document.objects.create(
        agency=agency, direction=Direction.INCOMING, state=State.RECEIVED, source=source,
        created_by=user, received_at=timezone.now(), **data,
    )
    if document.is_secret:
        grant_access(user, document, user, reason=AccessReason.GRANT, secret=True, _audit=False)
    audit.record("document.receive", document, user=user, detail={"source": source})
    return document


@transaction.atomic
def create_outgoing(user, data: dict, *, direction: str = Direction.OUTGOING) -> Document:
    """A drafter opens an outgoing (or internal) document: state "dự thảo"."""
    agency = user.agency
    if agency is None:
        raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.")
    data = _check_fields(dict(data))
    if not data.get("subject"):
        raise InvalidInput("Trích yếu không được để trống.", code="SUBJECT_REQUIRED")
    data.setdefault("drafting_unit", user.unit)
    data.setdefault("place", agency.place)
    document = Document.objects.create(
        agency=agency, direction=direction, state=State.DRAFT, source=Source.INTERNAL, created_by=user, **data
    )
    grant_access(user, document, user, reason=AccessReason.DRAFTER, secret=document.is_secret, _audit=False)
    audit.record("document.create", document, user=user)
    return document


def update_metadata(user, document: Document, data: dict) -> Document:
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền sửa văn bản này.")
    if document.number is not None and ({"number", "notation", "issued_date"} & set(data)):
        raise InvalidState("Văn bản đã cấp số: không sửa số, ký hiệu, ngày ban hành.", code="ALREADY_NUMBERED")
    data = _check_fields(dict(data))
    with transaction.atomic():
        changed = {}
        for field, value in data.items():
            old = getattr(document, field)
            if old != value:
                changed[field] = [str(old), str(value)]
                setattr(document, field, value)
        document.save()
        audit.record("document.update", document, user=user, detail={"changed": changed})
    return document


# --- files ----------------------------------------------------------------------------


def add_attachment(user, document: Document, stream: BinaryIO, name: str, *, content_type: str = "",
                   kind: str = Attachment.Kind.MAIN, description: str = "") -> Attachment:
    """Store a file for the document, streamed, within the agency's size limit."""
    if user is not None and not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền thêm tệp vào văn bản này.")
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInput("Tên tệp không hợp lệ.", code="BAD_FILE_NAME", detail=repr(name))
    blob = blobs.store_stream(stream, max_bytes=document.agency.upload_limit_bytes())
    with transaction.atomic():
        attachment = Attachment.objects.create(
            document=document, blob=blob, name=name, content_type=content_type, kind=kind,
            description=description, created_by=user,
        )
        audit.record("document.attach", document, user=user,
                     detail={"name": name, "sha256": blob.sha256, "size": blob.size, "kind": kind})
    return attachment


def add_draft_version(user, document: Document, stream: BinaryIO | Blob, name: str, *, content_type: str = "",
                      note: str = "") -> DraftVersion:
    """A new draft version from `stream`, or from a Blob already stored (signing stores the signed
    file before its short transaction, so the file is not copied again while the lock is held)."""
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền sửa dự thảo này.")
    if document.number is not None:
        raise InvalidState("Văn bản đã cấp số, không thêm phiên bản dự thảo.", code="ALREADY_NUMBERED")
    blob = stream if isinstance(stream, Blob) else blobs.store_stream(
        stream, max_bytes=document.agency.upload_limit_bytes())
    with transaction.atomic():
        last = DraftVersion.objects.filter(document=document).aggregate(m=Max("number"))["m"] or 0
        version = DraftVersion.objects.create(
            document=document, number=last + 1, blob=blob, name=name, content_type=content_type,
            note=note, created_by=user,
        )
        audit.record("document.draft_version", document, user=user,
                     detail={"version": version.number, "name": name, "sha256": blob.sha256})
    return version


# --- numbering and registration -------------------------------------------------------


def issue_number(user, document: Document, *, date: dt.date | None = None) -> Document:
    """The clerk issues the number and date of an approved outgoing document.

    Atomic with the register's counter: no gap, no duplicate, restart each year.
    """
    require_role(user, document.agency_id, Role.CLERK)
    if document.direction == Direction.INCOMING:
        raise InvalidState("Văn bản đến không cấp số văn bản đi.", code="NOT_OUTGOING")
    issued = date or numbering.today_in_vietnam()
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).select_related("agency", "document_type", "drafting_unit").get(
            pk=document.pk
        )
        if locked.number is not None:
            raise InvalidState(f"Văn bản đã có số {locked.code}.", code="ALREADY_NUMBERED")
        if locked.state != State.APPROVED:
            raise InvalidState("Chỉ cấp số cho văn bản đã được người có thẩm quyền duyệt ký.", code="NOT_APPROVED")
        register = numbering.register_for(locked.agency, Direction.OUTGOING, numbering.series_for(locked), issued.year)
        locked.number = numbering.next_number(register)
        locked.register = register
        locked.notation = locked.notation or numbering.notation_for(locked)
        locked.issued_date = issued
        locked.save(update_fields=["number", "register", "notation", "issued_date", "updated_at"])
        audit.record("document.issue_number", locked, user=user,
                     detail={"code": locked.code, "register": register.pk, "date": issued.isoformat()})
    document.refresh_from_db()
    return document


def find_duplicates(agency: Agency, *, issuer_code: str = "", issuer_name: str = "", number: int | None,
                    notation: str, issued_date: dt.date | None, exclude: int | None = None) -> list[Document]:
    """Incoming documents with the same issuer, number, notation and date (DOMAIN.md)."""
    if number is None or not notation or issued_date is None:
        return []
    qs = Document.objects.filter(
        agency=agency, direction=Direction.INCOMING, number=number, notation__iexact=notation,
        issued_date=issued_date,
    ).exclude(state=State.RETURNED)
    if issuer_code:
        qs = qs.filter(Q(issuer_code=issuer_code) | Q(issuer_code="", issuer_name__iexact=issuer_name))
    elif issuer_name:
        qs = qs.filter(issuer_name__iexact=issuer_name)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("id"))


def register_incoming(user, document: Document, *, confirm_duplicate: bool = False) -> Document:
    """Vào sổ: assign the incoming number (số đến) and date; warns on a duplicate first."""
    require_role(user, document.agency_id, Role.CLERK)
    if document.direction != Direction.INCOMING:
        raise InvalidState("Chỉ vào sổ văn bản đến.", code="NOT_INCOMING")
    if not confirm_duplicate:
        matches = [
            d for d in find_duplicates(
                document.agency, issuer_code=document.issuer_code, issuer_name=document.issuer_name,
                number=document.number, notation=document.notation, issued_date=document.issued_date,
                exclude=document.pk,
            ) if d.incoming_number is not None
        ]
        if matches:
            raise DuplicateIncoming(matches)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).select_related("agency").get(pk=document.pk)
        if locked.state != State.RECEIVED:
            raise InvalidState("Văn bản không ở trạng thái chờ vào sổ.", code="NOT_RECEIVED")
        now = timezone.now()
        register = numbering.register_for(
            locked.agency, Direction.INCOMING, numbering.series_for(locked), timezone.localdate(now).year
        )
        locked.incoming_number = numbering.next_number(register)
        locked.incoming_register = register
        locked.received_at = locked.received_at or now
        locked.save(update_fields=["incoming_number", "incoming_register", "received_at", "updated_at"])
        set_state(locked, State.REGISTERED, user, "document.register",
                   {"incoming_number": locked.incoming_number, "register": register.pk,
                    "duplicate_confirmed": confirm_duplicate})
    document.refresh_from_db()
    return document


def return_incoming(user, document: Document, reason: str) -> Document:
    """Trả lại: an invalid or misaddressed document goes back, with the reason."""
    require_role(user, document.agency_id, Role.CLERK)
    if not (reason or "").strip():
        raise InvalidInput("Cần ghi rõ lý do trả lại.", code="REASON_REQUIRED")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.state != State.RECEIVED:
            raise InvalidState("Chỉ trả lại văn bản chưa vào sổ.", code="NOT_RECEIVED")
        set_state(locked, State.RETURNED, user, "document.return", {"reason": reason})
    document.refresh_from_db()
    return document


# --- access ---------------------------------------------------------------------------


def grant_access(granted_by, document: Document, user=None, *, unit=None, reason: str = AccessReason.GRANT,
                 secret: bool = False, _audit: bool = True) -> DocumentAccess:
    """Give a person or a unit access to a document; `secret=True` is the explicit grant for secret ones."""
    if _audit and secret:
        require_role(granted_by, document.agency_id, Role.LEADER, Role.CLERK)
    access = DocumentAccess.objects.create(
        document=document, user=user, unit=unit, reason=reason, secret_grant=secret, granted_by=granted_by
    )
    if _audit:
        audit.record("document.grant_access", document, user=granted_by,
                     detail={"user": getattr(user, "pk", None), "unit": getattr(unit, "pk", None),
                             "reason": reason, "secret": secret})
    return access


# --- dossiers -------------------------------------------------------------------------


def create_dossier(user, *, title: str, year: int, notation: str, retention: str = "10 năm",
                   plan_entry=None) -> Dossier:
    agency = user.agency
    if agency is None:
        raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.")
    if not title.strip() or not notation.strip():
        raise InvalidInput("Cần tiêu đề và ký hiệu hồ sơ.", code="DOSSIER_FIELDS_REQUIRED")
    code = f"{agency.code}.{year}.{notation}"
    if Dossier.objects.filter(code=code).exists():
        raise InvalidInput(f"Mã hồ sơ {code} đã tồn tại.", code="DOSSIER_CODE_TAKEN")
    with transaction.atomic():
        dossier = Dossier.objects.create(agency=agency, code=code, title=title, year=year, retention=retention,
                                         owner=user, plan_entry=plan_entry)
        audit.record("dossier.create", dossier, user=user, agency_code=agency.code)
    return dossier


def add_to_dossier(user, dossier: Dossier, documents: Iterable[Document]) -> None:
    """Put documents in a dossier: a link, not a copy; one document may be in several dossiers."""
    if dossier.agency_id not in user.member_agency_ids():
        raise PermissionDenied("Hồ sơ không thuộc cơ quan của bạn.")
    if dossier.closed:
        raise InvalidState("Hồ sơ đã kết thúc.", code="DOSSIER_CLOSED")
    with transaction.atomic():
        order = dossier.items.aggregate(m=Max("order"))["m"] or 0
        for document in documents:
            if document.agency_id != dossier.agency_id or not can_view(user, document):
                raise PermissionDenied("Không thể đưa văn bản này vào hồ sơ.")
            order += 1
            _, created = DossierItem.objects.get_or_create(dossier=dossier, document=document,
                                                           defaults={"order": order})
            if created:
                audit.record("dossier.add_document", dossier, user=user, agency_code=dossier.agency.code,
                             detail={"document": document.pk})

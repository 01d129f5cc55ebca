"""The write API (issue 18): receive and register an incoming document, open a draft, add a
version, submit it for approval, follow a released document's recipients, read notifications.

Each operation calls the service the pages call (vpdt.workflow.services, records), with the
caller's account: a system account's token acts with its role in its agency, and the audit log
names the account. The token's scope is checked first (403 SCOPE_MISSING); another agency's
document is 404. Every POST takes an `Idempotency-Key` (vpdt.api.idempotency). Files arrive
through Django's upload handler (core.uploads.BoundedUploadHandler: written once into the blob
store's spool with their SHA-256, bounded by the agency's limit while they stream) and are stored
by records' services (a rename, not a copy), judged by
their bytes; a refused file answers its code (FILE_TOO_LARGE 413, FILE_TYPE_REFUSED 415...)
and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.db.models import Q
from ninja import Field, File, Form, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status
from pydantic import ConfigDict, model_validator
from pydantic import ValidationError as PydanticError

from vpdt.api import idempotency
from vpdt.api.scopes import need
from vpdt.core.converters import MAX_ID
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.core.text import unstorable
from vpdt.core.uploads import too_large
from vpdt.directory import recipients as directory_recipients
from vpdt.directory.models import Agency, Unit
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import Direction, Secrecy, Urgency
from vpdt.records.models import Attachment, DocumentType
from vpdt.records.permissions import get_visible, require_role
from vpdt.workflow import notifications
from vpdt.workflow import services as workflow
from vpdt.workflow.models import Notification

router = Router()
DOCUMENT_ID = Path(..., ge=1, le=MAX_ID)
MAX_FILES = 20
INCOMING_FILES = File(..., min_length=1, max_length=MAX_FILES, description=(
    "Tệp của văn bản (PDF, ảnh PNG/JPEG/TIFF, .docx/.xlsx/.odt...; xét theo nội dung tệp): tệp đầu là bản chính "
    "(bản quét), các tệp sau là phụ lục"))
DRAFT_FILE = File(..., description="Tệp dự thảo .docx hoặc .pdf")


def _bad_text(value) -> bool:
    """A text holding what no database keeps (core.text.unstorable), at any depth."""
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, (list, tuple)):
        return any(_bad_text(v) for v in value)
    if isinstance(value, Schema):
        return any(_bad_text(v) for v in value.__dict__.values())
    return False


class Text(Schema):
    """A body whose text fields hold only storable characters (else 400, nothing stored)."""

    @model_validator(mode="after")
    def _storable(self):
        if _bad_text(self):
            raise ValueError("text holds a NUL character or an unpaired surrogate")
        return self


def _check_text(*values) -> None:
    if _bad_text(list(values)):
        raise InvalidInput("Dữ liệu có ký tự không hợp lệ.", code="INVALID_INPUT",
                           detail="text holds a NUL character or an unpaired surrogate")


class IncomingMetadata(Text):
    """What the clerk's page asks of a document received (the fields GET /api/documents/{id} shows)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(..., min_length=1, max_length=2000)
    issuer_name: str = Field(..., min_length=1, max_length=255)
    issuer_code: str = Field("", max_length=32)
    document_type: str = Field("CV", max_length=100, description="Mã, tên viết tắt hoặc tên loại văn bản")
    number: str | None = Field(None, pattern=r"^\d{1,9}$", description="Số của văn bản (chữ số)")
    notation: str = Field("", max_length=60)
    issued_date: dt.date | None = None
    urgency: int = Field(Urgency.NORMAL, ge=0, le=max(Urgency.values))
    secrecy: int = Field(Secrecy.NONE, ge=0, le=max(Secrecy.values))
    page_count: int | None = Field(None, ge=1, le=100_000)
    signer_name: str = Field("", max_length=255)
    due_date: dt.date | None = None


class RegisterIn(Text):
    confirm_duplicate: bool = Field(False, description="Vào sổ dù có thể trùng văn bản đã tiếp nhận")
    override_reason: str = Field("", max_length=500,
                                 description="Lý do vào sổ khi chữ ký số của văn bản không hợp lệ")


class DraftRecipients(Text):
    units: list[int] = Field([], max_length=200, description="Đơn vị nội bộ (id)")
    agencies: list[str] = Field([], max_length=200, description="Cơ quan nhận liên thông (mã định danh)")
    emails: list[str] = Field([], max_length=200)
    papers: list[str] = Field([], max_length=200, description="Nơi nhận bản giấy (tên)")


class DraftIn(Text):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(..., min_length=1, max_length=2000)
    document_type: str = Field("CV", max_length=100)
    urgency: int = Field(Urgency.NORMAL, ge=0, le=max(Urgency.values))
    secrecy: int = Field(Secrecy.NONE, ge=0, le=max(Secrecy.values))
    due_date: dt.date | None = None
    recipients: DraftRecipients | None = None


class SubmitIn(Text):
    note: str = Field("", max_length=1000)


class VersionOut(Schema):
    document_id: int
    number: int
    name: str
    sha256: str
    size: int
    file_kind: str


class RecipientOut(Schema):
    id: int
    kind: str
    name: str
    organ_id: str
    email: str
    for_info: bool
    state: str
    state_label: str
    status_code: str
    status_at: dt.datetime | None


class RecipientList(Schema):
    document_id: int
    state: str
    items: list[RecipientOut]


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    document_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationList(Schema):
    total: int
    unread: int
    items: list[NotificationOut]


def _document_type(value: str) -> DocumentType:
    found = DocumentType.objects.filter(Q(code=value) | Q(abbreviation=value) | Q(name__iexact=value)).first()
    if found is None:
        raise InvalidInput(f"Không có loại văn bản “{value}”.", code="UNKNOWN_DOCUMENT_TYPE")
    return found


def _metadata(raw: str) -> dict:
    try:
        parsed = IncomingMetadata.model_validate(json.loads(raw))
    except (ValueError, PydanticError) as exc:
        detail = exc.errors() if isinstance(exc, PydanticError) else str(exc)
        raise InvalidInput("Phần metadata phải là JSON hợp lệ với các trường của văn bản.",
                           code="INVALID_METADATA", detail=str(detail)[:1000]) from exc
    data = parsed.model_dump()
    data["document_type"] = _document_type(data["document_type"])
    if not data["issuer_code"].strip():  # as the clerk's form: an issuer named as in the directory brings its code
        found = directory_recipients.issuer_in_directory(data["issuer_name"])
        if found is not None:
            data["issuer_name"], data["issuer_code"] = found.name, found.code
    data["number"] = int(data["number"]) if data["number"] else None
    return {k: v for k, v in data.items() if v is not None}


def _refuse_before_storing(user, agency: Agency, files) -> None:
    """Every file judged (size, name, type by its bytes) before anything is stored: one refused
    file refuses the request whole."""
    if not files:
        raise InvalidInput("Gửi ít nhất một tệp (phần files).", code="FILE_REQUIRED")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"Mỗi lần tải lên tối đa {MAX_FILES} tệp.", code="TOO_MANY_FILES")
    _check_text(*(f.name for f in files))
    for f in files:
        refusal = getattr(f, "refusal", None)
        if refusal is not None:
            raise refusal
        records._check_name(f.name)
        if f.size > agency.upload_limit_bytes():
            raise too_large(agency.upload_limit_bytes())
        path = getattr(f, "temporary_file_path", None)
        if path is not None:
            records.decide_type(path(), agency)


def _document(request, document_id: int):
    return get_visible(request.user, document_id)


def register(api, auth, error_schema, detail_schema, detail) -> None:
    """Mount the write operations on the API (called once by vpdt.api.api)."""
    E = error_schema
    write_errors = {400: E, 401: E, 403: E, 404: E, 409: E, 413: E, 415: E, 422: E}

    # The `metadata` part is JSON (IncomingMetadata): the schema says so, and which file types are kept.
    incoming_body = {"requestBody": {"content": {"multipart/form-data": {
        "schema": {"properties": {"metadata": IncomingMetadata.model_json_schema()}},
        "encoding": {"metadata": {"contentType": "application/json"}}}}}}

    @router.post("/documents/incoming", response={201: detail_schema, **write_errors}, auth=auth,
                 tags=["documents"], openapi_extra=incoming_body)
    def receive_incoming(request, metadata: str = Form(..., description=(
            "JSON: các trường của văn bản đến (subject, issuer_name, issuer_code, document_type, number, notation, "
            "issued_date, urgency, secrecy, page_count, signer_name, due_date)")),
            files: list[UploadedFile] = INCOMING_FILES):
        """Receive an incoming document with its files (scope documents:write, role clerk): state
        "đã đến, chờ vào sổ", as the clerk's "Tiếp nhận văn bản" page does. 201 with the document."""
        need(request, "documents:write")
        user = request.user
        agency = user.agency
        if agency is None:
            raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.", code="NO_AGENCY")

        def produce():
            require_role(user, agency.pk, Role.CLERK)
            data = _metadata(metadata)
            _refuse_before_storing(user, agency, files)
            first, rest = files[0], files[1:]
            with transaction.atomic():
                doc = workflow.receive_paper(user, agency, data, scan=first, scan_name=first.name,
                                             content_type=first.content_type or "application/pdf")
                for f in rest:
                    records.add_attachment(user, doc, f, f.name, content_type=f.content_type or "",
                                           kind=Attachment.Kind.APPENDIX)
            return 201, detail(doc)

        return idempotency.run(request, produce)

    @router.post("/documents/{document_id}/register", response={200: detail_schema, **write_errors}, auth=auth,
                 tags=["documents"])
    def register_incoming(request, body: RegisterIn | None = None, document_id: int = DOCUMENT_ID):
        """Register (vào sổ) an incoming document: its incoming number and date, as the clerk's
        page does (scope documents:write, role clerk). 409 DUPLICATE_INCOMING when it may be a
        document already received (send confirm_duplicate), 409 INVALID_STATE when already registered."""
        need(request, "documents:write")
        body = body or RegisterIn()

        def produce():
            doc = _document(request, document_id)
            if doc.direction != Direction.INCOMING:
                raise InvalidState("Chỉ vào sổ văn bản đến.", code="NOT_INCOMING")
            workflow.register(request.user, doc, confirm_duplicate=body.confirm_duplicate,
                              override_reason=body.override_reason)
            doc.refresh_from_db()
            return 200, detail(doc)

        return idempotency.run(request, produce)

    @router.post("/drafts", response={201: detail_schema, **write_errors}, auth=auth, tags=["drafts"])
    def create_draft(request, body: DraftIn):
        """Open a draft of an outgoing document with its recipients (scope drafts:write),
        as "Soạn văn bản" does; its file comes with POST /api/drafts/{id}/versions."""
        need(request, "drafts:write")
        user = request.user

        def produce():
            if user.agency_id is None:
                raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.", code="NO_AGENCY")
            data = {"subject": body.subject, "document_type": _document_type(body.document_type),
                    "urgency": body.urgency, "secrecy": body.secrecy}
            if body.due_date:
                data["due_date"] = body.due_date
            recipients = None
            if body.recipients is not None:
                r = body.recipients
                units = list(Unit.objects.filter(pk__in=[u for u in r.units if 0 < u <= MAX_ID],
                                                 agency_id=user.agency_id, active=True))
                agencies = list(Agency.objects.filter(code__in=r.agencies))
                if len(units) != len(set(r.units)) or len(agencies) != len(set(r.agencies)):
                    raise InvalidInput("Có nơi nhận không tìm thấy (đơn vị của cơ quan hoặc mã định danh cơ quan).",
                                       code="UNKNOWN_RECIPIENT")
                recipients = {"units": units, "agencies": agencies, "emails": r.emails, "papers": r.papers}
            doc = workflow.create_draft(user, data, recipients=recipients)
            return 201, detail(doc)

        return idempotency.run(request, produce)

    @router.post("/drafts/{document_id}/versions", response={201: VersionOut, **write_errors}, auth=auth,
                 tags=["drafts"])
    def add_version(request, document_id: int = DOCUMENT_ID,
                    file: UploadedFile = DRAFT_FILE,
                    note: str = Form("", max_length=1000)):
        """Add a version to a draft (scope drafts:write; its drafter, or the reviewer at their step)."""
        need(request, "drafts:write")

        def produce():
            _check_text(note, file.name)
            doc = _document(request, document_id)
            version = workflow.add_version(request.user, doc, file, file.name, note=note)
            return 201, {"document_id": doc.pk, "number": version.number, "name": version.name,
                         "sha256": version.blob_id, "size": version.blob.size, "file_kind": version.file_kind}

        return idempotency.run(request, produce)

    @router.post("/drafts/{document_id}/submit", response={200: detail_schema, **write_errors}, auth=auth,
                 tags=["drafts"])
    def submit(request, body: SubmitIn | None = None, document_id: int = DOCUMENT_ID):
        """Submit a draft for approval along the agency's chain (scope drafts:write; its drafter)."""
        need(request, "drafts:write")
        note = (body or SubmitIn()).note

        def produce():
            doc = _document(request, document_id)
            workflow.submit_for_review(request.user, doc, note=note)
            doc.refresh_from_db()
            return 200, detail(doc)

        return idempotency.run(request, produce)

    @router.get("/documents/{document_id}/recipients", response={200: RecipientList, 400: E, 401: E, 403: E,
                                                                 404: E, 409: E}, auth=auth, tags=["documents"])
    def recipients(request, document_id: int = DOCUMENT_ID):
        """Each recipient of an outgoing document and its delivery state (pending until released,
        then sent, delivered, accepted, assigned, processing, completed, rejected, failed, recalled)."""
        need(request, "documents:read")
        doc = _document(request, document_id)
        if doc.direction == Direction.INCOMING:
            raise InvalidState("Văn bản đến không có nơi nhận.", code="NOT_OUTGOING")
        rows = doc.recipients.select_related("unit", "agency").order_by("pk")
        return Status(200, {"document_id": doc.pk, "state": doc.state, "items": [
            {"id": r.pk, "kind": r.kind, "name": r.display_name, "organ_id": r.organ_id, "email": r.email,
             "for_info": r.for_info, "state": r.state, "state_label": str(r.get_state_display()),
             "status_code": r.status_code, "status_at": r.status_at} for r in rows]})

    @router.get("/notifications", response={200: NotificationList, 400: E, 401: E, 403: E}, auth=auth,
                tags=["notifications"])
    def list_notifications(request, unread: bool = False, page: int = Query(1, ge=1, le=MAX_ID // 50)):
        """The caller's notifications, newest first, 50 a page (`unread=true`: only those not read)."""
        need(request, "notifications:read")
        mine = Notification.objects.filter(user=request.user)
        shown = mine.filter(read_at__isnull=True) if unread else mine
        rows = shown.order_by("-created_at", "-id")[(page - 1) * 50:page * 50]
        return Status(200, {"total": shown.count(), "unread": notifications.unread_count(request.user),
                     "items": [_notification(n) for n in rows]})

    @router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **write_errors},
                 auth=auth, tags=["notifications"])
    def read_notification(request, notification_id: int = Path(..., ge=1, le=MAX_ID)):
        """Mark one of the caller's notifications read (scope notifications:read); another's is 404."""
        need(request, "notifications:read")

        def produce():
            found = Notification.objects.filter(user=request.user, pk=notification_id).first()
            if found is None:
                raise NotFound("Không tìm thấy thông báo.")
            notifications.mark_read(request.user, found.pk)
            found.refresh_from_db()
            return 200, _notification(found)

        return idempotency.run(request, produce)

    api.add_router("/", router)


def _notification(n: Notification) -> dict:
    return {"id": n.pk, "kind": n.kind, "message": n.message, "document_id": n.document_id,
            "created_at": n.created_at, "read_at": n.read_at}


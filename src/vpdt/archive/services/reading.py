"""Reading an archived dossier (phiếu yêu cầu đọc hồ sơ lưu trữ).

A member of the agency asks to read one of its archived dossiers, saying why; the archive
officer (Role.ARCHIVIST) approves, or refuses with a reason. An approved reader opens the
dossier's documents read-only; every opening sets `read_at` and writes the audit record
"archive.read", so the archive knows who read what, when. Only the agency's own members ask and
read; another agency's dossier is not found. A secret document opens only for a person who may
see it anyway (records.permissions).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vpdt.archive.models import ArchiveReading, Dossier, DossierState, ReadingState
from vpdt.core import audit
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.records.models import Document
from vpdt.records.permissions import can_view, require_role
from vpdt.workflow.notifications import notify

KIND = "archive_reading"


def _member(user, agency_id: int) -> bool:
    return bool(user and user.is_authenticated and agency_id in user.member_agency_ids())


def is_archivist(user, agency_id: int) -> bool:
    return _member(user, agency_id) and user.has_role(Role.ARCHIVIST, agency_id)


def archived_dossiers(user) -> QuerySet:
    """The archived dossiers a person may ask to read: those of their own agencies."""
    if user is None or not user.is_authenticated:
        return Dossier.objects.none()
    return Dossier.objects.filter(agency_id__in=user.member_agency_ids(), state=DossierState.ARCHIVED)


def get_archived(user, pk: int) -> Dossier:
    dossier = archived_dossiers(user).select_related("agency").filter(pk=pk).first()
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ lưu trữ.", detail=f"archived dossier {pk} not found for this caller")
    return dossier


def oversees(user, agency_id: int) -> bool:
    """The archive officer and the leader see all of the agency's requests (only the first decides)."""
    return _member(user, agency_id) and bool(user.role_set(agency_id) & {Role.ARCHIVIST, Role.LEADER})


def readings_for(user, agency_id: int | None = None) -> QuerySet:
    """The requests a person sees: all of the agency's for its archivist and its leader, otherwise
    their own; never another agency's."""
    qs = ArchiveReading.objects.select_related("dossier", "reader", "decided_by")
    if user is None or not user.is_authenticated:
        return qs.none()
    agencies = [agency_id] if agency_id is not None else sorted(user.member_agency_ids())
    archive_of = [a for a in agencies if oversees(user, a)]
    mine = qs.filter(reader=user, dossier__agency_id__in=agencies)
    if not archive_of:
        return mine
    return qs.filter(dossier__agency_id__in=archive_of) | mine


def get_reading(user, pk: int) -> ArchiveReading:
    reading = readings_for(user).filter(pk=pk).first()
    if reading is None:
        raise NotFound("Không tìm thấy yêu cầu đọc.", detail=f"reading {pk} not found for this caller")
    return reading


def _archivists(agency_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, role_assignments__agency_id=agency_id,
                                    role_assignments__role=Role.ARCHIVIST).distinct().order_by("id"))


def request_reading(user, dossier: Dossier, purpose: str) -> ArchiveReading:
    """Ask to read an archived dossier of one's own agency, with a purpose."""
    if not _member(user, dossier.agency_id):
        raise NotFound("Không tìm thấy hồ sơ lưu trữ.", detail=f"dossier {dossier.pk} of another agency")
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput("Cần ghi mục đích đọc hồ sơ.", code="READING_PURPOSE")
    if len(purpose) > 500:
        raise InvalidInput("Mục đích đọc hồ sơ dài quá 500 ký tự.", code="READING_PURPOSE")
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("agency").get(pk=dossier.pk)
        if dossier.state != DossierState.ARCHIVED:
            raise InvalidState("Chỉ yêu cầu đọc được hồ sơ đã nộp lưu.", code="READING_NOT_ARCHIVED")
        if ArchiveReading.objects.filter(dossier=dossier, reader=user, state=ReadingState.REQUESTED).exists():
            raise InvalidState("Bạn đã có yêu cầu đọc hồ sơ này đang chờ duyệt.", code="READING_PENDING")
        reading = ArchiveReading.objects.create(dossier=dossier, reader=user, purpose=purpose)
        audit.record("archive.read_request", reading, user=user, agency_code=dossier.agency.code,
                     detail={"dossier": dossier.code, "purpose": purpose})
        notify(_archivists(dossier.agency_id), None, KIND,
               f"{user.get_full_name() or user.get_username()} đề nghị đọc hồ sơ {dossier.code} – "
               f"{dossier.title[:200]}: {purpose[:200]}", key=f"{KIND}:{reading.pk}:requested")
    return reading


def decide(user, reading: ArchiveReading, *, approve: bool, reason: str = "") -> ArchiveReading:
    """The archivist approves a request, or refuses it with a reason."""
    dossier = reading.dossier
    if not _member(user, dossier.agency_id):
        raise NotFound("Không tìm thấy yêu cầu đọc.", detail=f"reading {reading.pk} of another agency")
    require_role(user, dossier.agency_id, Role.ARCHIVIST)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput("Cần ghi lý do không cho đọc.", code="READING_REASON")
    if len(reason) > 500:
        raise InvalidInput("Lý do dài quá 500 ký tự.", code="READING_REASON")
    with transaction.atomic():
        reading = ArchiveReading.objects.select_for_update().select_related("dossier__agency", "reader").get(
            pk=reading.pk)
        if reading.state != ReadingState.REQUESTED:
            raise InvalidState("Yêu cầu này đã được xử lý.", code="READING_DECIDED")
        if approve and reading.dossier.state != DossierState.ARCHIVED:
            raise InvalidState("Hồ sơ không còn trong kho lưu trữ.", code="READING_NOT_ARCHIVED")
        reading.state = ReadingState.APPROVED if approve else ReadingState.REFUSED
        reading.decided_by, reading.decided_at = user, timezone.now()
        reading.refusal_reason = "" if approve else reason
        reading.save(update_fields=["state", "decided_by", "decided_at", "refusal_reason"])
        audit.record("archive.read_approve" if approve else "archive.read_refuse", reading, user=user,
                     agency_code=reading.dossier.agency.code,
                     detail={"dossier": reading.dossier.code, **({} if approve else {"reason": reason})})
        text = (f"Được đọc hồ sơ lưu trữ {reading.dossier.code} – {reading.dossier.title[:200]}." if approve else
                f"Không được đọc hồ sơ lưu trữ {reading.dossier.code}: {reason[:250]}")
        notify([reading.reader], None, KIND, text, key=f"{KIND}:{reading.pk}:decided")
    return reading


def documents_of(reading: ArchiveReading) -> QuerySet:
    return (Document.objects.filter(dossier_items__dossier_id=reading.dossier_id)
            .select_related("document_type").order_by("dossier_items__order", "dossier_items__id"))


def may_read(user, reading: ArchiveReading) -> bool:
    return (reading.reader_id == getattr(user, "pk", None) and reading.state == ReadingState.APPROVED
            and reading.dossier.state == DossierState.ARCHIVED and _member(user, reading.dossier.agency_id))


def _check_may_read(user, reading: ArchiveReading) -> None:
    if reading.reader_id != getattr(user, "pk", None):
        raise PermissionDenied("Chỉ người được duyệt đọc mới mở được hồ sơ này.", code="READING_NOT_READER")
    if reading.state != ReadingState.APPROVED:
        raise PermissionDenied("Yêu cầu đọc chưa được duyệt.", code="READING_NOT_APPROVED")
    if reading.dossier.state != DossierState.ARCHIVED or not _member(user, reading.dossier.agency_id):
        raise PermissionDenied("Hồ sơ không còn trong kho lưu trữ.", code="READING_NOT_ARCHIVED")


def open_document(user, reading: ArchiveReading, document_id: int) -> Document:
    """An approved reader opens one document of the dossier (read-only): logged each time."""
    # The state as it is now (a refusal or a destruction since the object was read counts).
    reading = ArchiveReading.objects.select_related("dossier__agency").get(pk=reading.pk)
    _check_may_read(user, reading)
    document = documents_of(reading).filter(pk=document_id).first()
    if document is None:
        raise NotFound("Văn bản không có trong hồ sơ này.", detail=f"document {document_id} not in the dossier")
    if document.is_secret and not can_view(user, document):
        raise PermissionDenied("Văn bản mật: cần được cấp quyền xem riêng.", code="READING_SECRET")
    now = timezone.now()
    ArchiveReading.objects.filter(pk=reading.pk).update(read_at=now)
    reading.read_at = now
    audit.record("archive.read", reading.dossier, user=user, agency_code=reading.dossier.agency.code,
                 detail={"reading": reading.pk, "document": document.pk, "code": document.code or ""})
    return document


def read_log(user, agency_id: int, limit: int = 100) -> list[dict]:
    """Who read what, when: each opening of an archived document (the "archive.read" audit
    entries of the agency), newest first. For the archive officer and the leader."""
    from vpdt.core.models import AuditEntry
    from vpdt.directory.models import Agency

    require_role(user, agency_id, Role.ARCHIVIST, Role.LEADER)
    code = Agency.objects.filter(pk=agency_id).values_list("code", flat=True).first()
    entries = list(AuditEntry.objects.filter(action="archive.read", agency_code=code,
                                             object_type="archive.dossier").order_by("-at", "-id")[:limit])
    dossiers = Dossier.objects.in_bulk([int(e.object_id) for e in entries if e.object_id.isdigit()])
    documents = Document.objects.in_bulk([e.detail.get("document") for e in entries
                                          if isinstance(e.detail.get("document"), int)])
    rows = []
    for e in entries:
        dossier = dossiers.get(int(e.object_id)) if e.object_id.isdigit() else None
        document = documents.get(e.detail.get("document"))
        if dossier is None or dossier.agency_id != agency_id:
            continue
        rows.append({"at": e.at, "reader": e.actor_name, "dossier": dossier, "document": document})
    return rows

"""Disposal (hủy tài liệu hết giá trị): archived dossiers past their retention, proposed on a
list, approved by both the leader and the archive, then destroyed with a record kept.

The steps, each audited:

1. propose (the archive officer or a clerk): ARCHIVED dossiers of the agency whose retention
   (`end_date` + `retention_years`) has run out; a permanent dossier (retention empty) can
   never be proposed (DISPOSAL_PERMANENT);
2. submit: the list waits for the two approvals;
3. approve as leader (Role.LEADER) and approve as archive (Role.ARCHIVIST), in any order, by two
   different people; either may refuse with a reason, which ends the list (a new one can be made);
4. destroy (once both approved): each dossier becomes DESTROYED with `destroyed_at`; the list
   gets its record (biên bản hủy, a PDF: the dossiers with codes, titles, years, retention, who
   approved and when) stored as a blob.

What destroying keeps: the dossier's row (the record of what was destroyed, and when) and its
DossierItem links (what it held; the documents themselves are the agency's register entries,
which the registers of Phụ lục IV keep for ever). The stored files are NOT deleted: blobs are
content-addressed and shared (the same bytes may be a file of another document, of another
agency, or inside a transfer package), vpdt.core.blobs has no reference counting nor delete,
and a document still listed in the registers would lose its file. A destroyed dossier can no
longer be read (reading.py) nor proposed again.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vpdt.archive.models import DisposalItem, DisposalList, DisposalState, Dossier, DossierState
from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, NotFound
from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.records.permissions import require_role
from vpdt.workflow.notifications import notify

KIND = "archive_disposal"
PROPOSERS = (Role.ARCHIVIST, Role.CLERK)
ACTIVE = (DisposalState.DRAFT, DisposalState.SUBMITTED, DisposalState.APPROVED)
LEADER, ARCHIVE = "leader", "archive"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def retention_ends(dossier: Dossier) -> dt.date | None:
    """The last day of keeping: the closing note's end date (else the year's end) + the years;
    None for a permanent dossier."""
    if dossier.retention_years is None:
        return None
    end = dossier.end_date or dt.date(dossier.year, 12, 31)
    return _add_years(end, dossier.retention_years)


def is_past_retention(dossier: Dossier, today: dt.date) -> bool:
    ends = retention_ends(dossier)
    return ends is not None and ends < today


def past_retention(agency_id: int, today: dt.date | None = None) -> list[Dossier]:
    """The agency's archived dossiers whose retention has run out, oldest end first."""
    today = today or timezone.localdate()
    candidates = Dossier.objects.filter(agency_id=agency_id, state=DossierState.ARCHIVED,
                                        retention_years__isnull=False).order_by("year", "code")
    found = [d for d in candidates.iterator(chunk_size=500) if is_past_retention(d, today)]
    return sorted(found, key=lambda d: (retention_ends(d), d.code))


def listed_dossier_ids(agency_id: int) -> set[int]:
    """Dossiers already on a list still under way (not refused, not destroyed)."""
    return set(DisposalItem.objects.filter(disposal__agency_id=agency_id, disposal__state__in=ACTIVE)
               .values_list("dossier_id", flat=True))


def lists_for(user, agency_id: int) -> QuerySet:
    require_role(user, agency_id, Role.ARCHIVIST, Role.CLERK, Role.LEADER)
    return DisposalList.objects.filter(agency_id=agency_id).select_related(
        "proposed_by", "leader_approved_by", "archive_approved_by", "destroyed_by")


def get_list(user, pk: int) -> DisposalList:
    found = DisposalList.objects.select_related("agency").filter(pk=pk).first()
    if found is None or found.agency_id not in user.member_agency_ids():
        raise NotFound("Không tìm thấy danh sách hồ sơ đề nghị hủy.", detail=f"disposal {pk}")
    require_role(user, found.agency_id, Role.ARCHIVIST, Role.CLERK, Role.LEADER)
    return found


def _people(agency_id: int, role: str) -> list[User]:
    return list(User.objects.filter(is_active=True, role_assignments__agency_id=agency_id,
                                    role_assignments__role=role).distinct().order_by("id"))


def propose(user, agency: Agency, dossier_ids: Iterable[int], *, note: str = "",
            today: dt.date | None = None) -> DisposalList:
    """A new list (draft) of the agency's archived dossiers past retention."""
    require_role(user, agency.pk, *PROPOSERS)
    today = today or timezone.localdate()
    ids = sorted({int(i) for i in dossier_ids})
    if not ids:
        raise InvalidInput("Chọn ít nhất một hồ sơ đề nghị hủy.", code="DISPOSAL_EMPTY")
    with transaction.atomic():
        dossiers = list(Dossier.objects.select_for_update().filter(pk__in=ids, agency=agency).order_by("year", "code"))
        if len(dossiers) != len(ids):
            raise NotFound("Có hồ sơ không thuộc cơ quan hoặc không tồn tại.", code="DISPOSAL_UNKNOWN_DOSSIER")
        listed = listed_dossier_ids(agency.pk)
        for d in dossiers:
            if d.retention_years is None:
                raise InvalidInput(f"Hồ sơ {d.code} bảo quản vĩnh viễn: không được đề nghị hủy.",
                                   code="DISPOSAL_PERMANENT")
            if d.state != DossierState.ARCHIVED:
                raise InvalidState(f"Hồ sơ {d.code} chưa nộp lưu hoặc đã hủy: chỉ hủy hồ sơ đang lưu trữ.",
                                   code="DISPOSAL_NOT_ARCHIVED")
            if not is_past_retention(d, today):
                raise InvalidState(f"Hồ sơ {d.code} còn thời hạn bảo quản (đến {retention_ends(d):%d/%m/%Y}).",
                                   code="DISPOSAL_NOT_DUE")
            if d.pk in listed:
                raise InvalidState(f"Hồ sơ {d.code} đã có trong một danh sách đề nghị hủy khác.",
                                   code="DISPOSAL_ALREADY_LISTED")
        disposal = DisposalList.objects.create(agency=agency, proposed_by=user, note=(note or "").strip()[:2000])
        DisposalItem.objects.bulk_create([DisposalItem(disposal=disposal, dossier=d) for d in dossiers])
        audit.record("disposal.propose", disposal, user=user, detail={"dossiers": [d.code for d in dossiers]})
    return disposal


def _locked(disposal: DisposalList) -> DisposalList:
    return DisposalList.objects.select_for_update().select_related("agency").get(pk=disposal.pk)


def submit(user, disposal: DisposalList) -> DisposalList:
    require_role(user, disposal.agency_id, *PROPOSERS)
    with transaction.atomic():
        disposal = _locked(disposal)
        if disposal.state != DisposalState.DRAFT:
            raise InvalidState("Danh sách đã được gửi duyệt.", code="DISPOSAL_NOT_DRAFT")
        disposal.state = DisposalState.SUBMITTED
        disposal.save(update_fields=["state"])
        audit.record("disposal.submit", disposal, user=user)
        count = disposal.items.count()
        notify(_people(disposal.agency_id, Role.LEADER) + _people(disposal.agency_id, Role.ARCHIVIST), None, KIND,
               f"Danh sách {count} hồ sơ hết thời hạn bảo quản đề nghị hủy chờ duyệt.",
               key=f"{KIND}:{disposal.pk}:submitted")
    return disposal


def approve(user, disposal: DisposalList, side: str) -> DisposalList:
    """One of the two approvals: `side` is LEADER (Role.LEADER) or ARCHIVE (Role.ARCHIVIST)."""
    if side not in (LEADER, ARCHIVE):
        raise InvalidInput("Bên duyệt không hợp lệ.", code="DISPOSAL_SIDE")
    require_role(user, disposal.agency_id, Role.LEADER if side == LEADER else Role.ARCHIVIST)
    with transaction.atomic():
        disposal = _locked(disposal)
        if disposal.state != DisposalState.SUBMITTED:
            raise InvalidState("Danh sách không ở trạng thái chờ duyệt.", code="DISPOSAL_NOT_SUBMITTED")
        other = disposal.archive_approved_by_id if side == LEADER else disposal.leader_approved_by_id
        if (disposal.leader_approved_by_id if side == LEADER else disposal.archive_approved_by_id):
            raise InvalidState("Bên này đã duyệt danh sách.", code="DISPOSAL_ALREADY_APPROVED")
        if other == user.pk:
            raise InvalidState("Hai bên duyệt phải là hai người khác nhau.", code="DISPOSAL_SAME_PERSON")
        now = timezone.now()
        if side == LEADER:
            disposal.leader_approved_by, disposal.leader_approved_at = user, now
        else:
            disposal.archive_approved_by, disposal.archive_approved_at = user, now
        if disposal.leader_approved_by_id and disposal.archive_approved_by_id:
            disposal.state = DisposalState.APPROVED
        disposal.save(update_fields=["leader_approved_by", "leader_approved_at", "archive_approved_by",
                                     "archive_approved_at", "state"])
        audit.record("disposal.approve_leader" if side == LEADER else "disposal.approve_archive", disposal,
                     user=user)
    return disposal


def refuse(user, disposal: DisposalList, reason: str) -> DisposalList:
    """The leader or the archive refuses the list, with a reason; the list ends there."""
    require_role(user, disposal.agency_id, Role.LEADER, Role.ARCHIVIST)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Cần ghi lý do không duyệt.", code="DISPOSAL_REASON")
    with transaction.atomic():
        disposal = _locked(disposal)
        if disposal.state != DisposalState.SUBMITTED:
            raise InvalidState("Danh sách không ở trạng thái chờ duyệt.", code="DISPOSAL_NOT_SUBMITTED")
        disposal.state = DisposalState.REFUSED
        name = user.get_full_name() or user.get_username()
        line = f"Không duyệt ({name}, {timezone.localdate():%d/%m/%Y}): {reason[:1000]}"
        disposal.note = f"{disposal.note}\n{line}".strip()
        disposal.save(update_fields=["state", "note"])
        audit.record("disposal.refuse", disposal, user=user, detail={"reason": reason[:1000]})
        if disposal.proposed_by_id:
            notify([disposal.proposed_by], None, KIND, f"Danh sách hồ sơ đề nghị hủy không được duyệt: {reason[:300]}",
                   key=f"{KIND}:{disposal.pk}:refused")
    return disposal


def destroy(user, disposal: DisposalList) -> DisposalList:
    """Destroy the dossiers of a list both sides approved, and keep the record (biên bản hủy)."""
    require_role(user, disposal.agency_id, *PROPOSERS)
    with transaction.atomic():
        disposal = _locked(disposal)
        if (disposal.state != DisposalState.APPROVED or not disposal.leader_approved_by_id
                or not disposal.archive_approved_by_id):
            raise InvalidState("Danh sách chưa được cả lãnh đạo và lưu trữ duyệt: chưa được hủy.",
                               code="DISPOSAL_NOT_APPROVED")
        items = list(disposal.items.select_related("dossier").order_by("dossier__year", "dossier__code"))
        dossiers = [Dossier.objects.select_for_update().get(pk=i.dossier_id) for i in items]
        for d in dossiers:
            if d.state != DossierState.ARCHIVED:
                raise InvalidState(f"Hồ sơ {d.code} không còn trong kho lưu trữ.", code="DISPOSAL_NOT_ARCHIVED")
        now = timezone.now()
        disposal.destroyed_by, disposal.destroyed_at = user, now
        disposal.record = _record_pdf(disposal, dossiers)
        for d in dossiers:
            d.state, d.destroyed_at = DossierState.DESTROYED, now
            d.save(update_fields=["state", "destroyed_at"])
            audit.record("disposal.destroy", d, user=user, detail={"disposal": disposal.pk})
        disposal.state = DisposalState.DESTROYED
        disposal.save(update_fields=["state", "destroyed_by", "destroyed_at", "record"])
        audit.record("disposal.destroy", disposal, user=user,
                     detail={"dossiers": [d.code for d in dossiers], "record": disposal.record_id})
    return disposal


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def _record_pdf(disposal: DisposalList, dossiers: list[Dossier]):
    """The biên bản hủy as a PDF (reportlab, DejaVu Sans), written to a temporary file and stored."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from vpdt.core.pdf_fonts import dejavu_sans

    regular, bold = dejavu_sans()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=11)
    head = ParagraphStyle("head", fontName=bold, fontSize=8.5, leading=11)
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=1)

    def p(text, style=cell):
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    agency = disposal.agency
    rows = [[p("STT", head), p("Mã hồ sơ", head), p("Tiêu đề hồ sơ", head), p("Năm", head),
             p("Thời hạn bảo quản", head), p("Hết hạn", head)]]
    for n, d in enumerate(dossiers, 1):
        ends = retention_ends(d)
        rows.append([p(n), p(d.code), p(d.title), p(d.year), p(d.retention_label),
                     p(f"{ends:%d/%m/%Y}" if ends else "")])
    fd, path = tempfile.mkstemp(prefix="bien-ban-huy-", suffix=".pdf")
    os.close(fd)
    try:
        doc = SimpleDocTemplate(path, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                bottomMargin=18 * mm, title="Biên bản hủy tài liệu hết giá trị",
                                author=agency.name)
        table = Table(rows, colWidths=[9 * mm, 50 * mm, 55 * mm, 12 * mm, 24 * mm, 24 * mm], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story = [
            p(agency.name, body), Spacer(1, 6 * mm),
            p("BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ", title), Spacer(1, 4 * mm),
            p(f"Danh sách số {disposal.pk}; lập bởi {_name(disposal.proposed_by)} lúc {_local(disposal.created_at)}.",
              body),
            p(f"Lãnh đạo cơ quan duyệt: {_name(disposal.leader_approved_by)} lúc "
              f"{_local(disposal.leader_approved_at)}.", body),
            p(f"Lưu trữ cơ quan duyệt: {_name(disposal.archive_approved_by)} lúc "
              f"{_local(disposal.archive_approved_at)}.", body),
            p(f"Thực hiện hủy: {_name(disposal.destroyed_by)} lúc {_local(disposal.destroyed_at)}.", body),
            p(f"Số hồ sơ hủy: {len(dossiers)}.", body),
            Spacer(1, 4 * mm), table,
        ]
        if disposal.note:
            story += [Spacer(1, 4 * mm), p(f"Ghi chú: {disposal.note}", body)]
        doc.build(story)
        return blobs.store_path(path, max_bytes=512 * 1024 * 1024)
    finally:
        os.unlink(path)

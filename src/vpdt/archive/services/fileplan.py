"""The file plan (danh mục hồ sơ) of an agency for a year, Decree 30 điều 28 and Phụ lục V.

The clerk drafts it (empty, or from an earlier year's plan: the entries copied, "năm 2026" in
their titles made "năm 2027"), adds, edits, deletes and reorders entries while it is a draft
or returned, then submits it; a leader of the agency approves it or returns it with a reason;
the clerk publishes it to the units (the people named responsible are notified). Once
published, the person responsible for an entry (or the clerk) opens its dossier, coded
`<agency code>.<year>.<notation>`. Everyone in the agency reads a published plan; the clerk,
the leaders and the archive officer also read it before. Every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from vpdt.archive.models import Dossier, FilePlan, FilePlanEntry, FilePlanState, RetentionPeriod
from vpdt.core import audit
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.directory.models import Agency, RoleAssignment, Unit, User
from vpdt.directory.roles import Role
from vpdt.workflow.notifications import notify

EDITABLE = (FilePlanState.DRAFT, FilePlanState.RETURNED)
# Who reads a plan before it is published.
DRAFT_READERS = {Role.CLERK, Role.LEADER, Role.ARCHIVIST, Role.AGENCY_ADMIN}
# A notation is the last part of a dossier code: letters, digits and . - _ / (no spaces).
NOTATION = re.compile(r"^[\w.\-/]+$")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_RETENTION_YEARS = 100


# --------------------------------------------------------------------------- permissions
def _member(user, agency_id: int) -> bool:
    return bool(user and user.is_authenticated and user.is_active and agency_id in user.member_agency_ids())


def may_read(user, plan: FilePlan) -> bool:
    if not _member(user, plan.agency_id):
        return False
    return plan.state == FilePlanState.PUBLISHED or bool(user.role_set(plan.agency_id) & DRAFT_READERS)


def may_draft(user, agency: Agency | int) -> bool:
    agency_id = agency.pk if isinstance(agency, Agency) else agency
    return _member(user, agency_id) and user.has_role(Role.CLERK, agency_id)


def may_edit(user, plan: FilePlan) -> bool:
    return plan.state in EDITABLE and may_draft(user, plan.agency_id)


def may_decide(user, plan: FilePlan) -> bool:
    """A leader of the agency approves or returns a submitted plan."""
    return plan.state == FilePlanState.SUBMITTED and _member(user, plan.agency_id) \
        and user.has_role(Role.LEADER, plan.agency_id)


def may_publish(user, plan: FilePlan) -> bool:
    return plan.state == FilePlanState.APPROVED and may_draft(user, plan.agency_id)


def may_open_dossier(user, entry: FilePlanEntry) -> bool:
    """The person responsible for the entry, or (no one named) a member of its unit, or the clerk."""
    plan = entry.plan
    if plan.state != FilePlanState.PUBLISHED or not _member(user, plan.agency_id):
        return False
    if user.has_role(Role.CLERK, plan.agency_id):
        return True
    if entry.owner_id:
        return entry.owner_id == user.pk
    return bool(entry.unit_id) and entry.unit_id == user.unit_id


def _need(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _need_editable(user, plan: FilePlan) -> None:
    _need(may_draft(user, plan.agency_id), "Chỉ văn thư của cơ quan được lập, sửa danh mục hồ sơ.")
    if plan.state not in EDITABLE:
        raise InvalidState("Danh mục hồ sơ đã trình hoặc đã duyệt: không sửa được nữa.", code="FILE_PLAN_LOCKED")


# --------------------------------------------------------------------------- reading
def plans_for(user, agency: Agency | None = None) -> list[FilePlan]:
    """The plans of the person's agency they may read, newest year first."""
    agency_id = agency.pk if agency else user.agency_id
    if agency_id is None or not _member(user, agency_id):
        return []
    plans = FilePlan.objects.filter(agency_id=agency_id).select_related("agency", "based_on").order_by("-year")
    if not user.role_set(agency_id) & DRAFT_READERS:
        plans = plans.filter(state=FilePlanState.PUBLISHED)
    return list(plans)


def get_plan(user, year: int, agency: Agency | None = None) -> FilePlan:
    agency_id = agency.pk if agency else user.agency_id
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NotFound(f"Cơ quan chưa có danh mục hồ sơ năm {year}.", code="FILE_PLAN_NOT_FOUND")
    plan = FilePlan.objects.select_related("agency", "drafted_by", "approved_by", "based_on").filter(
        agency_id=agency_id, year=year).first()
    if plan is None:
        raise NotFound(f"Cơ quan chưa có danh mục hồ sơ năm {year}.", code="FILE_PLAN_NOT_FOUND")
    _need(may_read(user, plan), "Danh mục hồ sơ chưa ban hành: chỉ văn thư, lãnh đạo và lưu trữ xem được.")
    return plan


def entries_of(plan: FilePlan) -> list[FilePlanEntry]:
    return list(plan.entries.select_related("unit", "owner", "retention").order_by("order", "id"))


@dataclass
class Heading:
    title: str
    entries: list


def grouped(plan: FilePlan) -> list[Heading]:
    """The entries under their headings, in order (a heading starts where its first entry is)."""
    groups: list[Heading] = []
    index: dict[str, Heading] = {}
    for entry in entries_of(plan):
        group = index.get(entry.heading)
        if group is None:
            group = index[entry.heading] = Heading(entry.heading, [])
            groups.append(group)
        group.entries.append(entry)
    return groups


def last_return_reason(plan: FilePlan) -> str:
    """Why the leader returned the plan the last time (from the audit log)."""
    for entry in reversed(audit.history(plan)):
        if entry.action == "file_plan.return":
            return (entry.detail or {}).get("reason", "")
    return ""


# --------------------------------------------------------------------------- creating
def _bump_year(text: str, old: int, new: int) -> str:
    """"năm 2026" (any case) becomes "năm 2027"; other numbers stay."""
    return re.sub(rf"(?i)(\bnăm\s+){old}\b", lambda m: f"{m.group(1)}{new}", text)


def create_plan(user, year: int, *, based_on: FilePlan | None = None, agency: Agency | None = None,
                note: str = "") -> FilePlan:
    """A draft plan for `year`: empty, or the entries of `based_on` (an earlier plan of the same
    agency) copied with their headings, notations, titles (the year bumped), retention, unit
    and person responsible (when still active in the agency)."""
    agency = agency or user.agency
    if agency is None:
        raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.")
    _need(may_draft(user, agency), "Chỉ văn thư của cơ quan được lập danh mục hồ sơ.")
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"Năm của danh mục phải từ {MIN_YEAR} đến {MAX_YEAR}.", code="FILE_PLAN_YEAR")
    if based_on is not None:
        if based_on.agency_id != agency.pk:
            raise PermissionDenied("Danh mục dùng làm mẫu không thuộc cơ quan của bạn.")
        if based_on.year >= year:
            raise InvalidInput("Chỉ lập được từ danh mục của một năm trước.", code="FILE_PLAN_BASE_YEAR")
    if FilePlan.objects.filter(agency=agency, year=year).exists():
        raise InvalidInput(f"Cơ quan đã có danh mục hồ sơ năm {year}.", code="FILE_PLAN_EXISTS")
    try:
        with transaction.atomic():
            plan = FilePlan.objects.create(agency=agency, year=year, drafted_by=user, based_on=based_on,
                                           note=note.strip())
            copied = _copy_entries(based_on, plan) if based_on is not None else 0
            audit.record("file_plan.create", plan, user=user, agency_code=agency.code,
                         detail={"year": year, "based_on": based_on.year if based_on else None, "entries": copied})
    except IntegrityError as exc:  # the same year created concurrently
        raise InvalidInput(f"Cơ quan đã có danh mục hồ sơ năm {year}.", code="FILE_PLAN_EXISTS") from exc
    return plan


def _copy_entries(source: FilePlan, plan: FilePlan) -> int:
    agency_id = plan.agency_id
    members = set(User.objects.filter(is_active=True, agency_id=agency_id).values_list("pk", flat=True))
    members |= set(RoleAssignment.objects.filter(agency_id=agency_id, user__is_active=True)
                   .values_list("user_id", flat=True))
    rows = []
    for n, entry in enumerate(entries_of(source), start=1):
        unit = entry.unit if entry.unit and entry.unit.active and entry.unit.agency_id == agency_id else None
        rows.append(FilePlanEntry(
            plan=plan, heading=entry.heading, notation=entry.notation,
            title=_bump_year(entry.title, source.year, plan.year), retention=entry.retention,
            retention_years=entry.retention_years, unit=unit,
            owner_id=entry.owner_id if entry.owner_id in members else None, note=entry.note, order=n))
    FilePlanEntry.objects.bulk_create(rows)
    return len(rows)


# --------------------------------------------------------------------------- entries
def _clean_entry(plan: FilePlan, *, heading: str, notation: str, title: str, retention: RetentionPeriod | None,
                 retention_years: int | None, permanent: bool, unit: Unit | None, owner: User | None,
                 note: str, exclude: int | None = None) -> dict:
    heading, notation, title, note = (heading or "").strip(), (notation or "").strip(), (title or "").strip(), \
        (note or "").strip()
    if not heading:
        raise InvalidInput("Cần tên đề mục.", code="FILE_PLAN_HEADING_REQUIRED")
    if not title:
        raise InvalidInput("Cần tiêu đề hồ sơ.", code="FILE_PLAN_TITLE_REQUIRED")
    if not notation:
        raise InvalidInput("Cần số, ký hiệu hồ sơ.", code="FILE_PLAN_NOTATION_REQUIRED")
    if len(notation) > 40 or not NOTATION.match(notation):
        raise InvalidInput("Số, ký hiệu hồ sơ chỉ gồm chữ, số và các dấu . - _ / (không có khoảng trắng).",
                           code="FILE_PLAN_NOTATION_INVALID")
    taken = plan.entries.filter(notation__iexact=notation)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise InvalidInput(f"Số, ký hiệu {notation} đã có trong danh mục.", code="FILE_PLAN_NOTATION_TAKEN")
    if retention is not None:
        years = retention.years
    elif permanent:
        years = None
    elif retention_years is not None and 1 <= retention_years <= MAX_RETENTION_YEARS:
        years = retention_years
    elif retention_years is not None:
        raise InvalidInput(f"Số năm bảo quản phải từ 1 đến {MAX_RETENTION_YEARS}.",
                           code="FILE_PLAN_RETENTION_INVALID")
    else:
        raise InvalidInput("Chọn thời hạn bảo quản theo bảng hoặc ghi số năm (hoặc vĩnh viễn).",
                           code="FILE_PLAN_RETENTION_REQUIRED")
    if unit is not None and unit.agency_id != plan.agency_id:
        raise InvalidInput("Đơn vị lập hồ sơ không thuộc cơ quan.", code="FILE_PLAN_UNIT")
    if owner is not None and plan.agency_id not in owner.member_agency_ids():
        raise InvalidInput("Người lập hồ sơ không thuộc cơ quan.", code="FILE_PLAN_OWNER")
    return {"heading": heading[:255], "notation": notation, "title": title[:500], "retention": retention,
            "retention_years": years, "unit": unit, "owner": owner, "note": note[:255]}


def _snapshot(entry: FilePlanEntry) -> dict:
    return {"heading": entry.heading, "notation": entry.notation, "title": entry.title,
            "retention": entry.retention_label, "unit": entry.unit.name if entry.unit else "",
            "owner": str(entry.owner) if entry.owner else "", "note": entry.note}


def _renumber(plan: FilePlan) -> list[FilePlanEntry]:
    """Orders 1..n in the current order (ties and gaps from older writes removed)."""
    entries = list(plan.entries.order_by("order", "id"))
    changed = []
    for n, entry in enumerate(entries, start=1):
        if entry.order != n:
            entry.order = n
            changed.append(entry)
    if changed:
        FilePlanEntry.objects.bulk_update(changed, ["order"])
    return entries


def add_entry(user, plan: FilePlan, *, heading: str, notation: str, title: str,
              retention: RetentionPeriod | None = None, retention_years: int | None = None, permanent: bool = False,
              unit: Unit | None = None, owner: User | None = None, note: str = "") -> FilePlanEntry:
    """A new entry, placed after the last entry of its heading (at the end for a new heading)."""
    with transaction.atomic():
        plan = FilePlan.objects.select_for_update().select_related("agency").get(pk=plan.pk)
        _need_editable(user, plan)
        fields = _clean_entry(plan, heading=heading, notation=notation, title=title, retention=retention,
                              retention_years=retention_years, permanent=permanent, unit=unit, owner=owner,
                              note=note)
        entries = _renumber(plan)
        same = [e.order for e in entries if e.heading == fields["heading"]]
        order = max(same) + 1 if same else len(entries) + 1
        plan.entries.filter(order__gte=order).update(order=F("order") + 1)
        entry = FilePlanEntry.objects.create(plan=plan, order=order, **fields)
        audit.record("file_plan.entry_add", plan, user=user, agency_code=plan.agency.code,
                     detail={"after": _snapshot(entry)})
    return entry


def update_entry(user, entry: FilePlanEntry, *, heading: str, notation: str, title: str,
                 retention: RetentionPeriod | None = None, retention_years: int | None = None,
                 permanent: bool = False, unit: Unit | None = None, owner: User | None = None,
                 note: str = "") -> FilePlanEntry:
    with transaction.atomic():
        plan = FilePlan.objects.select_for_update().select_related("agency").get(pk=entry.plan_id)
        _need_editable(user, plan)
        entry = FilePlanEntry.objects.select_related("unit", "owner").get(pk=entry.pk)
        fields = _clean_entry(plan, heading=heading, notation=notation, title=title, retention=retention,
                              retention_years=retention_years, permanent=permanent, unit=unit, owner=owner,
                              note=note, exclude=entry.pk)
        before = _snapshot(entry)
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.save()
        after = _snapshot(entry)
        if after != before:
            audit.record("file_plan.entry_update", plan, user=user, agency_code=plan.agency.code,
                         detail={"before": before, "after": after})
    return entry


def delete_entry(user, entry: FilePlanEntry) -> None:
    with transaction.atomic():
        plan = FilePlan.objects.select_for_update().select_related("agency").get(pk=entry.plan_id)
        _need_editable(user, plan)
        entry = FilePlanEntry.objects.select_related("unit", "owner").get(pk=entry.pk)
        before = _snapshot(entry)
        entry.delete()
        _renumber(plan)
        audit.record("file_plan.entry_delete", plan, user=user, agency_code=plan.agency.code,
                     detail={"before": before})


def move_entry(user, entry: FilePlanEntry, step: int) -> None:
    """Moves an entry up (step -1) or down (+1) by one place; at either end nothing changes."""
    if step not in (-1, 1):
        raise InvalidInput("Chỉ chuyển lên hoặc xuống một dòng.", code="FILE_PLAN_MOVE")
    with transaction.atomic():
        plan = FilePlan.objects.select_for_update().select_related("agency").get(pk=entry.plan_id)
        _need_editable(user, plan)
        entries = _renumber(plan)
        index = next((i for i, e in enumerate(entries) if e.pk == entry.pk), None)
        if index is None:
            raise NotFound("Không tìm thấy dòng này trong danh mục.", code="FILE_PLAN_ENTRY_NOT_FOUND")
        other = index + step
        if not 0 <= other < len(entries):
            return
        a, b = entries[index], entries[other]
        a.order, b.order = b.order, a.order
        FilePlanEntry.objects.bulk_update([a, b], ["order"])
        audit.record("file_plan.entry_move", plan, user=user, agency_code=plan.agency.code,
                     detail={"notation": a.notation, "order": a.order})


def reorder(user, plan: FilePlan, entry_ids: list[int]) -> None:
    """Puts the entries in the given order (every entry of the plan, each once)."""
    with transaction.atomic():
        plan = FilePlan.objects.select_for_update().select_related("agency").get(pk=plan.pk)
        _need_editable(user, plan)
        entries = {e.pk: e for e in plan.entries.all()}
        if sorted(entry_ids) != sorted(entries):
            raise InvalidInput("Thứ tự mới phải gồm đúng các dòng của danh mục.", code="FILE_PLAN_REORDER")
        for n, pk in enumerate(entry_ids, start=1):
            entries[pk].order = n
        FilePlanEntry.objects.bulk_update(list(entries.values()), ["order"])
        audit.record("file_plan.reorder", plan, user=user, agency_code=plan.agency.code,
                     detail={"items": [entries[pk].notation for pk in entry_ids]})


# --------------------------------------------------------------------------- life
def _locked(plan: FilePlan) -> FilePlan:
    return FilePlan.objects.select_for_update().select_related("agency").get(pk=plan.pk)


def _leaders(agency_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, role_assignments__agency_id=agency_id,
                                    role_assignments__role=Role.LEADER).distinct())


def submit(user, plan: FilePlan) -> FilePlan:
    with transaction.atomic():
        plan = _locked(plan)
        _need_editable(user, plan)
        if not plan.entries.exists():
            raise InvalidState("Danh mục chưa có hồ sơ nào.", code="FILE_PLAN_EMPTY")
        plan.state = FilePlanState.SUBMITTED
        plan.save(update_fields=["state"])
        audit.record("file_plan.submit", plan, user=user, agency_code=plan.agency.code)
        notify(_leaders(plan.agency_id), None, "file_plan_submitted",
               f"Danh mục hồ sơ năm {plan.year} chờ lãnh đạo duyệt.")
    return plan


def approve(user, plan: FilePlan) -> FilePlan:
    with transaction.atomic():
        plan = _locked(plan)
        _need(_member(user, plan.agency_id) and user.has_role(Role.LEADER, plan.agency_id),
              "Chỉ lãnh đạo cơ quan được duyệt danh mục hồ sơ.")
        if plan.state != FilePlanState.SUBMITTED:
            raise InvalidState("Danh mục hồ sơ không ở trạng thái chờ duyệt.", code="FILE_PLAN_NOT_SUBMITTED")
        plan.state, plan.approved_by, plan.approved_at = FilePlanState.APPROVED, user, timezone.now()
        plan.save(update_fields=["state", "approved_by", "approved_at"])
        audit.record("file_plan.approve", plan, user=user, agency_code=plan.agency.code)
        notify([plan.drafted_by], None, "file_plan_approved",
               f"Danh mục hồ sơ năm {plan.year} đã được duyệt: văn thư ban hành đến các đơn vị.")
    return plan


def return_plan(user, plan: FilePlan, reason: str) -> FilePlan:
    reason = (reason or "").strip()
    with transaction.atomic():
        plan = _locked(plan)
        _need(_member(user, plan.agency_id) and user.has_role(Role.LEADER, plan.agency_id),
              "Chỉ lãnh đạo cơ quan được trả lại danh mục hồ sơ.")
        if plan.state != FilePlanState.SUBMITTED:
            raise InvalidState("Danh mục hồ sơ không ở trạng thái chờ duyệt.", code="FILE_PLAN_NOT_SUBMITTED")
        if not reason:
            raise InvalidInput("Ghi lý do trả lại để văn thư sửa.", code="FILE_PLAN_REASON_REQUIRED")
        plan.state = FilePlanState.RETURNED
        plan.save(update_fields=["state"])
        audit.record("file_plan.return", plan, user=user, agency_code=plan.agency.code,
                     detail={"reason": reason[:1000]})
        notify([plan.drafted_by], None, "file_plan_returned",
               f"Danh mục hồ sơ năm {plan.year} bị trả lại: {reason}")
    return plan


def publish(user, plan: FilePlan) -> FilePlan:
    """Published to the units: each person named responsible for an entry (or, for an entry
    with a unit and no one named, the unit's heads) is notified."""
    with transaction.atomic():
        plan = _locked(plan)
        _need(may_draft(user, plan.agency_id), "Chỉ văn thư của cơ quan được ban hành danh mục hồ sơ.")
        if plan.state != FilePlanState.APPROVED:
            raise InvalidState("Danh mục hồ sơ phải được lãnh đạo duyệt trước khi ban hành.",
                               code="FILE_PLAN_NOT_APPROVED")
        plan.state, plan.published_at = FilePlanState.PUBLISHED, timezone.now()
        plan.save(update_fields=["state", "published_at"])
        counts: dict[int, int] = {}
        people: dict[int, User] = {}
        for entry in plan.entries.select_related("owner", "unit"):
            if entry.owner_id:
                named = [entry.owner]
            elif entry.unit_id:
                named = list(User.objects.filter(is_active=True, unit_id=entry.unit_id,
                                                 role_assignments__agency_id=plan.agency_id,
                                                 role_assignments__role=Role.UNIT_HEAD).distinct())
            else:
                named = []
            for person in named:
                people[person.pk] = person
                counts[person.pk] = counts.get(person.pk, 0) + 1
        for pk, person in people.items():
            notify([person], None, "file_plan_published",
                   f"Danh mục hồ sơ năm {plan.year} đã ban hành: bạn phụ trách lập {counts[pk]} hồ sơ.",
                   key=f"file_plan:{plan.pk}:published")
        audit.record("file_plan.publish", plan, user=user, agency_code=plan.agency.code,
                     detail={"notified": len(people)})
    return plan


# --------------------------------------------------------------------------- dossiers
def dossier_code(entry: FilePlanEntry) -> str:
    return f"{entry.plan.agency.code}.{entry.plan.year}.{entry.notation}"


def open_dossier_from_entry(user, entry: FilePlanEntry) -> Dossier:
    """Opens the dossier of a published plan's entry: code `<agency code>.<year>.<notation>`,
    the title, unit, person responsible and retention of the entry."""
    entry = FilePlanEntry.objects.select_related("plan__agency", "unit", "owner").get(pk=entry.pk)
    plan = entry.plan
    if plan.state != FilePlanState.PUBLISHED:
        raise InvalidState("Danh mục hồ sơ chưa ban hành: chưa mở được hồ sơ.", code="FILE_PLAN_NOT_PUBLISHED")
    _need(may_open_dossier(user, entry), "Chỉ người được giao lập hồ sơ này hoặc văn thư được mở hồ sơ.")
    code = dossier_code(entry)
    if Dossier.objects.filter(code=code).exists():
        raise InvalidState(f"Hồ sơ {code} đã được mở.", code="DOSSIER_ALREADY_OPEN")
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                agency=plan.agency, plan_entry=entry, code=code, title=entry.title, year=plan.year,
                unit=entry.unit or (entry.owner.unit if entry.owner else None), owner=entry.owner or user,
                retention_years=entry.retention_years)
            audit.record("file_plan.open_dossier", dossier, user=user, agency_code=plan.agency.code,
                         detail={"code": code, "plan": plan.year, "notation": entry.notation})
    except IntegrityError as exc:  # opened concurrently
        raise InvalidState(f"Hồ sơ {code} đã được mở.", code="DOSSIER_ALREADY_OPEN") from exc
    return dossier


def opened(plan: FilePlan) -> dict[int, Dossier]:
    """The dossiers already opened from the plan's entries, by entry id."""
    return {d.plan_entry_id: d for d in Dossier.objects.filter(plan_entry__plan=plan).order_by("id")}


def retention_choices() -> list[RetentionPeriod]:
    return list(RetentionPeriod.objects.order_by("order", "code"))


def next_free_year(plans: list[FilePlan]) -> int:
    years = {p.year for p in plans}
    year = timezone.localdate().year
    while year in years:
        year += 1
    return year


__all__ = ["add_entry", "approve", "create_plan", "delete_entry", "dossier_code", "entries_of", "get_plan",
           "grouped", "may_decide", "may_draft", "may_edit", "may_open_dossier", "may_publish", "may_read",
           "move_entry", "open_dossier_from_entry", "opened", "plans_for", "publish", "reorder", "return_plan",
           "submit", "update_entry"]


# --------------------------------------------------------------------------- export
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The columns of Decree 30 Phụ lục V (mẫu danh mục hồ sơ), with their relative widths.
COLUMNS = [("Số và ký hiệu hồ sơ", 14), ("Tên đề mục và tiêu đề hồ sơ", 50), ("Thời hạn bảo quản", 12),
           ("Đơn vị/người lập hồ sơ", 24), ("Ghi chú", 16)]


def responsible_label(entry: FilePlanEntry) -> str:
    return " – ".join(str(x) for x in (entry.unit.name if entry.unit else "", entry.owner or "") if x)


def write_xlsx(user, plan: FilePlan, out) -> int:
    """The plan as a spreadsheet with the columns of Phụ lục V, headings as their own rows
    (written row by row, openpyxl's write-only mode); audited. Returns the number of entries."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    _need(may_read(user, plan), "Bạn không xem được danh mục hồ sơ này.")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(plan.year))
    for i, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    def cell(value, *, strong=False):
        # A text stays a text: never a formula, never a control character.
        c = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value or "")))
        c.data_type = "s"
        c.alignment = wrap
        if strong:
            c.font = bold
        return c

    sheet.append([cell(plan.agency.name.upper(), strong=True)])
    sheet.append([cell(f"DANH MỤC HỒ SƠ CỦA {plan.agency.name.upper()} NĂM {plan.year}", strong=True)])
    if plan.approved_at:
        sheet.append([cell(f"(Ban hành kèm theo sự phê duyệt ngày {timezone.localtime(plan.approved_at):%d/%m/%Y} "
                           f"của {plan.approved_by or 'lãnh đạo cơ quan'})")])
    sheet.append([cell(name, strong=True) for name, _ in COLUMNS])
    sheet.append([cell(f"({i})") for i in range(1, len(COLUMNS) + 1)])
    count = 0
    for group in grouped(plan):
        sheet.append([cell(""), cell(group.title, strong=True)])
        for entry in group.entries:
            sheet.append([cell(entry.notation), cell(entry.title), cell(entry.retention_label),
                          cell(responsible_label(entry)), cell(entry.note)])
            count += 1
    sheet.append([cell(f"Danh mục có {count} hồ sơ.")])
    book.save(out)
    audit.record("file_plan.export", plan, user=user, agency_code=plan.agency.code, detail={"format": "xlsx"})
    return count

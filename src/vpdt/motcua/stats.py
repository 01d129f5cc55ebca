"""What the one-stop shop measures (MOTCUA.md "What is measured", QĐ 766/QĐ-TTg), per procedure,
resolving body, level or receiving officer, over the dossiers received in a period:

- received: at the counter, online, by post (dossiers with a receipt time);
- resolved early, on time, late: done (9) or returned (10), the day it was resolved against the
  date first promised before any apology (a dossier put right by an apology is still late;
  pauses for supplements move the date and are not late);
- open and overdue: in 2, 4, 5, 6; overdue when the appointment has passed (today, Vietnam);
- apologies issued (Mẫu 04), supplements asked (Mẫu 02, at the counter or while processing);
- average working time of a finished step, in hours (from hand-over to done);
- digitised share: dossiers with at least one scan among the received; results digitised:
  resolved dossiers with a result file; online payment share: among dossiers with a fee paid,
  those paid online;
- the count in each national status 1–10.

`table` computes the rows; `xlsx` and `pdf` export them; `officer_counters` are the figures on
an officer's home page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.core.prepared import Read
from vpdt.motcua import clock
from vpdt.motcua.models import (
    ApologySlip,
    Dossier,
    DossierFile,
    DossierStatus,
    DossierStep,
    FeePayment,
    FileKind,
    Level,
    SupplementRequest,
)

GROUPS = {
    "procedure": ("procedure_id", "procedure__code", "procedure__name"),
    "body": ("resolving_agency_id", "resolving_agency__code", "resolving_agency__name"),
    "level": ("procedure__level", "procedure__level", "procedure__level"),
    "officer": ("received_by_id", "received_by__username", "received_by__last_name"),
}
OPEN = {DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT, DossierStatus.FINANCIAL}
RESOLVED = {DossierStatus.DONE, DossierStatus.RETURNED}
COLUMNS = [
    ("received", _("Tiếp nhận")), ("counter", _("Trực tiếp")), ("online", _("Trực tuyến")), ("post", _("Bưu chính")),
    ("resolved", _("Đã giải quyết")), ("early", _("Trước hạn")), ("on_time", _("Đúng hạn")), ("late", _("Quá hạn")),
    ("open", _("Đang giải quyết")), ("overdue", _("Đang quá hạn")), ("apologies", _("Phiếu xin lỗi")),
    ("supplements", _("Yêu cầu bổ sung")), ("avg_step_hours", _("TB giờ/bước")), ("digitised_pct", _("% số hóa hồ sơ")),
    ("result_digitised_pct", _("% số hóa kết quả")), ("online_payment_pct", _("% thanh toán trực tuyến")),
]


@dataclass
class Row:
    key: object
    code: str
    name: str
    figures: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _promised(d: dict, first_old: dict) -> dt.date | None:
    """The date the dossier was to be resolved by: before any apology moved it."""
    old = first_old.get(d["id"])
    dates = [x for x in (d["appointment_date"], old) if x]
    return min(dates) if dates else None


def table(dossiers: QuerySet[Dossier], by: str = "procedure", *, today: dt.date | None = None) -> list[Row]:
    """The statistics of `dossiers`, one row per group, plus a last row for the whole (key None)."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    key_f, code_f, name_f = GROUPS[by]
    today = today or clock.local(timezone.now()).date()
    rows = list(dossiers.values("id", "channel", "status", "received_at", "finished_at", "appointment_date",
                                "result_id", key_f, code_f, name_f))
    ids = [r["id"] for r in rows]
    first_old: dict[int, dt.date] = {}
    apologies: dict[int, int] = defaultdict(int)
    for a in ApologySlip.objects.filter(dossier_id__in=ids).order_by("issued_at").values("dossier_id", "old_date"):
        apologies[a["dossier_id"]] += 1
        if a["old_date"] and a["dossier_id"] not in first_old:
            first_old[a["dossier_id"]] = a["old_date"]
    supplements: dict[int, int] = defaultdict(int)
    for s in SupplementRequest.objects.filter(dossier_id__in=ids).values("dossier_id"):
        supplements[s["dossier_id"]] += 1
    scanned = set(DossierFile.objects.filter(dossier_id__in=ids, kind=FileKind.SCAN).values_list("dossier_id", flat=True))
    paid: dict[int, set] = defaultdict(set)
    for p in FeePayment.objects.filter(dossier_id__in=ids).values("dossier_id", "method"):
        paid[p["dossier_id"]].add(p["method"])
    step_hours: dict[int, list[float]] = defaultdict(list)
    for s in DossierStep.objects.filter(dossier_id__in=ids, done_at__isnull=False).values("dossier_id", "sent_at",
                                                                                          "done_at"):
        step_hours[s["dossier_id"]].append(working_hours_between(s["sent_at"], s["done_at"]))

    groups: dict[object, Row] = {}
    total = Row(key=None, code="", name="Tổng cộng")
    for r in rows:
        key = r[key_f]
        row = groups.get(key)
        if row is None:
            label = r[name_f] or ""
            if by == "level":
                label = str(Level(key).label) if key in Level.values else str(key)
            row = groups[key] = Row(key=key, code=r[code_f] or "", name=label)
        for target in (row, total):
            _add(target, r, today, first_old, apologies, supplements, scanned, paid, step_hours)
    result = sorted(groups.values(), key=lambda x: (x.code or "", str(x.name)))
    for row in (*result, total):
        _finish(row)
    return [*result, total]


def _add(row: Row, r: dict, today, first_old, apologies, supplements, scanned, paid, step_hours) -> None:
    f = row.figures
    for name in ("received", "counter", "online", "post", "resolved", "early", "on_time", "late", "open",
                 "overdue", "apologies", "supplements", "_scanned", "_results", "_paid", "_paid_online"):
        f.setdefault(name, 0)
    f.setdefault("_hours", [])
    row.statuses[r["status"]] = row.statuses.get(r["status"], 0) + 1
    if r["received_at"] is not None:
        f["received"] += 1
        f[r["channel"]] = f.get(r["channel"], 0) + 1
        f["_scanned"] += r["id"] in scanned
    status = r["status"]
    promised = _promised(r, first_old)
    if status in RESOLVED and r["finished_at"] is not None:
        f["resolved"] += 1
        f["_results"] += r["result_id"] is not None
        if promised is not None:
            f[clock.outcome(clock.local(r["finished_at"]).date(), promised)] += 1
        else:
            f["on_time"] += 1
    elif status in OPEN:
        f["open"] += 1
        if r["appointment_date"] and r["appointment_date"] < today:
            f["overdue"] += 1
    f["apologies"] += apologies.get(r["id"], 0)
    f["supplements"] += supplements.get(r["id"], 0)
    if paid.get(r["id"]):
        f["_paid"] += 1
        f["_paid_online"] += "online" in paid[r["id"]]
    f["_hours"].extend(step_hours.get(r["id"], []))


def _finish(row: Row) -> None:
    f = row.figures
    for name in ("received", "counter", "online", "post", "resolved", "early", "on_time", "late", "open",
                 "overdue", "apologies", "supplements", "_scanned", "_results", "_paid", "_paid_online"):
        f.setdefault(name, 0)
    hours = f.pop("_hours", [])
    f["avg_step_hours"] = round(sum(hours) / len(hours), 1) if hours else None
    f["digitised_pct"] = _pct(f.pop("_scanned"), f["received"])
    f["result_digitised_pct"] = _pct(f.pop("_results"), f["resolved"])
    paid_all = f.pop("_paid")
    f["online_payment_pct"] = _pct(f.pop("_paid_online"), paid_all)
    row.statuses = {s: row.statuses.get(s, 0) for s in DossierStatus.values}


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working hours between two moments (the clock's working periods on working days)."""
    from vpdt.workflow.holidays import is_working_day

    start, end = clock.local(start), clock.local(end)
    if end <= start:
        return 0.0
    total = dt.timedelta()
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            for begin, finish in clock.working_periods():
                a = max(start, timezone.make_aware(dt.datetime.combine(day, begin)))
                b = min(end, timezone.make_aware(dt.datetime.combine(day, finish)))
                if b > a:
                    total += b - a
        day += dt.timedelta(days=1)
    return round(total.total_seconds() / 3600, 2)


def in_period(dossiers: QuerySet[Dossier], start: dt.date | None, end: dt.date | None) -> QuerySet[Dossier]:
    """Dossiers received (or submitted, when not received) in [start, end]."""
    if start:
        dossiers = dossiers.filter(submitted_at__gte=timezone.make_aware(dt.datetime.combine(start, dt.time.min)))
    if end:
        dossiers = dossiers.filter(submitted_at__lt=timezone.make_aware(
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)))
    return dossiers


def _cell(value) -> object:
    return "" if value is None else value


def xlsx(rows: list[Row], title: str) -> bytes:
    """The table as a spreadsheet (openpyxl), one sheet of figures, one of the statuses 1–10."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Thống kê"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Mã", "Tên", *[str(label) for _k, label in COLUMNS]])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.code, row.name, *[_cell(row.figures.get(k)) for k, _l in COLUMNS]])
    statuses = book.create_sheet("Trạng thái 1-10")
    statuses.append(["Mã", "Tên", *[f"{v}. {DossierStatus(v).label}" for v in DossierStatus.values]])
    for row in rows:
        statuses.append([row.code, row.name, *[row.statuses.get(v, 0) for v in DossierStatus.values]])
    sheet.column_dimensions["B"].width = 45
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(rows: list[Row], title: str) -> bytes:
    """The table as a printable PDF (reportlab, DejaVu Sans, A4 landscape)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from vpdt.core.pdf_fonts import dejavu_sans

    sans, bold = dejavu_sans()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=8 * mm, rightMargin=8 * mm, topMargin=10 * mm,
                            bottomMargin=10 * mm, title=title)
    small = ParagraphStyle("s", fontName=sans, fontSize=6.5, leading=8)
    head = ParagraphStyle("h", fontName=bold, fontSize=6.5, leading=8)
    data = [[Paragraph(str(x), head) for x in ["Mã", "Tên", *[label for _k, label in COLUMNS]]]]
    for row in rows:
        data.append([Paragraph(row.code, small), Paragraph(str(row.name)[:80], small),
                     *[Paragraph(str(_cell(row.figures.get(k))), small) for k, _l in COLUMNS]])
    table_ = Table(data, repeatRows=1, colWidths=[20 * mm, 55 * mm] + [12.8 * mm] * len(COLUMNS))
    table_.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    doc.build([Paragraph(title, ParagraphStyle("t", fontName=bold, fontSize=12, leading=16)), table_])
    return out.getvalue()


def _held_steps(user_id, unit_id=None):
    steps = DossierStep.objects.filter(done_at__isnull=True, dossier__status__in=OPEN)
    held = steps.filter(to_user_id=user_id)
    if unit_id is not None:
        held = held | steps.filter(to_user__isnull=True, to_unit_id=unit_id)
    return held


# Whether any step waits for them: asked on every work list of every officer, mostly "no"
# (vpdt.core.prepared: the two shapes written out once).
_HOLDS = Read(lambda user_id: _held_steps(user_id).values_list("pk")[:1], user_id=int)
_HOLDS_OR_UNIT = Read(lambda user_id, unit_id: _held_steps(user_id, unit_id).values_list("pk")[:1],
                      user_id=int, unit_id=int)


def officer_counters(user) -> dict:
    """The figures on an officer's home page: at the counter (to receive, to return, overdue),
    behind it (steps waiting for them, due today, late)."""
    from vpdt.directory.roles import Role

    now = timezone.now()
    today = clock.local(now).date()
    out: dict[str, int] = {}
    if user is None or not getattr(user, "is_authenticated", False):
        return out
    counters = [a for a in user.member_agency_ids() if user.has_role(Role.COUNTER, a)]
    if counters:
        mine = Dossier.objects.filter(agency_id__in=counters)
        out["to_receive"] = mine.filter(status=DossierStatus.NEW).count()
        out["to_return"] = mine.filter(status=DossierStatus.DONE).count()
        out["overdue"] = mine.filter(status__in=OPEN, appointment_date__lt=today).count()
    held = _held_steps(user.pk, user.unit_id or None)
    holds = (_HOLDS_OR_UNIT.first(user_id=user.pk, unit_id=user.unit_id) if user.unit_id
             else _HOLDS.first(user_id=user.pk))
    if holds is not None:
        end_today = timezone.make_aware(dt.datetime.combine(today, clock.working_periods()[-1][1]))
        out["steps"] = held.count()
        out["steps_due_today"] = held.filter(due_at__gte=now, due_at__lte=end_today).count()
        out["steps_late"] = held.filter(due_at__lt=now).count()
    return out

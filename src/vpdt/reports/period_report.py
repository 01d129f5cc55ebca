"""The period report, "báo cáo kết quả triển khai" (issue 14): for a period, adoption and
timeliness per agency, the why-signals, and the interconnection's volumes with the agencies
of the province, other provinces and the central bodies (the national axis); as PDF
(reportlab, DejaVu fonts) and XLSX (openpyxl), and mailed each month to the people the
platform admin names ("Người nhận báo cáo định kỳ").

The figures are vpdt.reports.services' (usage, why_signals, METRICS): this module lays them
out and counts only the interconnection's packages, which the usage metrics do not split by
counterpart. Files are written to a temporary file, not built as one string in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from vpdt.core import audit, pdf_fonts, tasks
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.directory.codes import CODE_RE
from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.exchange.models import InboxItem, OutboxMessage
from vpdt.reports import services
from vpdt.reports.models import PeriodReportDispatch, PeriodReportRecipient

log = logging.getLogger("vpdt.reports")

JOB = "reports.period_report_mail"

# The columns of the per-agency table, in order: (usage key, heading).
COLUMNS = (
    ("incoming_total", gettext_lazy("Văn bản đến")),
    ("incoming_electronic", gettext_lazy("Đến điện tử")),
    ("incoming_paper", gettext_lazy("Đến bản giấy")),
    ("outgoing_total", gettext_lazy("Văn bản đi")),
    ("outgoing_electronic", gettext_lazy("Đi qua trục liên thông")),
    ("outgoing_signed", gettext_lazy("Đi có ký số")),
    ("completed_on_time", gettext_lazy("Hoàn thành đúng hạn")),
    ("completed_late", gettext_lazy("Hoàn thành trễ hạn")),
    ("open_overdue", gettext_lazy("Đang quá hạn")),
    ("median_hours_to_register", gettext_lazy("Trung vị giờ đến → vào sổ")),
    ("median_hours_to_direct", gettext_lazy("Trung vị giờ vào sổ → chỉ đạo")),
    ("active_people", gettext_lazy("Người dùng hoạt động")),
)


def column_headings() -> list[str]:
    return [str(heading) for _key, heading in COLUMNS]


@dataclass
class ExchangeVolume:
    counterpart: str  # "province", "other_provinces", "central"
    sent: int = 0
    received: int = 0
    failed: int = 0

    @property
    def label(self) -> str:
        return {"province": _("Cơ quan trong tỉnh"), "other_provinces": _("Tỉnh, thành phố khác"),
                "central": _("Bộ, ngành trung ương (trục liên thông quốc gia)")}[self.counterpart]


@dataclass
class PeriodReport:
    date_from: dt.date
    date_to: dt.date
    scope_name: str
    agency_code: str | None
    rows: list[dict] = field(default_factory=list)  # usage per agency, with agency_name
    medians: dict = field(default_factory=dict)
    signals: list[dict] = field(default_factory=list)
    exchange: list[ExchangeVolume] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def title(self) -> str:
        return _("Báo cáo kết quả triển khai văn phòng điện tử")

    @property
    def period_text(self) -> str:
        return _("Từ ngày %(start)s đến ngày %(end)s") % {
            "start": self.date_from.strftime("%d/%m/%Y"), "end": self.date_to.strftime("%d/%m/%Y")}

    def filename(self, extension: str) -> str:
        scope = self.agency_code or "tinh"
        return f"bao-cao-trien-khai-{scope}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}.{extension}"


# --------------------------------------------------------------------------- the figures
def check_period(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from:
        raise InvalidInput(_("Ngày kết thúc phải sau ngày bắt đầu."), code="BAD_PERIOD")
    if (date_to - date_from).days > services.MAX_PERIOD_DAYS:
        raise InvalidInput(_("Kỳ báo cáo dài nhất 3 năm."), code="PERIOD_TOO_LONG")


def _top(code: str) -> str | None:
    match = CODE_RE.match(code or "")
    return f"{match['m']}{match['x']}" if match else None


def _kind(code: str, home: set[str]) -> str:
    top = _top(code)
    if top in home:
        return "province"
    return "other_provinces" if top and top.startswith("H") else "central"


def exchange_volumes(date_from: dt.date, date_to: dt.date, agency_ids: list[int] | None) -> list[ExchangeVolume]:
    """Documents sent to and received from the interconnection in the period, by counterpart:
    the province's own agencies, other provinces (codes H.. not ours), the central bodies."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tz)
    home = {t for t in (_top(c) for c in Agency.objects.values_list("code", flat=True)) if t}
    volumes = {k: ExchangeVolume(k) for k in ("province", "other_provinces", "central")}
    outbox = OutboxMessage.objects.filter(message_type=OutboxMessage.EDOC, created_at__gte=start, created_at__lt=end)
    inbox = InboxItem.objects.filter(message_type="edoc", received_at__gte=start, received_at__lt=end)
    if agency_ids is not None:
        outbox, inbox = outbox.filter(agency_id__in=agency_ids), inbox.filter(agency_id__in=agency_ids)
    for row in outbox.values("to_code").annotate(
            sent=Count("id", filter=Q(state=OutboxMessage.SENT)), failed=Count("id", filter=Q(state=OutboxMessage.FAILED))):
        v = volumes[_kind(row["to_code"], home)]
        v.sent += row["sent"]
        v.failed += row["failed"]
    for row in inbox.values("from_code").annotate(
            received=Count("id", filter=Q(outcome=InboxItem.STORED)),
            failed=Count("id", filter=Q(outcome__in=[InboxItem.QUARANTINED, InboxItem.INVALID, InboxItem.DISCARDED]))):
        v = volumes[_kind(row["from_code"], home)]
        v.received += row["received"]
        v.failed += row["failed"]
    return list(volumes.values())


def build(date_from: dt.date, date_to: dt.date, *, viewer, agency: Agency | None = None) -> PeriodReport:
    """The report's figures, within what `viewer` may see (the services refuse the rest)."""
    check_period(date_from, date_to)
    code = agency.code if agency else None
    rows = services.usage(date_from, date_to, viewer=viewer, agency=code, level="agency")
    names = dict(Agency.objects.filter(code__in=[r["agency_code"] for r in rows]).values_list("code", "name"))
    for row in rows:
        row["agency_name"] = names.get(row["agency_code"], row["agency_code"])
    rows.sort(key=lambda r: r["agency_name"])
    level = "unit" if agency else "agency"
    signals = [s for s in services.why_signals(date_from, date_to, viewer=viewer, agency=code, level=level)
               if s["signals"]]
    ids = [agency.pk] if agency else None
    return PeriodReport(
        date_from, date_to, agency.name if agency else _("Toàn tỉnh"), code, rows=rows,
        medians=services.province_medians(date_from, date_to), signals=signals,
        exchange=exchange_volumes(date_from, date_to, ids))


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


# --------------------------------------------------------------------------- PDF
def write_pdf(report: PeriodReport, out: BinaryIO) -> None:
    """A4 landscape: the title and period, the table per agency, the signals, the interconnection."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    font, bold = pdf_fonts.dejavu_sans()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
    small_bold = ParagraphStyle("small_bold", parent=small, fontName=bold)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=15, leading=19, alignment=1, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    centre = ParagraphStyle("centre", parent=body, alignment=1)
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef"))])

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawRightString(doc.pagesize[0] - 12 * mm, 7 * mm, _("Trang %(n)s") % {"n": doc.page})
        canvas.drawString(12 * mm, 7 * mm, f"{report.title} – {report.scope_name} – {report.period_text}")
        canvas.restoreState()

    story = [Paragraph(report.title, h1), Paragraph(f"{report.scope_name} – {report.period_text}", centre),
             Paragraph(_("Lập lúc %(at)s") % {"at": timezone.localtime(report.generated_at).strftime("%d/%m/%Y %H:%M")},
                       centre), Spacer(1, 4 * mm)]

    story.append(Paragraph(_("1. Mức độ sử dụng và tính đúng hạn theo cơ quan"), h2))
    header = [Paragraph(_("Cơ quan"), small_bold)] + [Paragraph(h, small_bold) for h in column_headings()]
    data = [header] + [[Paragraph(r["agency_name"], small)] + [Paragraph(_cell(r.get(k)), small) for k, _h in COLUMNS]
                       for r in report.rows]
    if not report.rows:
        data.append([Paragraph(_("Không có số liệu trong kỳ."), small)] + [""] * len(COLUMNS))
    width = landscape(A4)[0] - 24 * mm
    first = 52 * mm
    table = LongTable(data, colWidths=[first] + [(width - first) / len(COLUMNS)] * len(COLUMNS), repeatRows=1)
    table.setStyle(grid)
    story.append(table)

    story.append(Paragraph(_("2. Vì sao: các chỉ số khác xa trung vị của tỉnh"), h2))
    if not report.signals:
        story.append(Paragraph(_("Không có chỉ số nào khác xa trung vị của tỉnh."), body))
    for item in report.signals:
        name = item.get("unit_name") or item.get("agency_name") or item.get("agency_code")
        story.append(Paragraph(name, ParagraphStyle("who", parent=body, fontName=bold)))
        for signal in item["signals"]:
            story.append(Paragraph(f"• {signal['sentence']}", body))

    story.append(Paragraph(_("3. Liên thông văn bản điện tử"), h2))
    rows = [[Paragraph(_("Nơi gửi, nơi nhận"), small_bold), Paragraph(_("Đã gửi"), small_bold),
             Paragraph(_("Đã nhận"), small_bold), Paragraph(_("Lỗi"), small_bold)]]
    rows += [[Paragraph(v.label, small), Paragraph(str(v.sent), small), Paragraph(str(v.received), small),
              Paragraph(str(v.failed), small)] for v in report.exchange]
    table = LongTable(rows, colWidths=[90 * mm, 30 * mm, 30 * mm, 30 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(grid)
    story.append(table)

    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=14 * mm, title=report.title, author="vpdt")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


# --------------------------------------------------------------------------- XLSX
def write_xlsx(report: PeriodReport, out: BinaryIO) -> None:
    """Three sheets: the table per agency, the signals (one row each), the interconnection."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Theo cơ quan"))
    sheet.append([report.title])
    sheet.append([f"{report.scope_name} – {report.period_text}"])
    sheet.append([_("Mã định danh cơ quan"), _("Cơ quan"), *column_headings()])
    for r in report.rows:
        sheet.append([r["agency_code"], r["agency_name"], *[r.get(k) for k, _h in COLUMNS]])

    sheet = book.create_sheet(_("Vì sao"))
    sheet.append([_("Mã định danh cơ quan"), _("Cơ quan"), _("Đơn vị"), _("Chỉ số"), _("Giá trị"), _("Trung vị tỉnh"),
                  _("Nhận xét")])
    for item in report.signals:
        for s in item["signals"]:
            sheet.append([item.get("agency_code"), item.get("agency_name"), item.get("unit_name") or "",
                          metric_label(s["metric"]), s.get("value"), s.get("median"), s["sentence"]])

    sheet = book.create_sheet(_("Liên thông"))
    sheet.append([_("Nơi gửi, nơi nhận"), _("Đã gửi"), _("Đã nhận"), _("Lỗi")])
    for v in report.exchange:
        sheet.append([v.label, v.sent, v.received, v.failed])
    book.save(out)


def metric_label(key: str) -> str:
    metric = services.METRICS.get(key)
    return str(metric.label) if metric else key


def render(report: PeriodReport, fmt: str):
    """The report as a temporary file (rewound), for a response or an e-mail attachment."""
    out = tempfile.TemporaryFile()
    (write_pdf if fmt == "pdf" else write_xlsx)(report, out)
    out.seek(0)
    return out


CONTENT_TYPES = {"pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# --------------------------------------------------------------------------- the mailing list
def _platform_admin(actor) -> None:
    if not getattr(actor, "is_platform_admin", False):
        raise PermissionDenied(_("Chỉ quản trị hệ thống chọn người nhận báo cáo định kỳ."))


def recipients() -> list[PeriodReportRecipient]:
    return list(PeriodReportRecipient.objects.select_related("user").order_by("user__full_name", "id"))


def dispatches(limit: int = 12) -> list[PeriodReportDispatch]:
    return list(PeriodReportDispatch.objects.all()[:limit])


def add_recipient(actor, person: User) -> PeriodReportRecipient:
    _platform_admin(actor)
    if not person.email:
        raise InvalidInput(_("Cán bộ này chưa có địa chỉ thư điện tử."), code="RECIPIENT_NO_EMAIL")
    with transaction.atomic():
        recipient, created = PeriodReportRecipient.objects.get_or_create(user=person, defaults={"added_by": actor})
        if created:
            audit.record("period_report.recipient_add", recipient, user=actor, detail={"person": person.username})
    return recipient


def remove_recipient(actor, recipient: PeriodReportRecipient) -> None:
    _platform_admin(actor)
    with transaction.atomic():
        username = recipient.user.username
        recipient.delete()
        audit.record("period_report.recipient_remove", None, user=actor, detail={"person": username})


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _province_viewer(recipients: list[PeriodReportRecipient]) -> User | None:
    """Whose view of the figures the mailed report is: the platform admin who named the people,
    or, if that account is gone or no longer one, any active platform admin."""
    named = [r.added_by for r in recipients if r.added_by and r.added_by.is_active and r.added_by.is_platform_admin]
    if named:
        return named[0]
    admins = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(role_assignments__role=Role.PLATFORM_ADMIN)).order_by("id").distinct()
    return admins.first()


def send_month(today: dt.date | None = None) -> int:
    """Mails last month's province report to the named people, once: the dispatch row (unique per
    month) is taken before sending, so a second run, or a second worker, sends nothing."""
    today = today or timezone.localdate()
    start, end = previous_month(today)
    recipients = list(PeriodReportRecipient.objects.select_related("user", "added_by")
                      .filter(user__is_active=True).exclude(user__email=""))
    if not recipients or PeriodReportDispatch.objects.filter(period_start=start).exists():
        return 0
    viewer = _province_viewer(recipients)
    if viewer is None:
        log.warning("period report for %s: no active platform admin to read the province's figures as", start)
        return 0
    try:
        with transaction.atomic():
            dispatch = PeriodReportDispatch.objects.create(period_start=start, period_end=end,
                                                           recipients=len(recipients))
    except IntegrityError:
        return 0
    try:
        with override(settings.LANGUAGE_CODE):
            report = build(start, end, viewer=viewer)
            mail = EmailMessage(
                f"[vpdt] {report.title} – {report.period_text}",
                _("Kính gửi anh/chị,\n\nĐính kèm báo cáo kết quả triển khai văn phòng điện tử %(period)s "
                  "(PDF và XLSX).\n\nvpdt") % {"period": report.period_text.lower()},
                settings.DEFAULT_FROM_EMAIL, [r.user.email for r in recipients])
            for fmt in ("pdf", "xlsx"):
                with render(report, fmt) as file:
                    mail.attach(report.filename(fmt), file.read(), CONTENT_TYPES[fmt])
            mail.send()
    except Exception:
        dispatch.delete()  # not sent: the next run tries again
        raise
    with transaction.atomic():
        audit.record("period_report.mail", dispatch, user=viewer,
                     detail={"from": start.isoformat(), "to": end.isoformat(), "recipients": len(recipients)})
    return 1


@tasks.job(JOB, every=3600)
def monthly_mail() -> bool:
    # A bool, not an int: one month's report found is not a backlog to run again at once.
    return send_month() > 0

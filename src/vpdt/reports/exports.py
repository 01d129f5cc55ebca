"""The usage figures as XLSX (openpyxl) and PDF (reportlab, DejaVu fonts for Vietnamese)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils.translation import gettext as _

from vpdt.core import pdf_fonts
from vpdt.reports.services import API_KEYS


def headers() -> list[str]:
    """Column titles people read, in API_KEYS order."""
    return [
        _("Mã cơ quan"), _("Mã đơn vị"), _("Mã cán bộ"), _("Văn bản đến"), _("Đến qua trục liên thông"),
        _("Đến từ bản giấy"), _("Văn bản đi"), _("Đi điện tử"), _("Đi có chữ ký số"), _("Xong đúng hạn"),
        _("Xong quá hạn"), _("Quá hạn chưa xong"), _("Giờ đến → vào sổ (trung vị)"),
        _("Giờ vào sổ → chỉ đạo (trung vị)"), _("Người có sử dụng"),
    ]


def _title(date_from: dt.date, date_to: dt.date) -> str:
    return _("Thống kê sử dụng văn phòng điện tử từ %(from)s đến %(to)s") % {
        "from": f"{date_from:%d/%m/%Y}", "to": f"{date_to:%d/%m/%Y}"}


def xlsx(items: list[dict], date_from: dt.date, date_to: dt.date) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Thống kê"))
    sheet.append([_title(date_from, date_to)])
    sheet.append(headers())
    for item in items:
        sheet.append([item[key] for key in API_KEYS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def pdf(items: list[dict], date_from: dt.date, date_to: dt.date) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold = pdf_fonts.dejavu_sans()
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm, title=_title(date_from, date_to))
    head = ParagraphStyle("head", fontName=bold, fontSize=7, leading=8.5)
    body = ParagraphStyle("title", fontName=bold, fontSize=12, leading=15)
    rows = [[Paragraph(h, head) for h in headers()]]
    rows += [[_cell(item[key]) for key in API_KEYS] for item in items]
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 1), (-1, -1), font), ("FONTSIZE", (0, 1), (-1, -1), 7),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (3, 1), (-1, -1), "RIGHT"), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
    ]))
    document.build([Paragraph(_title(date_from, date_to), body), Spacer(1, 4 * mm), table])
    return out.getvalue()

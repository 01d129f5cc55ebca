"""The printed forms of the one-stop shop (Thông tư 01/2018/TT-VPCP), as PDF with reportlab:

- Mẫu 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả (with the QR code of the lookup and the secret);
- Mẫu 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (every gap listed once);
- Mẫu 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ (with reasons);
- Mẫu 05 Phiếu kiểm soát quá trình giải quyết hồ sơ (each hand-over with its times);
- Mẫu 06 Sổ theo dõi hồ sơ (the counter's register; PDF and XLSX, written to a file, row by row).

The forms are legal documents in Vietnamese: they print in Vietnamese whatever the page language.
Every slip carries the dossier code and its QR code; the QR code is drawn as vector squares from
segno's matrix (no image library, sharp at any print size) and encodes the public lookup address.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import BinaryIO
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vpdt.core import pdf_fonts
from vpdt.motcua import clock
from vpdt.motcua.models import Dossier, DossierStatus, ReturnMethod, StepKind, SupplementRequest
from vpdt.motcua.services.lookup import lookup_url


def qr_payload(dossier: Dossier) -> str:
    """What the QR code of the dossier's slips encodes: the public lookup address of its code."""
    return lookup_url(dossier.code)


class QRFlowable(Flowable):
    """A QR code drawn as squares (segno computes the matrix)."""

    def __init__(self, data: str, size: float = 32 * mm):
        super().__init__()
        self.qr = segno.make(data, error="m", micro=False)
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        matrix = list(self.qr.matrix_iter(scale=1, border=4))
        modules = len(matrix)
        cell = self.size / modules
        canvas = self.canv
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        for row_index, row in enumerate(matrix):
            y = self.size - (row_index + 1) * cell
            run_start = None
            for col_index, dark in enumerate([*row, False]):
                if dark and run_start is None:
                    run_start = col_index
                elif not dark and run_start is not None:
                    canvas.rect(run_start * cell, y, (col_index - run_start) * cell, cell, stroke=0, fill=1)
                    run_start = None


def _styles():
    font, bold = pdf_fonts.dejavu_sans()
    return {
        "font": font, "bold": bold,
        "body": ParagraphStyle("body", fontName=font, fontSize=10.5, leading=14.5, spaceAfter=2),
        "small": ParagraphStyle("small", fontName=font, fontSize=8.5, leading=11),
        "centre": ParagraphStyle("centre", fontName=font, fontSize=10.5, leading=14, alignment=TA_CENTER),
        "centre_bold": ParagraphStyle("centre_bold", fontName=bold, fontSize=10.5, leading=14, alignment=TA_CENTER),
        "title": ParagraphStyle("title", fontName=bold, fontSize=13, leading=17, alignment=TA_CENTER,
                                spaceBefore=6, spaceAfter=6),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=11.5),
        "cell_bold": ParagraphStyle("cell_bold", fontName=bold, fontSize=9, leading=11.5, alignment=TA_CENTER),
    }


def d(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy (the date of a datetime in Vietnam time)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = clock.local(value).date()
    return f"{value:%d/%m/%Y}"


def hm_date(value: dt.datetime | None) -> str:
    if value is None:
        return "…… giờ …… phút, ngày …/…/……"
    value = clock.local(value)
    return f"{value:%H} giờ {value:%M} phút, ngày {value:%d/%m/%Y}"


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _header(s, dossier: Dossier, *, copy_note: str = "") -> list:
    left = [_p(dossier.agency.name.upper(), s["centre"]),
            _p("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", s["centre_bold"])]
    right = [_p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", s["centre_bold"]),
             _p("Độc lập - Tự do - Hạnh phúc", s["centre_bold"])]
    place = dossier.agency.place or ""
    today = clock.local(dossier.updated_at or dossier.submitted_at).date()
    dated = f"{place + ', ' if place else ''}ngày {today:%d} tháng {today:%m} năm {today:%Y}"
    table = Table([[left, right], [_p(f"Mã hồ sơ: {dossier.code}", s["centre"]), _p(dated, s["centre"])]],
                  colWidths=[85 * mm, 95 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    out = [table]
    if copy_note:
        out.append(_p(copy_note, s["centre"]))
    return out


def _qr_block(s, dossier: Dossier, *, secret: str = "") -> Table:
    url = qr_payload(dossier)
    lines = [_p("Tra cứu tình trạng hồ sơ: quét mã QR hoặc vào địa chỉ", s["small"]),
             _p(url, s["small"]), _p(f"Mã hồ sơ: {dossier.code}", s["small"])]
    if secret:
        lines.append(_p(f"Mã bí mật nhận kết quả điện tử: {secret}", s["small"]))
        lines.append(_p("(Giữ kín mã bí mật; dùng cùng mã hồ sơ để tải kết quả trực tuyến.)", s["small"]))
    table = Table([[QRFlowable(url), lines]], colWidths=[36 * mm, 144 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOX", (0, 0), (-1, -1), 0.4, colors.grey)]))
    return table


def _signatures(s, left: str, right: str) -> Table:
    table = Table([[_p(left, s["centre_bold"]), _p(right, s["centre_bold"])],
                   [_p("(Ký và ghi rõ họ tên)", s["centre"]), _p("(Ký và ghi rõ họ tên)", s["centre"])]],
                  colWidths=[90 * mm, 90 * mm])
    return table


def _document(out: BinaryIO, title: str, *, pagesize=A4):
    return SimpleDocTemplate(out, pagesize=pagesize, leftMargin=18 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                             bottomMargin=12 * mm, title=title, author="vpdt", subject=title)


def _applicant(s, dossier: Dossier) -> list:
    lines = [f"Ông/bà: {dossier.applicant_name}" + (f" – đại diện {dossier.organisation}" if dossier.organisation
                                                     else ""),
             f"Số định danh cá nhân: {dossier.personal_id}",
             f"Địa chỉ: {dossier.address or '…'}",
             f"Số điện thoại: {dossier.phone or '…'}        Thư điện tử: {dossier.email or '…'}",
             f"Nội dung yêu cầu giải quyết: {dossier.subject or dossier.procedure.name}"]
    return [_p(line, s["body"]) for line in lines]


def receipt(dossier: Dossier, *, secret: str = "") -> bytes:
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    s = _styles()
    out = io.BytesIO()
    doc = _document(out, f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {dossier.code}")
    story = _header(s, dossier, copy_note="Liên: giao người nộp hồ sơ")
    story.append(_p("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", s["title"]))
    story.append(_p(f"Bộ phận tiếp nhận và trả kết quả – {dossier.agency.name} tiếp nhận hồ sơ của:", s["body"]))
    story += _applicant(s, dossier)
    story.append(_p("1. Thành phần hồ sơ nộp gồm:", s["body"]))
    rows = [[_p("TT", s["cell_bold"]), _p("Tên giấy tờ", s["cell_bold"]), _p("Hình thức", s["cell_bold"]),
             _p("Số lượng", s["cell_bold"])]]
    for number, paper in enumerate(dossier.papers.filter(provided=True).order_by("id"), start=1):
        rows.append([str(number), _p(paper.name, s["cell"]), _p(paper.get_form_display(), s["cell"]),
                     str(paper.count)])
    table = Table(rows, colWidths=[10 * mm, 110 * mm, 40 * mm, 20 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("FONTNAME", (0, 0), (-1, -1), s["font"]),
                               ("FONTSIZE", (0, 0), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(table)
    legal = dossier.procedure.legal_days
    story += [
        _p("2. Số lượng hồ sơ: 01 bộ", s["body"]),
        _p(f"3. Thời gian giải quyết hồ sơ theo quy định là: {legal} ngày làm việc", s["body"]),
        _p(f"4. Thời gian nhận hồ sơ: {hm_date(dossier.received_at)}", s["body"]),
        _p(f"5. Thời gian trả kết quả giải quyết hồ sơ: ngày {d(dossier.appointment_date)}", s["body"]),
        _p(f"6. Đăng ký nhận kết quả tại: {ReturnMethod(dossier.return_method).label}", s["body"]),
    ]
    if dossier.fee_amount:
        story.append(_p(f"7. Phí, lệ phí: {dossier.fee_amount:,} đồng".replace(",", "."), s["body"]))
    story += [Spacer(1, 4 * mm), _qr_block(s, dossier, secret=secret), Spacer(1, 5 * mm),
              _signatures(s, "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ")]
    doc.build(story)
    return out.getvalue()


def supplement(dossier: Dossier, request: SupplementRequest) -> bytes:
    """Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (one request, every item)."""
    s = _styles()
    out = io.BytesIO()
    doc = _document(out, f"Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ {dossier.code}")
    story = _header(s, dossier)
    story.append(_p("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", s["title"]))
    story.append(_p(f"Ngày {d(request.asked_at)}, Bộ phận tiếp nhận và trả kết quả – {dossier.agency.name} "
                    "tiếp nhận hồ sơ của:", s["body"]))
    story += _applicant(s, dossier)
    story.append(_p("Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:", s["body"]))
    for number, item in enumerate(request.items, start=1):
        reason = f" – Lý do: {item['reason']}" if item.get("reason") and item["reason"] != item["name"] else ""
        story.append(_p(f"{number}. {item['name']}{reason}", s["body"]))
    if request.note:
        story.append(_p(f"Hướng dẫn: {request.note}", s["body"]))
    phone = dossier.agency.phone or "…"
    story.append(_p("Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ Bộ phận tiếp nhận và trả "
                    f"kết quả, số điện thoại {phone}, để được hướng dẫn./.", s["body"]))
    story += [Spacer(1, 4 * mm), _qr_block(s, dossier), Spacer(1, 5 * mm),
              _signatures(s, "NGƯỜI NỘP HỒ SƠ", "NGƯỜI HƯỚNG DẪN")]
    doc.build(story)
    return out.getvalue()


def refusal(dossier: Dossier) -> bytes:
    """Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reasons."""
    s = _styles()
    out = io.BytesIO()
    doc = _document(out, f"Phiếu từ chối tiếp nhận giải quyết hồ sơ {dossier.code}")
    story = _header(s, dossier)
    story.append(_p("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", s["title"]))
    story.append(_p(f"Bộ phận tiếp nhận và trả kết quả – {dossier.agency.name} tiếp nhận hồ sơ của:", s["body"]))
    story += _applicant(s, dossier)
    story.append(_p("Qua xem xét, Bộ phận tiếp nhận và trả kết quả thông báo không tiếp nhận, giải quyết hồ sơ "
                    "này với lý do cụ thể như sau:", s["body"]))
    story.append(_p(dossier.closing_reason or "…", s["body"]))
    story.append(_p("Xin thông báo cho ông/bà được biết và thực hiện./.", s["body"]))
    story += [Spacer(1, 4 * mm), _qr_block(s, dossier), Spacer(1, 5 * mm),
              _signatures(s, "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ")]
    doc.build(story)
    return out.getvalue()


def _step_outcome(step) -> str:
    if step.done_at is None or step.due_at is None:
        return ""
    done, due = step.done_at, step.due_at
    if done < due - dt.timedelta(hours=1):
        return "Trước hạn"
    return "Đúng hạn" if done <= due else "Quá hạn"


def control_slip(dossier: Dossier) -> bytes:
    """Mẫu 05: Phiếu kiểm soát quá trình giải quyết hồ sơ."""
    s = _styles()
    out = io.BytesIO()
    doc = _document(out, f"Phiếu kiểm soát quá trình giải quyết hồ sơ {dossier.code}")
    story = _header(s, dossier)
    story.append(_p("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", s["title"]))
    story += [_p(f"Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả – Mã hồ sơ: {dossier.code}", s["centre"]),
              _p(f"Thủ tục: {dossier.procedure.name}", s["body"]),
              _p(f"Cơ quan (bộ phận) giải quyết hồ sơ: {dossier.resolving_agency.name}", s["body"]),
              _p(f"Ngày hẹn trả kết quả: {d(dossier.appointment_date)}", s["body"]), Spacer(1, 2 * mm)]
    rows = [[_p("TÊN CƠ QUAN", s["cell_bold"]), _p("THỜI GIAN GIAO, NHẬN HỒ SƠ", s["cell_bold"]),
             _p("KẾT QUẢ GIẢI QUYẾT HỒ SƠ (trước hạn / đúng hạn / quá hạn)", s["cell_bold"]),
             _p("GHI CHÚ", s["cell_bold"])]]
    steps = list(dossier.steps.select_related("from_agency", "from_unit", "from_user", "to_agency", "to_unit",
                                              "to_user").order_by("order", "id"))
    for number, step in enumerate(steps, start=1):
        giver = step.from_unit.name if step.from_unit else (
            "Bộ phận TN&TKQ" if step.kind != StepKind.COUNTER else "Người nộp hồ sơ")
        if step.from_agency and step.from_agency_id != dossier.resolving_agency_id:
            giver = f"{giver} – {step.from_agency.name}"
        taker = step.to_unit.name if step.to_unit else {
            StepKind.COUNTER: "Bộ phận TN&TKQ", StepKind.RETURN: "Bộ phận TN&TKQ",
            StepKind.APPROVER: "Lãnh đạo cơ quan"}.get(step.kind, step.to_agency.name)
        if step.to_agency_id != dossier.resolving_agency_id and step.kind not in (StepKind.COUNTER, StepKind.RETURN):
            taker = f"{taker} – {step.to_agency.name}"
        names = []
        if step.from_user:
            names.append(f"Người giao: {step.from_user}")
        if step.to_user:
            names.append(f"Người nhận: {step.to_user}")
        when = (f"{number}. Giao: {giver}\nNhận: {taker}\n{hm_date(step.sent_at)}"
                + (f"\nNhận lúc: {hm_date(step.received_at)}" if step.received_at and step.received_at
                   != step.sent_at else "")
                + ("\n" + "\n".join(names) if names else ""))
        outcome = _step_outcome(step)
        note = step.name + (f"; hạn {clock.local(step.due_at):%H:%M %d/%m/%Y}" if step.due_at else "")
        if step.done_at:
            note += f"; xong {clock.local(step.done_at):%H:%M %d/%m/%Y}"
        rows.append([_p(step.to_agency.name, s["cell"]), _p(when, s["cell"]), _p(outcome, s["cell"]),
                     _p(note, s["cell"])])
    table = Table(rows, colWidths=[38 * mm, 72 * mm, 30 * mm, 40 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 4 * mm), _qr_block(s, dossier)]
    doc.build(story)
    return out.getvalue()


# --------------------------------------------------------------------------- Mẫu 06
REGISTER_HEADERS = [
    "STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
    "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Nhận hồ sơ (ngày, tháng, năm)", "Hẹn trả kết quả",
    "Chuyển hồ sơ đến cơ quan giải quyết", "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả cho cá nhân, tổ chức",
    "Ghi chú",
]


def register_rows(dossiers: Iterable[Dossier]) -> Iterable[list[str]]:
    for number, x in enumerate(dossiers, start=1):
        steps = list(x.steps.all())
        transfer = next((st.sent_at for st in steps if st.kind == StepKind.PROCESSING), None)
        back = next((st.sent_at for st in steps if st.kind == StepKind.RETURN), None)
        note = str(DossierStatus(x.status).label)
        if x.closing_reason:
            note += f": {x.closing_reason[:120]}"
        yield [str(number), x.code, x.procedure.name, "1",
               x.applicant_name + (f" ({x.organisation})" if x.organisation else ""),
               ", ".join(v for v in (x.address, x.phone) if v), x.resolving_agency.name,
               d(x.received_at or x.submitted_at), d(x.appointment_date), d(transfer), d(back), d(x.returned_at),
               note]


def register_pdf(out: BinaryIO, dossiers: Iterable[Dossier], *, agency_name: str, period: str) -> int:
    """Mẫu 06 as PDF; returns the number of rows."""
    s = _styles()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=8 * mm, rightMargin=8 * mm, topMargin=10 * mm,
                            bottomMargin=10 * mm, title=f"Sổ theo dõi hồ sơ – {agency_name}")
    head = [_p(h, s["cell_bold"]) for h in REGISTER_HEADERS]
    small = ParagraphStyle("tiny", fontName=s["font"], fontSize=7.5, leading=9)
    rows = [head]
    for row in register_rows(dossiers):
        rows.append([_p(c, small) for c in row])
    # 281 mm across: the code and the dates fit on one line with small paddings.
    widths = [7, 40, 36, 9, 26, 28, 26, 17, 17, 17, 17, 17, 24]
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7"))]))
    doc.build([_p(f"SỔ THEO DÕI HỒ SƠ – {agency_name.upper()}", s["title"]), _p(period, s["centre"]),
               Spacer(1, 3 * mm), table])
    return len(rows) - 1


def register_xlsx(out: BinaryIO, dossiers: Iterable[Dossier], *, agency_name: str, period: str) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sổ theo dõi hồ sơ")
    sheet.append([f"Sổ theo dõi hồ sơ – {agency_name}"])
    sheet.append([period])
    sheet.append(REGISTER_HEADERS)
    count = 0
    for row in register_rows(dossiers):
        sheet.append(row)
        count += 1
    book.save(out)
    return count

"""Sample documents shaped like Decree 30 (Phụ lục I): for the demo, the tests and the benchmark.

The signature block leaves the space between the signer's title and name empty, where the
signer's image goes; `layout.signer_box` finds that space again from the text.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT, FONT_BOLD = "DejaVuSerif", "DejaVuSerif-Bold"
# Where the signature block sits: the right half, centred on this x (Phụ lục I, ô số 7).
SIGN_COLUMN_X = 145 * mm
SIGN_GAP = 36 * mm  # between the title's last line and the name: room for signature and seal


def _fonts() -> tuple[str, str]:
    try:
        # Each checked: signing.fill registers the regular face alone (it measures text with it).
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSerif.ttf")))
        if FONT_BOLD not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSerif-Bold.ttf")))
        return FONT, FONT_BOLD
    except Exception:  # fonts-dejavu-core missing: ASCII-only fallback, still a valid PDF
        return "Times-Roman", "Times-Bold"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        words, line = para.split(), ""
        for w in words:
            cand = f"{line} {w}".strip()
            if pdfmetrics.stringWidth(cand, font, size) <= width:
                line = cand
            else:
                if line:
                    lines.append(line)
                line = w
        lines.append(line)
    return lines


def official_letter_pdf(
    *,
    agency_name: str,
    code: str = "……",
    date_text: str,
    title: str,
    subject: str,
    body: str,
    signer_title: str,
    signer_name: str,
    pages: int = 1,
    parent_agency: str = "",
    recipients: tuple[str, ...] = ("Như trên;", "Lưu: VT."),
) -> bytes:
    """A one- or multi-page official letter; the signature block is on the last page.

    `signer_title` may hold several lines separated by "\\n" (e.g. "KT. CHỦ TỊCH\\nPHÓ CHỦ TỊCH").
    """
    regular, bold = _fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(f"{title} {subject}".strip())
    c.setAuthor(agency_name)
    c.setCreator("vpdt")
    width, height = A4
    left, right = 30 * mm, width - 15 * mm

    def header() -> float:
        y = height - 20 * mm
        col = 50 * mm
        if parent_agency:
            c.setFont(regular, 12)
            c.drawCentredString(left + col / 2, y, parent_agency.upper())
            y -= 14
        c.setFont(bold, 12)
        for line in _wrap(agency_name.upper(), bold, 12, 75 * mm):
            c.drawCentredString(left + col / 2, y, line)
            y -= 14
        c.setFont(regular, 13)
        c.drawCentredString(left + col / 2, y - 6, f"Số: {code}")
        ry = height - 20 * mm
        c.setFont(bold, 12)
        c.drawCentredString(SIGN_COLUMN_X - 5 * mm, ry, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        c.setFont(bold, 13)
        c.drawCentredString(SIGN_COLUMN_X - 5 * mm, ry - 15, "Độc lập - Tự do - Hạnh phúc")
        c.setFont(regular, 13)
        c.drawCentredString(SIGN_COLUMN_X - 5 * mm, ry - 40, date_text)
        y = min(y - 40, ry - 70)
        c.setFont(bold, 14)
        c.drawCentredString(width / 2, y, title.upper())
        y -= 17
        c.setFont(regular, 13)
        for line in _wrap(subject, regular, 13, right - left - 40 * mm):
            c.drawCentredString(width / 2, y, line)
            y -= 16
        return y - 14

    body_lines = _wrap(body, regular, 13, right - left)
    # Spread the body over the pages asked for; the signature block needs ~75 mm at the end.
    per_page = max(1, -(-len(body_lines) // pages))
    chunks = [body_lines[i * per_page : (i + 1) * per_page] for i in range(pages)]
    for index, chunk in enumerate(chunks):
        y = header() if index == 0 else height - 20 * mm
        c.setFont(regular, 13)
        # The last page keeps ~95 mm for the signature block; overflowing lines are dropped.
        floor = 95 * mm if index == pages - 1 else 25 * mm
        for line in chunk:
            if y < floor:
                break
            c.drawString(left, y, line)
            y -= 18
        if index < pages - 1:
            c.setFont(regular, 11)
            c.drawCentredString(width / 2, 12 * mm, str(index + 1))
            c.showPage()
            continue
        y = min(y - 10, 120 * mm)
        c.setFont(bold, 12)
        c.drawString(left, y, "Nơi nhận:")
        c.setFont(regular, 11)
        for i, r in enumerate(recipients):
            c.drawString(left, y - 14 * (i + 1), f"- {r}")
        c.setFont(bold, 13)
        ty = y
        for line in signer_title.split("\n"):
            c.drawCentredString(SIGN_COLUMN_X, ty, line.upper())
            ty -= 16
        c.drawCentredString(SIGN_COLUMN_X, ty + 16 - SIGN_GAP, signer_name)
        if pages > 1:
            c.setFont(regular, 11)
            c.drawCentredString(width / 2, 12 * mm, str(index + 1))
        c.showPage()
    c.save()
    return buf.getvalue()


def demo_letter(pages: int = 1, **overrides) -> bytes:
    """A ready-made letter of the demo province (tests, benchmark)."""
    body = (
        "Thực hiện Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư, "
        "Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành triển khai văn bản điện tử có chữ ký số. "
    ) * 3
    kw = dict(
        agency_name="Ủy ban nhân dân tỉnh Hòa Bình Demo",
        code="123/UBND-VP",
        date_text="Hòa Bình, ngày 05 tháng 3 năm 2026",
        title="Công văn",
        subject="V/v triển khai văn bản điện tử có chữ ký số",
        body="\n".join([body] * pages * 2),
        signer_title="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        signer_name="Nguyễn Văn An",
        pages=pages,
    )
    kw.update(overrides)
    return official_letter_pdf(**kw)

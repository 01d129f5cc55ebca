"""Small, real PDFs for demo documents (Vietnamese text in a DejaVu font, shipped by Debian)."""

from __future__ import annotations

import io
import os

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
]


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" in pdfmetrics.getRegisteredFontNames():
        return "DejaVu"
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont("DejaVu", path))
            return "DejaVu"
    return "Helvetica"


def document_pdf(*, agency: str, code: str, date_text: str, title: str, subject: str, body: str,
                 signer_title: str, signer_name: str) -> bytes:
    """A one-page document laid out roughly as Decree 30 Phụ lục I shows."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    c.setFont(font, 11)
    c.drawCentredString(150, height - 60, agency.upper()[:48])
    c.drawCentredString(width - 160, height - 60, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.drawCentredString(width - 160, height - 76, "Độc lập - Tự do - Hạnh phúc")
    c.setFont(font, 10)
    c.drawCentredString(150, height - 96, f"Số: {code}")
    c.drawCentredString(width - 160, height - 96, date_text)
    c.setFont(font, 13)
    c.drawCentredString(width / 2, height - 140, title.upper())
    c.setFont(font, 11)
    y = height - 165
    for line in _wrap(subject, 80):
        c.drawCentredString(width / 2, y, line)
        y -= 15
    y -= 15
    for line in _wrap(body, 95):
        c.drawString(70, y, line)
        y -= 15
    c.drawCentredString(width - 160, y - 30, signer_title.upper())
    c.drawCentredString(width - 160, y - 120, signer_name)
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if len(current) + len(word) + 1 > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines

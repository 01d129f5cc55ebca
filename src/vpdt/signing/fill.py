"""Number and date of issue filled into an already signed PDF without breaking the signer's signature.

The clerk issues the number after the leader has signed. Writing it into the page content
would be a modification a verifier must report; filling a form field is not (PDF 32000,
12.8.2.2: form filling is allowed after an approval signature). So before the leader signs,
`prepare` adds two empty read-only text fields over the "Số: …" line and the date line it
finds on page 1; after the leader signed, `fill` sets their values and appearances (white
background over the dots, the number and date in DejaVu Serif) in an incremental update,
and the agency then signs over it. A PDF without those lines is left as it is.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
NUMBER_FIELD, DATE_FIELD = "SoKyHieu", "NgayBanHanh"


@dataclass
class _Text:
    text: str
    x: float
    y: float
    size: float


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _file(src) -> BinaryIO:
    if isinstance(src, (bytes, bytearray)):
        return io.BytesIO(bytes(src))
    src.seek(0)
    return src


def _texts(src) -> tuple[list[_Text], float]:
    page = PdfReader(_file(src)).pages[0]
    out: list[_Text] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append(_Text(_nfc(text.strip()), x, y, abs(font_size * (tm[3] or 1) * (cm[3] or 1)) or 12))

    page.extract_text(visitor_text=visit)
    return out, float(page.mediabox.width)


def _width(text: str, size: float) -> float:
    """The text's width as DejaVu Serif would draw it: close to the fonts official letters use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSerif", str(FONT)))
    return pdfmetrics.stringWidth(text, "DejaVuSerif", size)


def locate(src) -> dict[str, tuple[float, float, float, float, float]]:
    """Rectangles (x1, y1, x2, y2, font size) of the "Số:" line and of the date line on page 1."""
    texts, width = _texts(src)
    found = {}
    for t in texts:
        if NUMBER_FIELD not in found and t.text.startswith("Số:"):
            w = max(_width(t.text, t.size) + 6, 34 * 72 / 25.4)
            found[NUMBER_FIELD] = (t.x - 1, t.y - 0.3 * t.size, min(t.x + w, width / 2), t.y + t.size, t.size)
        elif DATE_FIELD not in found and "ngày" in t.text and "tháng" not in t.text[:2] and (
                "tháng" in t.text or "/" in t.text or "…" in t.text or "..." in t.text) and t.x > width * 0.35:
            w = max(_width(t.text, t.size) + 6, 70 * 72 / 25.4)
            found[DATE_FIELD] = (t.x - 1, t.y - 0.3 * t.size, min(t.x + w, width - 10), t.y + t.size, t.size)
    return found


def prepare(data: bytes) -> tuple[bytes, list[str]]:
    """Add the empty number and date fields; returns the new PDF and the fields added."""
    out = io.BytesIO()
    added = prepare_file(io.BytesIO(data), out)
    return (out.getvalue(), added) if added else (data, [])


def prepare_file(src: BinaryIO, dst: BinaryIO) -> list[str]:
    """`prepare` from one open file into another (streamed); [] and nothing written when no line is found."""
    rects = locate(src)
    if not rects:
        return []
    w = IncrementalPdfFileWriter(_file(src))
    page_ref, _resources = w.find_page_for_modification(0)
    page = page_ref.get_object()
    root = w.root
    if "/AcroForm" not in root:
        root[generic.NameObject("/AcroForm")] = w.add_object(
            generic.DictionaryObject({generic.NameObject("/Fields"): generic.ArrayObject()}))
        w.update_root()
    form = root["/AcroForm"]
    w.update_container(form) if isinstance(root.raw_get("/AcroForm"), generic.IndirectObject) else w.update_root()
    if "/Fields" not in form:
        form[generic.NameObject("/Fields")] = generic.ArrayObject()
    fields = form["/Fields"]
    if "/Annots" not in page:
        page[generic.NameObject("/Annots")] = generic.ArrayObject()
    annots = page["/Annots"]
    w.mark_update(page_ref)
    if isinstance(page.raw_get("/Annots"), generic.IndirectObject):
        w.mark_update(page.raw_get("/Annots"))
    for name, (x1, y1, x2, y2, _size) in rects.items():
        field = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/FT"): generic.NameObject("/Tx"),
            generic.NameObject("/T"): generic.TextStringObject(name),
            generic.NameObject("/Ff"): generic.NumberObject(1),  # read-only: only the system fills it
            generic.NameObject("/F"): generic.NumberObject(4),  # print
            generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (x1, y1, x2, y2)]),
            generic.NameObject("/P"): page_ref,
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 0 Tf 0 g"),
        })
        ref = w.add_object(field)
        fields.append(ref)
        annots.append(ref)
    if isinstance(form.raw_get("/Fields"), generic.IndirectObject):
        w.mark_update(form.raw_get("/Fields"))
    w.write(dst)
    return list(rects)


def _appearance(w: IncrementalPdfFileWriter, text: str, width: float, height: float, size: float):
    """A form XObject: white box over the dots, `text` centred in DejaVu Serif (drawn by reportlab)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "DejaVuSerif"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(FONT)))
    while size > 6 and pdfmetrics.stringWidth(text, font, size) > width - 2:
        size -= 0.5
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setFillColorRGB(1, 1, 1)
    c.rect(0, 0, width, height, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    c.setFont(font, size)
    c.drawCentredString(width / 2, 0.3 * height, text)
    c.showPage()
    c.save()
    return w.import_page_as_xobject(PdfFileReader(io.BytesIO(buf.getvalue())), 0)


def fill(data: bytes, values: dict[str, str]) -> tuple[bytes, list[str]]:
    """Set the prepared fields' values and appearances; returns the new PDF and the fields filled."""
    out = io.BytesIO()
    filled = fill_file(io.BytesIO(data), out, values)
    return (out.getvalue(), filled) if filled else (data, [])


def fill_file(src: BinaryIO, dst: BinaryIO, values: dict[str, str]) -> list[str]:
    """`fill` from one open file into another (streamed); [] and nothing written when no field is found."""
    reader_fields = {}
    w = IncrementalPdfFileWriter(_file(src))
    if "/AcroForm" not in w.root:
        return []
    form = w.root["/AcroForm"]
    for ref in form.get("/Fields", []):
        field = ref.get_object()
        name = str(field.get("/T", ""))
        if name in values and field.get("/FT") == "/Tx":
            reader_fields[name] = (ref, field)
    if not reader_fields:
        return []
    for name, (ref, field) in reader_fields.items():
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        width, height = x2 - x1, y2 - y1
        size = min(13.0, height / 1.3)
        field[generic.NameObject("/V")] = generic.TextStringObject(values[name])
        field[generic.NameObject("/AP")] = generic.DictionaryObject({
            generic.NameObject("/N"): _appearance(w, values[name], width, height, size)})
        w.mark_update(ref)
    w.write(dst)
    return list(reader_fields)

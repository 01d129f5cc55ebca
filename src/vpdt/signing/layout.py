"""Where Decree 30 (Phụ lục I) puts each signature on the page, in PDF points.

- the signer's image: between the title line ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH") and the name,
  found from the text positions of the page;
- the agency's seal: real size (~36 mm), covering about a third of the signer's image on
  its left;
- attachments and copies: top right of page 1.

Boxes are (x1, y1, x2, y2) with the origin at the bottom left, as in a PDF /Rect.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.generic import NameObject

from . import pagetree

MM = 72 / 25.4
SEAL_SIZE = 36 * MM  # the usual diameter of an agency seal
SEAL_OVERLAP = 1 / 3
SIGNER_BOX_WIDTH = 50 * MM
SIGNER_BOX_MAX_HEIGHT = 30 * MM
ATTACHMENT_BOX = (72 * MM, 10 * MM)  # width, height: one or two 10 pt lines
MARGIN = 10 * MM

Box = tuple[float, float, float, float]


@dataclass
class _Line:
    text: str
    x: float
    y: float
    size: float


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).upper().split())


def _reader(pdf) -> PdfReader:
    if isinstance(pdf, (bytes, bytearray)):
        return PdfReader(io.BytesIO(pdf))
    if isinstance(pdf, (str, Path)):
        return PdfReader(str(pdf))
    pdf.seek(0)
    return PdfReader(pdf)


_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _page(reader: PdfReader, page: int) -> tuple[int, PageObject]:
    """The page with index `page` (negative counts from the end) and that index, read alone
    (`vpdt.signing.pagetree`): `reader.pages` reads every page object of the file first."""
    try:
        root_ref = reader.root_object.raw_get("/Pages")
        path = pagetree.path_to(root_ref, page)
        count = int(root_ref.get_object()["/Count"])
        found = PageObject(reader, path[-1][0])
        for key in _INHERITED:
            value = pagetree.inherited(path, key) if key not in found else None
            if value is not None:
                found[NameObject(key)] = value
        return (page if page >= 0 else count + page), found
    except pagetree.UNUSABLE:
        index = _page_index(len(reader.pages), page)  # pypdf's own walk, through every page
        return index, reader.pages[index]


def _lines(page) -> list[_Line]:
    parts: list[_Line] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        # Position in user space: text matrix then current transformation matrix.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        size = abs(font_size * (tm[3] or 1) * (cm[3] or 1))
        parts.append(_Line(text.strip(), x, y, size))

    page.extract_text(visitor_text=visit)
    return parts


def _page_index(n_pages: int, page: int) -> int:
    return page if page >= 0 else n_pages + page


def signer_box(
    pdf_path, *, signer_name: str | None = None, title: str | None = None, page: int = -1
) -> tuple[int, Box]:
    """The page index and the box for the signer's image, between title and name.

    Looks for the name line and the last line of the title on `page` (default the last);
    without them, falls back to the lower right part of the page, where Decree 30 puts the
    signature block.
    """
    index, pg = _page(_reader(pdf_path), page)
    x0, y0, x1, y1 = (float(v) for v in pg.mediabox)
    pw = x1 - x0
    lines = _lines(pg)
    name_line = title_line = None
    if signer_name:
        wanted = _norm(signer_name)
        cands = [ln for ln in lines if _norm(ln.text) == wanted] or [ln for ln in lines if wanted in _norm(ln.text)]
        if cands:
            name_line = min(cands, key=lambda ln: ln.y)
    if title:
        last = _norm(title.replace(" / ", "\n").split("\n")[-1])
        cands = [ln for ln in lines if _norm(ln.text) == last]
        if name_line:
            cands = [ln for ln in cands if ln.y > name_line.y]
        if cands:
            title_line = min(cands, key=lambda ln: ln.y)
    if name_line and not title_line:
        # The title is the nearest line above the name in the same column.
        above = [ln for ln in lines if ln.y > name_line.y + name_line.size and abs(ln.x - name_line.x) < pw / 4]
        if above:
            title_line = min(above, key=lambda ln: ln.y)
    if name_line and title_line:
        top = title_line.y - 0.3 * title_line.size
        bottom = name_line.y + 1.1 * name_line.size
        height = min(max(top - bottom, 12 * MM), SIGNER_BOX_MAX_HEIGHT)
        mid_y = min(max((top + bottom) / 2, y0 + height / 2 + 5), y1 - height / 2 - 5)
        # Centre on the name line; its width is estimated (text widths need font metrics).
        centre = name_line.x + 0.27 * name_line.size * len(name_line.text)
        half = SIGNER_BOX_WIDTH / 2
        centre = min(max(centre, x0 + half + 5), x1 - half - 5)
        return index, (centre - half, mid_y - height / 2, centre + half, mid_y + height / 2)
    # Fallback: right half, a third of the way up the page.
    centre = x0 + 0.68 * pw
    bottom = y0 + (y1 - y0) * 0.25
    return index, (centre - SIGNER_BOX_WIDTH / 2, bottom, centre + SIGNER_BOX_WIDTH / 2, bottom + SIGNER_BOX_MAX_HEIGHT)


def seal_box(signer_box: Box) -> Box:
    """A real-size seal whose right third covers the left third of the signer's box."""
    sx1, sy1, sx2, sy2 = signer_box
    overlap = (sx2 - sx1) * SEAL_OVERLAP
    right = sx1 + overlap
    mid_y = (sy1 + sy2) / 2
    return (right - SEAL_SIZE, mid_y - SEAL_SIZE / 2, right, mid_y + SEAL_SIZE / 2)


def attachment_box(pdf_path) -> tuple[int, Box]:
    """Top right of page 1, inside the margins: where the agency signs attachments and copies."""
    _, first = _page(_reader(pdf_path), 0)
    x0, y0, x1, y1 = (float(v) for v in first.mediabox)
    w, h = ATTACHMENT_BOX
    right = x1 - MARGIN
    top = y1 - 0.5 * MARGIN
    return 0, (right - w, top - h, right, top)

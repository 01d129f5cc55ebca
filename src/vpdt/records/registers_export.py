"""A register's book (records.registers) written as PDF or XLSX into a file, row by row.

PDF (reportlab): A4 landscape, DejaVu Sans (Vietnamese, embedded as the project's other PDFs
do); a cover page with the agency's name, the book's name, the year, the first and last dates
and numbers; then the table, its heading and column numbers (1)…(n) repeated at the top of
every page, and "Trang N" at the bottom. Rows are drawn straight on the canvas as they come
from the database (no table of the whole year in memory); a cell too long for one page is cut
with "…".

XLSX (openpyxl, write-only): the same title, headings and rows, one sheet; openpyxl's
write-only mode spools the rows to a temporary file.

The books are official Vietnamese records: they are written in Vietnamese whatever the
language of the person who asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from vpdt.core import pdf_fonts
from vpdt.core.i18n import vietnamese

FONT, FONT_BOLD = pdf_fonts.SANS, pdf_fonts.SANS_BOLD

PAGE_W, PAGE_H = landscape(A4)
MARGIN = 28.0
SIZE, LEADING, PAD = 8.0, 10.0, 3.0
HEAD_SIZE = 8.0
MAX_CELL_CHARS = 4000


_WIDTHS: dict[tuple[str, str], float] = {}


def _width(text: str, font: str, size: float) -> float:
    """The text's width, from each letter's width (cached): the fonts are not kerned."""
    total = 0.0
    for ch in text:
        w = _WIDTHS.get((font, ch))
        if w is None:
            w = _WIDTHS[(font, ch)] = pdfmetrics.stringWidth(ch, font, 1000)
        total += w
    return total * size / 1000


def _pieces(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the cell, cut by letters."""
    out, current = [], ""
    for ch in word:
        if current and _width(current + ch, font, size) > width:
            out.append(current)
            current = ""
        current += ch
    return [*out, current]


def _lines(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` wrapped to `width` at spaces; a word wider than the cell is cut by letters."""
    out: list[str] = []
    space = _width(" ", font, size)
    for paragraph in (text or "")[:MAX_CELL_CHARS].splitlines() or [""]:
        current, used = "", 0.0
        for word in paragraph.split():
            w = _width(word, font, size)
            if w > width:
                *full, word = _pieces(word, font, size, width)
                if current:
                    out.append(current)
                out.extend(full)
                current, used = word, _width(word, font, size)
                continue
            if current and used + space + w > width:
                out.append(current)
                current, used = word, w
            else:
                used += (space if current else 0.0) + w
                current = f"{current} {word}" if current else word
        out.append(current)
    return out


class _Table:
    """Draws the book's table on a canvas, a row at a time, starting new pages as needed."""

    def __init__(self, canvas: Canvas, book, caption: str):
        self.c, self.book, self.caption = canvas, book, caption
        total = sum(col.weight for col in book.columns)
        usable = PAGE_W - 2 * MARGIN
        self.widths = [usable * col.weight / total for col in book.columns]
        self.headings = [vietnamese(col.heading) for col in book.columns]
        self.page = 1  # the cover
        self.y = 0.0
        self.max_lines = int((PAGE_H - 2 * MARGIN - 120) / LEADING)

    def _footer(self) -> None:
        self.c.setFont(FONT, 8)
        self.c.drawCentredString(PAGE_W / 2, MARGIN / 2, f"Trang {self.page}")

    def new_page(self) -> None:
        self.c.showPage()
        self.page += 1
        self._footer()
        self.c.setFont(FONT, 8)
        self.c.drawString(MARGIN, PAGE_H - MARGIN + 8, self.caption)
        self.y = PAGE_H - MARGIN
        self._row(self.headings, bold=True, centred_all=True)
        self._row([f"({i})" for i in range(1, len(self.widths) + 1)], bold=False, centred_all=True)

    def _row(self, cells: list[str], *, bold: bool = False, centred_all: bool = False) -> None:
        font = FONT_BOLD if bold else FONT
        wrapped = [_lines(text, font, SIZE, w - 2 * PAD) for text, w in zip(cells, self.widths, strict=True)]
        wrapped = [lines if len(lines) <= self.max_lines else [*lines[: self.max_lines - 1], "…"]
                   for lines in wrapped]
        height = max(len(lines) for lines in wrapped) * LEADING + 2 * PAD
        if self.y - height < MARGIN and not (bold or centred_all):
            self.new_page()
        c, x = self.c, MARGIN
        c.setFont(font, SIZE)
        c.setLineWidth(0.5)
        for lines, width, column in zip(wrapped, self.widths, self.book.columns, strict=True):
            c.rect(x, self.y - height, width, height, stroke=1, fill=0)
            ty = self.y - PAD - SIZE
            for line in lines:
                if centred_all or column.centred:
                    c.drawCentredString(x + width / 2, ty, line)
                else:
                    c.drawString(x + PAD, ty, line)
                ty -= LEADING
            x += width
        self.y -= height

    def add(self, cells: list[str]) -> None:
        self._row(cells)


def _cover(c: Canvas, *, register, book, summary) -> None:
    agency = register.agency
    cx = PAGE_W / 2
    c.setFont(FONT_BOLD, 13)
    if agency.parent_id:
        c.setFont(FONT, 12)
        c.drawCentredString(cx, PAGE_H - 70, agency.parent.name.upper())
        c.setFont(FONT_BOLD, 13)
    c.drawCentredString(cx, PAGE_H - 90, agency.name.upper())
    c.setFont(FONT_BOLD, 24)
    c.drawCentredString(cx, PAGE_H - 210, vietnamese(book.title).upper())
    c.setFont(FONT, 13)
    c.drawCentredString(cx, PAGE_H - 235, f"({register.name})")
    c.setFont(FONT_BOLD, 16)
    c.drawCentredString(cx, PAGE_H - 280, f"Năm: {register.year}")
    c.setFont(FONT, 13)

    def d(value) -> str:
        return f"{value:%d/%m/%Y}" if value else "…"

    def n(value) -> str:
        return f"{value:02d}" if value is not None else "…"

    c.drawCentredString(cx, PAGE_H - 320, f"Từ ngày {d(summary.first_date)} đến ngày {d(summary.last_date)}")
    c.drawCentredString(cx, PAGE_H - 342, f"Từ số {n(summary.first_number)} đến số {n(summary.last_number)}")
    c.drawCentredString(cx, PAGE_H - 364, "Quyển số: 01")
    c.setFont(FONT, 9)
    c.drawCentredString(cx, MARGIN + 20, f"Số văn bản trong sổ: {summary.count}. "
                        f"Lập ngày {timezone.localdate():%d/%m/%Y} từ hệ thống quản lý văn bản (vpdt).")
    c.setFont(FONT, 8)
    c.drawCentredString(PAGE_W / 2, MARGIN / 2, "Trang 1")


def write_pdf(out: BinaryIO, *, register, book, summary, rows: Iterable[list[str]]) -> int:
    pdf_fonts.dejavu_sans()
    title = vietnamese(book.title)
    c = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1, invariant=0)
    c.setTitle(f"{title} năm {register.year} – {register.agency.name}")
    c.setAuthor(register.agency.name)
    c.setSubject(f"{register.name} {register.year}")
    c.setCreator("vpdt")
    _cover(c, register=register, book=book, summary=summary)
    table = _Table(c, book, f"{title} năm {register.year} – {register.agency.name} ({register.name})")
    table.new_page()
    count = 0
    for row in rows:
        table.add(row)
        count += 1
    c.showPage()
    c.save()
    return count


def write_xlsx(out: BinaryIO, *, register, book, summary, rows: Iterable[list[str]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{register.year}")
    total = sum(col.weight for col in book.columns)
    for i, col in enumerate(book.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = round(120 * col.weight / total, 1)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def styled(value, *, strong: bool = False, wrapped: bool = False):
        # A text is a text: never a formula (a subject "=HYPERLINK(…)" stays letters), never a control character.
        value = ILLEGAL_CHARACTERS_RE.sub("", value or "")
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        if strong:
            cell.font = bold
        if wrapped:
            cell.alignment = wrap
        return cell

    ws.append([styled(register.agency.name, strong=True)])
    ws.append([styled(f"{vietnamese(book.title).upper()} NĂM {register.year}", strong=True)])
    ws.append([styled(f"({register.name})")])
    ws.append([styled(vietnamese(col.heading), strong=True, wrapped=True) for col in book.columns])
    ws.append([styled(f"({i})") for i in range(1, len(book.columns) + 1)])
    count = 0
    for row in rows:
        ws.append([styled(value, wrapped=True) for value in row])
        count += 1
    wb.save(out)
    return count


# The rows of an XLSX written here: what comes after the title (3 rows), headings and numbers.
XLSX_HEADER_ROWS = 5

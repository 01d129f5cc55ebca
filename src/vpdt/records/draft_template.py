"""A draft's .docx laid out as Decree 30/2020/NĐ-CP, Phụ lục I (thể thức văn bản hành chính).

Made with python-docx (a maintained library that writes Office Open XML; pyproject.toml says why
rather than docxtpl): the layout is code, one function for every type, filled from the draft's
data, so there is no Word template file to keep in step with the Decree and no template language
inside a document a person edits. The specialist downloads it, writes the body in Word or
LibreOffice, and uploads it as a new version; the version is then converted to PDF
(records.renditions) for the page's viewer and for signing.

The page, top to bottom (Phụ lục I, mục II):
- left: cơ quan chủ quản (if any, upright) and cơ quan ban hành (bold), a short rule under it,
  "Số: …/ký hiệu" and, for a công văn, "V/v trích yếu" under it;
- right: the quốc hiệu "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (bold) and the tiêu ngữ
  "Độc lập - Tự do - Hạnh phúc" (bold) with a rule under it, then "Địa danh, ngày … tháng … năm …"
  (italic);
- the tên loại (bold, upper case) and the trích yếu (bold) centred, a short rule (typed documents);
- "Kính gửi:" where the type addresses someone, the body placeholder, "./." at its end;
- bottom left "Nơi nhận:" (bold italic) with its lines; bottom right quyền hạn (KT., TL., ...),
  chức vụ, room for the signature and seal, the signer's name (bold).
Times New Roman is the Decree's font: named here, the reader's Word has it (LibreOffice
substitutes the metric-compatible Liberation Serif when converting).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import BinaryIO

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FONT = "Times New Roman"
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class DraftData:
    """What the template is filled with (from a saved draft, or from the new-draft form)."""

    type_name: str
    type_abbreviation: str  # "" for a công văn
    type_code: str
    agency_name: str
    agency_abbreviation: str
    parent_name: str = ""  # cơ quan chủ quản
    unit_abbreviation: str = ""
    place: str = ""
    subject: str = ""
    addressees: list[str] = field(default_factory=list)  # Kính gửi
    recipients_lines: list[str] = field(default_factory=list)  # Nơi nhận
    competence: str = ""  # KT. GIÁM ĐỐC, TL. CHỦ TỊCH, ...
    position: str = ""  # PHÓ GIÁM ĐỐC
    signer_name: str = ""
    year: int = field(default_factory=lambda: dt.date.today().year)

    @property
    def is_cong_van(self) -> bool:
        return not self.type_abbreviation

    @property
    def notation(self) -> str:
        if self.type_abbreviation:
            return f"{self.type_abbreviation}-{self.agency_abbreviation}"
        if self.unit_abbreviation:
            return f"{self.agency_abbreviation}-{self.unit_abbreviation}"
        return self.agency_abbreviation


def data_of(document, *, addressees: list[str] | None = None) -> DraftData:
    """The template's data from a saved draft (records.models.Document)."""
    agency = document.agency
    recipients = list(document.recipients.select_related("unit", "agency")) if document.pk else []
    names = addressees if addressees is not None else [r.display_name for r in recipients if not r.for_info]
    lines = [line for line in (document.recipients_text or "").splitlines() if line.strip()]
    return DraftData(
        type_name=document.document_type.name, type_abbreviation=document.document_type.abbreviation,
        type_code=document.document_type.code, agency_name=agency.name,
        agency_abbreviation=agency.abbreviation, parent_name=agency.parent.name if agency.parent_id else "",
        unit_abbreviation=document.drafting_unit.abbreviation if document.drafting_unit_id else "",
        place=document.place or agency.place, subject=document.subject, addressees=names,
        recipients_lines=lines or _default_recipients(names, document.drafting_unit),
        competence=document.signer_competence, position=document.signer_position,
        signer_name=document.signer_name)


def _default_recipients(names: list[str], unit) -> list[str]:
    lines = ["- Như trên;"] if names else []
    lines += [f"- {n};" for n in names]
    abbreviation = getattr(unit, "abbreviation", "") or ""
    lines.append(f"- Lưu: VT{', ' + abbreviation if abbreviation else ''}.")
    return lines


def file_name(data: DraftData) -> str:
    from vpdt.core.text import fold

    words = "-".join(fold(data.subject).split()[:8]) or "du-thao"
    safe = "".join(c for c in words if c.isalnum() or c == "-")[:60]
    return f"{data.type_abbreviation or 'CV'}-{safe}.docx"


def _about(subject: str) -> str:
    """The trích yếu after "V/v" (a subject typed as "Về việc ..." does not say it twice)."""
    text = subject.strip()
    for prefix in ("V/v", "v/v", "Về việc", "về việc"):
        if text.startswith(prefix):
            return text[len(prefix):].strip()
    return text


# --- formatting helpers ------------------------------------------------------------------------


def _font(run, size: float, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _para(container, text: str = "", size: float = 13, *, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER,
          before: float = 0, after: float = 0, indent_first: float | None = None):
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), 1.0
    if indent_first is not None:
        fmt.first_line_indent = Cm(indent_first)
    if text:
        _font(p.add_run(text), size, bold=bold, italic=italic)
    return p


def _rule(container, width_cm: float, column_cm: float):
    """A short horizontal line, centred in a column `column_cm` wide (an empty paragraph's bottom border)."""
    p = _para(container, "", 2)
    side = max((column_cm - width_cm) / 2, 0)
    p.paragraph_format.left_indent = Cm(side)
    p.paragraph_format.right_indent = Cm(side)
    borders = OxmlElement("w:pBdr")
    line = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        line.set(qn(key), value)
    borders.append(line)
    p._p.get_or_add_pPr().append(borders)
    return p


def _first_cell_paragraph(cell):
    """A new cell has one empty paragraph: use it for the first line instead of leaving a blank line."""
    return cell.paragraphs[0]


def _cell_text(cell, text: str, size: float, *, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER,
               first: bool = False, before: float = 0):
    p = _first_cell_paragraph(cell) if first else cell.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(before), Pt(0)
    p.paragraph_format.line_spacing = 1.0
    if text:
        _font(p.add_run(text), size, bold=bold, italic=italic)
    return p


def _two_columns(doc, left_cm: float, right_cm: float):
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, cell, width in zip(table.columns, table.rows[0].cells, (left_cm, right_cm), strict=True):
        column.width = Cm(width)  # the grid (LibreOffice reads it) and the cell (Word reads it)
        cell.width = Cm(width)
    return table.rows[0].cells


# --- bodies per type ----------------------------------------------------------------------------

_BODY_HINT = "[Nội dung văn bản: soạn tại đây, cỡ chữ 13-14, căn đều hai lề, lùi đầu dòng 1 - 1,27 cm]"


def _body_lines(data: DraftData) -> list[tuple[str, dict]]:
    code = data.type_code.upper()
    if code == "QD":
        return [("Căn cứ …;", {"italic": True}), ("Theo đề nghị của ….", {"italic": True}),
                ("QUYẾT ĐỊNH:", {"bold": True, "center": True}),
                ("Điều 1. …", {}), ("Điều 2. …", {}),
                ("Điều 3. Quyết định này có hiệu lực kể từ ngày ký. … chịu trách nhiệm thi hành Quyết định này./.", {})]
    if code == "GM":
        return [("Trân trọng kính mời: …", {}), ("Tới dự: …", {}), ("Thời gian: … giờ …, ngày … tháng … năm …", {}),
                ("Địa điểm: …", {}), ("Nội dung: …", {}),
                ("Đề nghị … đến dự đúng thời gian và thành phần./.", {})]
    if code == "KH":
        return [("I. MỤC ĐÍCH, YÊU CẦU", {"bold": True}), ("…", {}), ("II. NỘI DUNG", {"bold": True}), ("…", {}),
                ("III. TỔ CHỨC THỰC HIỆN", {"bold": True}), ("…./.", {})]
    if code == "BC":
        return [("I. KẾT QUẢ THỰC HIỆN", {"bold": True}), ("…", {}),
                ("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", {"bold": True}), ("…", {}),
                ("III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", {"bold": True}), ("…", {}),
                ("IV. KIẾN NGHỊ, ĐỀ XUẤT", {"bold": True}), ("…./.", {})]
    if code == "TTR":
        return [(_BODY_HINT, {}), ("Kính trình … xem xét, quyết định./.", {})]
    if code == "TB":
        return [(_BODY_HINT, {}), ("… thông báo để các cơ quan, đơn vị biết, thực hiện./.", {})]
    return [(_BODY_HINT, {}), ("…./.", {})]


ADDRESSED = {"TTR", "GM"}  # typed documents with a "Kính gửi" line (besides the công văn)


# --- the document -----------------------------------------------------------------------------


def build(data: DraftData, out: BinaryIO) -> None:
    """Write the .docx of `data` to `out`."""
    doc = new_docx()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    core = doc.core_properties
    core.title, core.author, core.language = data.subject[:200], data.agency_name[:200], "vi-VN"

    left_cm, right_cm = 6.8, 9.7
    # Header: agency (left) and the national title (right).
    left, right = _two_columns(doc, left_cm, right_cm)
    if data.parent_name:
        _cell_text(left, data.parent_name.upper(), 12, first=True)
        _cell_text(left, data.agency_name.upper(), 12, bold=True)
    else:
        _cell_text(left, data.agency_name.upper(), 12, bold=True, first=True)
    _rule(left, 2.2, left_cm)
    _cell_text(left, f"Số:       /{data.notation}", 13, before=4)
    if data.is_cong_van:
        _cell_text(left, f"V/v {_about(data.subject)}", 12)
    _cell_text(right, NATIONAL_TITLE, 12, bold=True, first=True)
    _cell_text(right, MOTTO, 13, bold=True)
    _rule(right, 5.6, right_cm)
    date_line = f"{data.place or '…'}, ngày …… tháng …… năm {data.year}"
    _cell_text(right, date_line, 14, italic=True, before=4)

    # Tên loại and trích yếu (typed documents).
    if not data.is_cong_van:
        _para(doc, data.type_name.upper(), 14, bold=True, before=18)
        _para(doc, data.subject, 14, bold=True)
        _rule(doc, 3.0, 16.5)
    # Kính gửi.
    if data.is_cong_van or data.type_code.upper() in ADDRESSED:
        names = data.addressees or ["…"]
        if len(names) == 1:
            _para(doc, f"Kính gửi: {names[0]}.", 14, before=12)
        else:
            head = _para(doc, "Kính gửi:", 14, before=12, align=WD_ALIGN_PARAGRAPH.LEFT)
            head.paragraph_format.left_indent = Cm(3)
            for i, name in enumerate(names):
                p = _para(doc, f"- {name}{'.' if i == len(names) - 1 else ';'}", 14, align=WD_ALIGN_PARAGRAPH.LEFT)
                p.paragraph_format.left_indent = Cm(5.2)
    # The body.
    for n, (text, style) in enumerate(_body_lines(data)):
        _para(doc, text, 14, bold=style.get("bold", False), italic=style.get("italic", False),
              align=WD_ALIGN_PARAGRAPH.CENTER if style.get("center") else WD_ALIGN_PARAGRAPH.JUSTIFY,
              before=12 if n == 0 else 6, indent_first=None if style.get("center") else 1.27)

    # Nơi nhận (left) and the signer (right).
    _para(doc, "", 6, before=6)
    left, right = _two_columns(doc, 7.5, 9.0)
    _cell_text(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, first=True)
    for line in data.recipients_lines or ["- Như trên;", "- Lưu: VT."]:
        _cell_text(left, line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    competence = (data.competence or "").strip().upper()
    position = (data.position or "").strip().upper()
    first = True
    for line in [competence, position] if competence != position else [competence]:
        if line:
            _cell_text(right, line, 13, bold=True, first=first)
            first = False
    if first:
        _cell_text(right, "QUYỀN HẠN, CHỨC VỤ CỦA NGƯỜI KÝ", 13, bold=True, first=True)
    for _blank in range(4):  # room for the signer's signature image and the seal
        _cell_text(right, "", 13)
    _cell_text(right, data.signer_name or "Họ và tên", 14, bold=True)
    doc.save(out)

"""The demo province's documents from its old system: the Sở KH&CN's registers of 2024 and 2025,
brought in by the real import (a JSON bundle as docs/import.md asks the old vendor for, read by
`sources.bundle_rows` and written by `engine.Importer`, the path `vpdt import bundle` takes).

So a person trying the demo finds what issue 15's clerk could not: `11/SKHCN-CDS` (Đ typed as
D), `11/skhcn-cđs`, part of a symbol, an issuer's name without accents, a signer, and words
inside the files (a PDF's text layer, a DOCX, and a page that is only a scanned image, read by
OCR once the worker has taken the file). The records keep their legacy numbers in closed
historical registers; one issuer is not in the directory and is reported, not invented.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path

from vpdt.directory.models import Agency

AGENCY = "000.00.13.H90"  # the Sở KH&CN of the walk-through
SOURCE = "vic-binhson"
SCAN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
ISSUERS = {"000.00.03.H90": "Sở Tài chính tỉnh Bình Sơn", "000.00.00.H90": "Ủy ban nhân dân tỉnh Bình Sơn"}

# legacy id, direction, book, number, notation, issued, type, subject, signer, issuer (code, name),
# incoming number, received, file kind, the file's own words
RECORDS = [
    ("VBDI-2025-000311", "outgoing", "CĐS", 11, "SKHCN-CĐS", "2025-06-12", "CV",
     "Về việc đẩy mạnh chuyển đổi số trong hoạt động của các phòng, đơn vị thuộc Sở",
     "Vũ Đức Nam", None, None, None, "pdf",
     "Các phòng, đơn vị kết nối phần mềm quản lý văn bản với nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh "
     "và hoàn thành số hóa hồ sơ công việc trước ngày 30 tháng 9 năm 2025."),
    ("VBDI-2025-000342", "outgoing", "CĐS", 12, "KH-SKHCN", "2025-07-03", "KH",
     "Kế hoạch chuyển đổi số của Sở Khoa học và Công nghệ năm 2025",
     "Vũ Đức Nam", None, None, None, "docx",
     "Mục tiêu: một trăm phần trăm văn bản đi được ký số và gửi qua trục liên thông văn bản quốc gia."),
    ("VBDI-2024-000128", "outgoing", "chung", 45, "SKHCN-VP", "2024-03-18", "CV",
     "Về việc cử cán bộ tham dự tập huấn sử dụng chữ ký số chuyên dùng",
     "Lê Thị Hồng Nhung", None, None, None, "pdf",
     "Đề nghị các đơn vị cử mỗi đơn vị hai cán bộ tham dự lớp tập huấn sử dụng chữ ký số chuyên dùng Chính phủ."),
    ("VBDI-2024-000402", "outgoing", "chung", 187, "BC-SKHCN", "2024-12-20", "BC",
     "Báo cáo tổng kết công tác khoa học và công nghệ năm 2024",
     "Lê Thị Hồng Nhung", None, None, None, None, ""),
    ("VBDEN-2025-001520", "incoming", "chung", 1520, "UBND-KGVX", "2025-05-06", "CV",
     "Về việc kiểm tra công tác văn thư, lưu trữ năm 2025",
     "Phạm Minh Tuấn", ("", "Uy ban nhan dan tinh Binh Son"), 412, "2025-05-07T08:30:00+07:00", "scan",
     "Kiểm tra công tác văn thư lưu trữ tại các sở ngành trong quý II năm 2025"),
    ("VBDEN-2025-000877", "incoming", "chung", 877, "STC-NSNN", "2025-04-14", "CV",
     "Về việc hướng dẫn lập dự toán kinh phí chuyển đổi số năm 2026",
     "Đặng Văn Hải", ("000.00.03.H90", ""), 301, "2025-04-15T09:10:00+07:00", "pdf",
     "Kinh phí thuê dịch vụ công nghệ thông tin được lập dự toán theo Thông tư số 03/2024/TT-BTC."),
    ("VBDEN-2024-000093", "incoming", "chung", 93, "QĐ-UBND", "2024-02-01", "QĐ",
     "Quyết định ban hành Quy chế quản lý, sử dụng chữ ký số trên địa bàn tỉnh",
     "Phạm Minh Tuấn", ("000.00.00.H90", ""), 58, "2024-02-02T14:00:00+07:00", None, ""),
    ("VBDEN-2024-000210", "incoming", "chung", 36, "CV-PMC", "2024-09-09", "CV",
     "Về việc bàn giao dữ liệu phần mềm quản lý văn bản cũ",
     "Trần Văn Phúc", ("", "Công ty TNHH Phần mềm Cũ"), 203, "2024-09-10T10:00:00+07:00", None, ""),
]


def _pdf(subject: str, words: str, code: str, issued: str, signer: str, issuer: str) -> bytes:
    """A one-page letter with a text layer, as the old system kept its signed PDFs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "DemoSerif"
    try:
        if font not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(font, SCAN_FONT))
    except Exception:  # fonts-dejavu-core missing: an ASCII-only font, still a PDF with text
        font = "Times-Roman"
    y, m, d = issued.split("-")
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(subject)
    lines = [issuer.upper(), f"Số: {code}", f"Bình Sơn, ngày {d} tháng {m} năm {y}", "",
             *_wrap(subject, 70), "", *_wrap(words, 80), "", "GIÁM ĐỐC", signer]
    for i, line in enumerate(lines):
        page.setFont(font, 12)
        page.drawString(70, 780 - 18 * i, line)
    page.showPage()
    page.save()
    return out.getvalue()


def _scan(lines: list[str]) -> bytes:
    """An image-only page as a scanner gives it: the words drawn at 300 dpi, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(SCAN_FONT, 50)  # 12 pt at 300 dpi
    except OSError:  # fonts-dejavu-core missing: OCR then reads less, the page is still a scan
        font = ImageFont.load_default()
    image = Image.new("L", (2480, 160 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((150, 80 + 90 * i), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=300)
    return out.getvalue()


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_bundle(folder: Path) -> Path:
    """The old system's export: bundle.jsonl and files/ under `folder`, per docs/import.md."""
    (folder / "files").mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"bundle": {"version": 1, "source": SOURCE, "agency": AGENCY}}, ensure_ascii=False)]
    for (lid, direction, book, number, notation, issued, kind, subject, signer, issuer, in_no, received,
         file_kind, words) in RECORDS:
        record = {"legacy_id": lid, "direction": direction, "book": book, "number": number, "notation": notation,
                  "issued_date": issued, "document_type": kind, "subject": subject, "signer_name": signer,
                  "state": "completed" if direction == "incoming" else "released"}
        if issuer:
            record["issuer"] = {k: v for k, v in zip(("code", "name"), issuer, strict=True) if v}
            record["incoming_number"], record["received_at"] = in_no, received
        if file_kind:
            if file_kind == "docx":
                data = _docx([subject, words])
            elif file_kind == "scan":
                data = _scan([subject, *_wrap(words, 60)])
            else:
                by = (issuer and ISSUERS.get(issuer[0])) or "Sở Khoa học và Công nghệ tỉnh Bình Sơn"
                data = _pdf(subject, words, f"{number}/{notation}", issued, signer, by)
            name = f"{lid}.{'docx' if file_kind == 'docx' else 'pdf'}"
            (folder / "files" / name).write_bytes(data)
            record["files"] = [{"path": f"files/{name}", "sha256": hashlib.sha256(data).hexdigest()}]
        lines.append(json.dumps(record, ensure_ascii=False))
    path = folder / "bundle.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*out, line] if line else out


def import_demo_bundle():
    """Writes the bundle to a temporary folder and imports it; returns the import's report."""
    from vpdt.migration import sources
    from vpdt.migration.engine import Importer
    from vpdt.migration.normalize import Normalizer

    agency = Agency.objects.filter(code=AGENCY).first()
    if agency is None:
        return None
    with tempfile.TemporaryDirectory(prefix="vpdt-demo-import-") as tmp:
        write_bundle(Path(tmp))
        header, _total, rows = sources.bundle_rows(Path(tmp))
        normalizer = Normalizer(agency, date_format="yyyy-mm-dd")
        return Importer(agency, header["source"], normalizer).run(rows)


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    progress("Nhập văn bản năm 2024, 2025 của Sở KH&CN từ hệ thống cũ (vpdt import)…")
    import_demo_bundle()

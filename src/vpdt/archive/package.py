"""The archive package (gói nộp lưu): a ZIP of dossiers that verifies on its own, offline.

Layout (docs/archive-package.md; the JSON metadata follows docs/archive-package.schema.json):

    bagit.txt                          BagIt declaration (RFC 8493)
    data/<dossier>/hoso.json           the dossier's metadata (JSON)
    data/<dossier>/hoso.xml            the same metadata (XML)
    data/<dossier>/<NNN>/<MM>-<name>   each document's files in the dossier's order, as stored
    manifest-sha256.txt                "sha256  path" for every file above (BagIt)
    bien-ban-nop-luu.pdf               the transfer record: the dossiers listed and the manifest's
                                       SHA-256, signed by the agency (PAdES), the chain embedded

The package is written entry by entry into a temporary file (each file streamed from the blob
store and hashed on the way), then stored as a Blob: never the whole package in memory. The
manifest covers every file but itself and the record; the record carries the manifest's hash
(printed, and in the PDF's Keywords as `manifest-sha256=<hex>`) under the agency's signature,
so every byte of the package is covered by the signature. Checking: vpdt.archive.verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils import timezone

from vpdt.archive.models import Dossier, DossierItem
from vpdt.core import blobs
from vpdt.core.errors import InvalidState
from vpdt.core.models import Blob
from vpdt.core.text import fold
from vpdt.records.models import Attachment

SCHEMA_VERSION = "1.0"
SCHEMA_ID = "https://vpdt.gov.vn/schema/archive-package/1.0"
MANIFEST = "manifest-sha256.txt"
RECORD = "bien-ban-nop-luu.pdf"
BAGIT = "bagit.txt"
BAGIT_TEXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
KEYWORD = "manifest-sha256="
CHUNK = 1 << 20


@dataclass
class Built:
    blob: Blob
    signer: str
    manifest_sha256: str
    files: int


def safe_name(text: str, limit: int = 80) -> str:
    """A path part in plain ASCII (the Vietnamese folded), no separators: `Báo cáo/2025.pdf` →
    `bao-cao-2025.pdf`."""
    folded = fold(text)
    cleaned = re.sub(r"[^0-9a-z._-]+", "-", folded).strip("-.") or "tep"
    if len(cleaned) > limit:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) <= 8 else cleaned[:limit]
    return cleaned


def dossier_dir(dossier: Dossier) -> str:
    return "data/" + re.sub(r"[^0-9A-Za-z._-]+", "_", dossier.code)


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or None


def _items(dossier: Dossier) -> list[DossierItem]:
    return list(DossierItem.objects.filter(dossier=dossier)
                .select_related("document", "document__document_type").order_by("order", "id"))


def _attachments(document) -> list[Attachment]:
    return list(Attachment.objects.filter(document=document).select_related("blob").order_by("id"))


def _hash_stream(src, dst=None) -> str:
    digest = hashlib.sha256()
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        if dst is not None:
            dst.write(chunk)
    return digest.hexdigest()


class _Writer:
    """Entries into the ZIP, each hashed while written; the manifest's lines collected."""

    def __init__(self, out):
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.lines: list[tuple[str, str]] = []
        self.names: set[str] = set()

    def add_stream(self, name: str, src, *, manifest: bool = True, stored: bool = False) -> str:
        """`stored`: kept uncompressed (the documents' files: PDFs and scans are compressed already,
        and a damaged byte of a stored entry spoils that byte only)."""
        if name in self.names:
            raise ValueError(f"duplicate entry {name}")
        self.names.add(name)
        info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self.zip.open(info, "w", force_zip64=True) as dst:
            sha = _hash_stream(src, dst)
        if manifest:
            self.lines.append((sha, name))
        return sha

    def add_bytes(self, name: str, data: bytes, *, manifest: bool = True) -> str:
        import io

        return self.add_stream(name, io.BytesIO(data), manifest=manifest)


def document_metadata(item: DossierItem, index: int, base: str) -> tuple[dict, list[tuple[str, Attachment]]]:
    doc = item.document
    files, meta_files = [], []
    for n, att in enumerate(_attachments(doc), start=1):
        path = f"{base}/{index:03d}/{n:02d}-{safe_name(att.name)}"
        files.append((path, att))
        meta_files.append({"path": path, "name": att.name, "size": att.blob.size, "sha256": att.blob.sha256,
                           "kind": att.kind, "content_type": att.content_type or None})
    issuer = doc.issuer_name or (doc.agency.name if doc.direction != "incoming" else "")
    return {
        "order": index,
        "code": doc.code or None,
        "number": doc.number,
        "notation": doc.notation or None,
        "date": _date(doc.issued_date),
        "issuer": issuer or None,
        "subject": doc.subject,
        "type": {"code": doc.document_type.code, "name": doc.document_type.name},
        "direction": doc.direction,
        "page_count": doc.page_count,
        "files": meta_files,
    }, files


def dossier_metadata(dossier: Dossier) -> tuple[dict, list[tuple[str, Attachment]]]:
    base = dossier_dir(dossier)
    documents, files = [], []
    for index, item in enumerate(_items(dossier), start=1):
        meta, its_files = document_metadata(item, index, base)
        documents.append(meta)
        files += its_files
    meta = {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "agency": {"code": dossier.agency.code, "name": dossier.agency.name},
        "dossier": {
            "code": dossier.code,
            "title": dossier.title,
            "year": dossier.year,
            "retention": {"years": dossier.retention_years, "label": dossier.retention_label},
            "start_date": _date(dossier.start_date),
            "end_date": _date(dossier.end_date),
            "sheets": dossier.sheets,
            "pages": dossier.pages,
            "closing_note": dossier.closing_note,
            "owner": _person(dossier.owner),
            "unit": dossier.unit.name if dossier.unit_id else None,
            "closed_at": dossier.closed_at.isoformat() if dossier.closed_at else None,
        },
        "documents": documents,
    }
    return meta, files


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _element(parent, tag: str, value):
    """A child element for a JSON value: an object's keys as children, a list's items as `item`
    children (`documents` → `document`, `files` → `file`), null as an empty element."""
    from lxml import etree

    node = etree.SubElement(parent, f"{{{SCHEMA_ID}}}{tag}")
    if isinstance(value, dict):
        for key, child in value.items():
            _element(node, key, child)
    elif isinstance(value, list):
        for child in value:
            _element(node, tag[:-1], child)
    elif value is not None:
        node.text = _CONTROL.sub("", str(value))
    return node


def metadata_xml(meta: dict) -> bytes:
    """The JSON metadata as XML (lxml), element for key with the same names, in UTF-8."""
    from lxml import etree

    root = etree.Element(f"{{{SCHEMA_ID}}}hoSo", nsmap={None: SCHEMA_ID}, schemaVersion=SCHEMA_VERSION)
    for key in ("agency", "dossier", "documents"):
        _element(root, key, meta[key])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _vn(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def write_record(out, *, agency, title: str, year: int | None, dossiers: list[Dossier], manifest_sha256: str,
                 files: int, when: dt.datetime) -> None:
    """The transfer record (biên bản / mục lục hồ sơ nộp lưu) as a PDF in Vietnamese."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from vpdt.core.pdf_fonts import dejavu_sans

    sans, bold = dejavu_sans()
    normal = ParagraphStyle("n", fontName=sans, fontSize=9, leading=12)
    head = ParagraphStyle("h", fontName=bold, fontSize=13, leading=17, alignment=1)
    small = ParagraphStyle("s", fontName=sans, fontSize=8, leading=10)
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=25 * mm,
                            bottomMargin=15 * mm, title=title, author=agency.name,
                            subject="Gói hồ sơ nộp lưu vpdt", keywords=f"{KEYWORD}{manifest_sha256}",
                            creator="vpdt")
    story = [Paragraph(escape(agency.name.upper()), ParagraphStyle("a", parent=normal, fontName=bold)),
             Spacer(1, 4 * mm), Paragraph(escape(title.upper()), head)]
    if year:
        story.append(Paragraph(f"Hồ sơ năm {year}", ParagraphStyle("y", parent=normal, alignment=1)))
    story.append(Spacer(1, 5 * mm))
    rows = [["STT", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian", "Thời hạn bảo quản", "Số tờ", "Số văn bản"]]
    for n, d in enumerate(dossiers, start=1):
        span = f"{_vn(d.start_date)} - {_vn(d.end_date)}" if d.start_date or d.end_date else ""
        rows.append([str(n), Paragraph(escape(d.code), small), Paragraph(escape(d.title), small), Paragraph(span, small),
                     d.retention_label, str(d.sheets or ""), str(d.items.count())])
    table = Table(rows, colWidths=[10 * mm, 40 * mm, 60 * mm, 25 * mm, 20 * mm, 12 * mm, 13 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), sans, 8), ("FONT", (0, 0), (-1, 0), bold, 8),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 6 * mm),
              Paragraph(f"Tổng số: {len(dossiers)} hồ sơ; {files} tệp trong gói (kể cả siêu dữ liệu).", normal),
              Paragraph(f"Lập lúc: {timezone.localtime(when).strftime('%H:%M %d/%m/%Y')}.", normal),
              Spacer(1, 3 * mm),
              Paragraph(f"Mã SHA-256 của tệp {MANIFEST} (bảng mã băm của mọi tệp trong gói):", normal),
              Paragraph(f"<font face='Courier'>{manifest_sha256}</font>", normal),
              Spacer(1, 3 * mm),
              Paragraph("Biên bản này được ký số bằng chữ ký số của cơ quan; chữ ký bảo đảm bảng mã băm, "
                        "bảng mã băm bảo đảm từng tệp. Kiểm tra: vpdt archive verify &lt;gói&gt;.", small)]
    doc.build(story)


def _damaged(dossier: Dossier, att: Attachment, detail: str) -> InvalidState:
    return InvalidState(f"Tệp {att.name} trong hồ sơ {dossier.code} bị thiếu hoặc hỏng trong kho lưu trữ tệp: "
                        "chưa lập được gói. Hãy báo quản trị hệ thống.", code="ARCHIVE_FILE_DAMAGED", detail=detail)


def build(dossiers: Iterable[Dossier], *, agency, title: str, year: int | None, seal, out) -> tuple[str, str, int]:
    """Write the package of `dossiers` into the binary file `out`. `seal(src, dst) -> signer`
    signs the record (src, dst: temporary files). Returns (signer, manifest sha256, files)."""
    dossiers = list(dossiers)
    writer = _Writer(out)
    try:
        writer.add_bytes(BAGIT, BAGIT_TEXT.encode())
        for dossier in dossiers:
            meta, files = dossier_metadata(dossier)
            base = dossier_dir(dossier)
            writer.add_bytes(f"{base}/hoso.json", json.dumps(meta, ensure_ascii=False, indent=2).encode())
            writer.add_bytes(f"{base}/hoso.xml", metadata_xml(meta))
            for path, att in files:
                try:
                    with blobs.open_blob(att.blob) as src:
                        sha = writer.add_stream(path, src, stored=True)
                except OSError as exc:
                    raise _damaged(dossier, att, str(exc)) from exc
                if sha != att.blob.sha256:
                    raise _damaged(dossier, att, f"blob {att.blob.sha256} holds {sha}")
        manifest = "".join(f"{sha}  {name}\n" for sha, name in writer.lines).encode()
        manifest_sha = writer.add_bytes(MANIFEST, manifest, manifest=False)
        with tempfile.TemporaryFile(prefix="vpdt-archive-") as plain, \
                tempfile.TemporaryFile(prefix="vpdt-archive-signed-") as signed:
            write_record(plain, agency=agency, title=title, year=year, dossiers=dossiers,
                         manifest_sha256=manifest_sha, files=len(writer.lines) + 2, when=timezone.now())
            plain.seek(0)
            signer = seal(plain, signed)
            signed.seek(0)
            writer.add_stream(RECORD, signed, manifest=False, stored=True)
        count = len(writer.lines) + 2
    finally:
        writer.zip.close()
    return signer, manifest_sha, count


def build_blob(dossiers: Iterable[Dossier], *, agency, title: str, year: int | None, seal) -> Built:
    """The package written to a temporary file, then stored as a Blob (streamed)."""
    with tempfile.TemporaryFile(prefix="vpdt-archive-package-") as out:
        signer, manifest_sha, count = build(dossiers, agency=agency, title=title, year=year, seal=seal, out=out)
        out.seek(0)
        blob = blobs.store_stream(out, max_bytes=1 << 42)
    return Built(blob=blob, signer=signer, manifest_sha256=manifest_sha, files=count)


def agency_seal(user, agency, *, label: str, pin: str | None = None):
    """The agency's seal through the signing app, as the closed registers are signed."""
    from vpdt.signing import services as signing

    def seal(src, dst) -> str:
        return signing.seal_agency_pdf(user, agency, src, dst, label=label, pin=pin, field_name="NopLuu",
                                       reason="Mục lục hồ sơ nộp lưu", missing_code="ARCHIVE_SEAL_MISSING",
                                       missing="chưa lập được gói hồ sơ nộp lưu")

    return seal

"""Small builders for tests: an agency with its people, documents in a given state."""

from __future__ import annotations

import itertools

from vpdt.directory.models import Agency, RoleAssignment, Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document, DocumentType
from vpdt.records.seed import seed_document_types

_seq = itertools.count(1)


def doc_type(code: str = "CV") -> DocumentType:
    found = DocumentType.objects.filter(code=code).first()
    if found is None:
        seed_document_types(DocumentType)
        found = DocumentType.objects.get(code=code)
    return found


def agency(code: str | None = None, abbreviation: str = "UBND", name: str | None = None, **kw) -> Agency:
    n = next(_seq)
    code = code or f"000.00.{n % 100:02d}.H{(n // 100) % 100:02d}"
    return Agency.objects.create(code=code, name=name or f"Cơ quan thử {n}", abbreviation=abbreviation, **kw)


def unit(agency: Agency, abbreviation: str = "VP", name: str | None = None) -> Unit:
    return Unit.objects.create(agency=agency, abbreviation=abbreviation, name=name or f"Phòng {abbreviation}")


def person(agency: Agency, *roles: str, unit: Unit | None = None, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or f"user{next(_seq)}", password="Secret#12345", agency=agency, unit=unit,
        full_name=f"Cán bộ {next(_seq)}",
    )
    for role in roles:
        RoleAssignment.objects.create(user=user, agency=agency, role=role)
    return user


def clerk(agency: Agency, **kw) -> User:
    return person(agency, Role.CLERK, **kw)


def document(agency: Agency, *, direction: str = Direction.OUTGOING, state: str | None = None,
             type_code: str = "CV", **fields) -> Document:
    if state is None:
        state = State.APPROVED if direction != Direction.INCOMING else State.RECEIVED
    fields.setdefault("subject", "Về việc thử nghiệm hệ thống văn phòng điện tử")
    return Document.objects.create(agency=agency, direction=direction, state=state,
                                   document_type=doc_type(type_code), **fields)


def pdf_bytes(text: str = "", *, pad: int = 0) -> bytes:
    """A small valid PDF (files are judged by their bytes: a fake "%PDF-1.4 x" is refused);
    `pad` bytes of blank page content make it as large as a test needs."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    if pad:
        stream = DecodedStreamObject()
        stream.set_data(b" " * pad)
        page[NameObject("/Contents")] = writer._add_object(stream)
    if text:
        writer.add_metadata({"/Title": TextStringObject(text)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal .docx (zip with the WordprocessingML main part named in [Content_Types].xml)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        zf.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


class StoredZip:
    """A zip archive of one stored (uncompressed) entry whose bytes come from `source_factory()`,
    produced on demand (never held whole): a large file vpdt keeps (an archive, download only).
    `source_factory` is called twice: once for the CRC, once for the bytes."""

    def __init__(self, name: str, size: int, source_factory):
        import struct
        import zlib

        crc, src = 0, source_factory()
        while chunk := src.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
        fname = name.encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, size, size, len(fname), 0) + fname
        central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, size, size, len(fname),
                              0, 0, 0, 0, 0, 0) + fname
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + size, 0)
        import io

        self._parts = [io.BytesIO(local), source_factory(), io.BytesIO(central + end)]

    def read(self, n: int = -1) -> bytes:
        while self._parts:
            data = self._parts[0].read(n if n and n > 0 else 1 << 20)
            if data:
                return data
            self._parts.pop(0)
        return b""

"""What a file is, decided from its bytes: the one place that says which files vpdt keeps.

Never the name nor the type the uploader or the sending system declared. The head of the
file picks a candidate, then the candidate is parsed from the file on disk (never read
whole into memory):

- PDF: parsed with pypdf; its objects are walked from the trailer for active content
  (JavaScript actions, the /JavaScript name tree, /Launch, XFA forms, embedded files whose
  bytes are executables or scripts). Active content is reported on the FileType
  (`active_content`), and the caller decides (records refuses it unless the agency allows).
- Office Open XML (.docx, .xlsx, .pptx) and OpenDocument (.odt, .ods, .odp): the zip's
  [Content_Types].xml or mimetype entry; macro-enabled types, vbaProject.bin and ODF
  Basic/ scripts are refused.
- Images (PNG, JPEG, GIF, TIFF, WEBP): Pillow's verify.
- Any other zip: an archive, kept for download only (a package received over the hub
  may carry one); never opened in the browser.
- Everything else (empty files, HTML, SVG, XML, scripts, PE "MZ" and ELF executables,
  legacy OLE Office files, unparseable PDFs) is refused with a precise code.

It lives in core (below records and exchange) because it is about bytes only: the blob
store calls it on the spooled temporary file before the file takes its place, so a refused
file is never stored.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from vpdt.core.errors import InvalidInput

HEAD = 8192

PDF = "application/pdf"
DOWNLOAD_ONLY = "application/octet-stream"

# kind -> content type
OFFICE = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
IMAGES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "tiff": "image/tiff", "webp": "image/webp"}
# What the page's viewer renders (pdf.js; images): served inline, sandboxed; all else downloads.
INLINE_KINDS = {"pdf", *IMAGES}

# The main part of an OOXML package, by its content type in [Content_Types].xml.
_OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "docx",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
    b"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": "pptx",
}
_OOXML_MACRO_MARKERS = (b"macroEnabled", b"vbaProject", b"application/vnd.ms-office.activeX")
_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_MAX_MANIFEST = 1024 * 1024  # [Content_Types].xml, mimetype: a few KB in real files

# Executables and scripts, by their first bytes (embedded files of a PDF are judged by these).
_EXECUTABLE_HEADS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf")
_SCRIPT_EXTENSIONS = (".exe", ".dll", ".scr", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse",
                      ".wsf", ".hta", ".msi", ".jar", ".sh", ".lnk", ".html", ".htm", ".svg")


class FileRefused(InvalidInput):
    """A file vpdt does not keep: the code says why (FILE_EMPTY, FILE_TYPE_REFUSED, PDF_UNREADABLE,
    PDF_ACTIVE_CONTENT, OFFICE_MACROS, OFFICE_UNREADABLE, IMAGE_UNREADABLE)."""

    code = "FILE_TYPE_REFUSED"
    http_status = 415


@dataclass(frozen=True)
class FileType:
    kind: str                     # pdf, docx, xlsx, pptx, odt, ods, odp, png, jpeg, gif, tiff, webp, zip, refused
    content_type: str
    active_content: bool = False  # a PDF with JavaScript, /Launch or embedded executables
    detail: str = ""              # for integrators: what was found

    @property
    def inline(self) -> bool:
        """Opened in the page's viewer (sandboxed) rather than downloaded."""
        return self.kind in INLINE_KINDS and not self.active_content


def _refuse(code: str, message: str, detail: str) -> FileRefused:
    return FileRefused(message, code=code, detail=detail)


def _not_allowed(looks_like: str) -> FileRefused:
    return _refuse("FILE_TYPE_REFUSED",
                   "Tệp không thuộc loại được chấp nhận (PDF, văn bản Word/Excel/PowerPoint hoặc OpenDocument, ảnh).",
                   f"content looks like: {looks_like}")


def _looks_like(head: bytes) -> str:
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"MZ"):
        return "PE executable (MZ)"
    if head.startswith(b"\x7fELF"):
        return "ELF executable"
    if head.startswith(b"#!"):
        return "script (#!)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "OLE compound file (legacy Office, may carry macros)"
    if b"<svg" in h[:2048]:
        return "SVG"
    if h.startswith((b"<!doctype html", b"<html", b"<script", b"<head", b"<body", b"<iframe")) or b"<script" in h:
        return "HTML"
    if h.startswith(b"<"):
        return "XML or HTML"
    return "unknown"


def identify(path: str | os.PathLike) -> FileType:
    """The type of the file at `path`, from its bytes; raises FileRefused for what vpdt does not keep."""
    size = os.path.getsize(path)
    if size == 0:
        raise _refuse("FILE_EMPTY", "Tệp rỗng (0 byte).", "empty file")
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
    if b"%PDF-" in head[:1024]:
        return _pdf(path)
    if head.startswith(b"PK\x03\x04"):
        return _zip(path)
    image = _image_kind(head)
    if image:
        return _image(path, image)
    raise _not_allowed(_looks_like(head))


@contextlib.contextmanager
def local_copy(blob) -> Iterator[str]:
    """A path to the blob's bytes: the stored file itself, or a temporary copy (S3) made in chunks."""
    from vpdt.core import blobs

    path = blobs.local_path(blob)
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="vpdt-type-") as tmp, blobs.open_blob(blob) as src:
        shutil.copyfileobj(src, tmp, blobs.CHUNK)
        tmp.flush()
        yield tmp.name


def identify_blob(blob) -> FileType:
    with local_copy(blob) as path:
        return identify(path)


# --- images ---------------------------------------------------------------------------------


def _image_kind(head: bytes) -> str:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return ""


def _image(path, kind: str) -> FileType:
    from PIL import Image

    try:
        with Image.open(path) as im:
            found = (im.format or "").lower()
            im.verify()
    except Exception as exc:
        raise _refuse("IMAGE_UNREADABLE", "Không đọc được tệp ảnh (tệp hỏng hoặc không phải ảnh).",
                      f"{type(exc).__name__}: {exc}") from exc
    if found != kind:
        raise _refuse("IMAGE_UNREADABLE", "Không đọc được tệp ảnh (tệp hỏng hoặc không phải ảnh).",
                      f"header says {kind}, Pillow read {found}")
    return FileType(kind, IMAGES[kind])


# --- zip: Office Open XML, OpenDocument, plain archives --------------------------------------------


def _zip(path) -> FileType:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse("OFFICE_UNREADABLE", "Tệp nén hoặc tệp Office bị hỏng, không đọc được.",
                      f"{type(exc).__name__}: {exc}") from exc
    with zf:
        infos = zf.infolist()
        names = {i.filename: i for i in infos}
        lowered = [n.lower() for n in names]
        macros = [n for n in lowered if n.endswith("vbaproject.bin") or n.endswith("vbadata.xml")
                  or n.startswith(("basic/", "scripts/")) or "/activex/" in f"/{n}"]
        if "[Content_Types].xml" in names:
            manifest = _small_entry(zf, names["[Content_Types].xml"])
            if macros or any(m in manifest for m in _OOXML_MACRO_MARKERS):
                raise _macros(macros or ["macro-enabled content type"])
            for main, kind in _OOXML_MAIN.items():
                if main in manifest:
                    return FileType(kind, OFFICE[kind])
            raise _refuse("OFFICE_UNREADABLE", "Tệp Office không đúng cấu trúc (không có phần nội dung chính).",
                          "[Content_Types].xml names no known main part")
        if "mimetype" in names:
            mimetype = _small_entry(zf, names["mimetype"]).strip()
            if macros:
                raise _macros(macros)
            kind = _ODF_TYPES.get(mimetype)
            if kind is None:
                raise _not_allowed(f"OpenDocument {mimetype[:80]!r}")
            return FileType(kind, OFFICE[kind])
        if macros:
            raise _macros(macros)
        return FileType("zip", "application/zip", detail=f"{len(infos)} entries")


def _small_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _MAX_MANIFEST:
        raise _refuse("OFFICE_UNREADABLE", "Tệp Office không đúng cấu trúc.", f"{info.filename}: {info.file_size} bytes")
    try:
        with zf.open(info) as fh:
            return fh.read(_MAX_MANIFEST + 1)[:_MAX_MANIFEST]
    except (zipfile.BadZipFile, RuntimeError, OSError, NotImplementedError, zlib.error) as exc:
        raise _refuse("OFFICE_UNREADABLE", "Tệp Office bị hỏng hoặc có mật khẩu, không đọc được.",
                      f"{info.filename}: {type(exc).__name__}: {exc}") from exc


def _macros(found) -> FileRefused:
    return _refuse("OFFICE_MACROS", "Tệp Office có macro hoặc mã chạy tự động: không chấp nhận. Hãy lưu lại dưới "
                   "dạng .docx, .xlsx, .pptx (không macro) hoặc PDF.", f"found: {', '.join(list(found)[:5])}")


# --- PDF --------------------------------------------------------------------------------------

# Actions that run something: script, another program, or a form sent elsewhere with the file.
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/RichMediaExecute", "/ImportData"}
# Keys not followed while walking (content, fonts and images carry no action; back-references).
_SKIP_KEYS = {"/Contents", "/Resources", "/Parent", "/P", "/Font", "/XObject", "/Thumb", "/Metadata",
              "/ColorSpace", "/Pattern", "/Shading", "/ExtGState", "/StructParent", "/StructTreeRoot",
              "/Dest", "/D", "/Last", "/Prev", "/Encrypt", "/ID", "/Perms", "/DSS", "/V"}
_MAX_OBJECTS = 200_000


def _pdf(path) -> FileType:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse("PDF_UNREADABLE", "Tệp PDF có mật khẩu mở: không đọc được.", "encrypted with a user password")
        pages = len(reader.pages)
        if pages == 0:
            raise _refuse("PDF_UNREADABLE", "Tệp PDF không có trang nào.", "0 pages")
        found: list[str] = []
        seen: set[int] = set()
        stack = [reader.trailer["/Root"]]
        visited = 0
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                if obj.idnum in seen:
                    continue
                seen.add(obj.idnum)
                obj = obj.get_object()
            visited += 1
            if visited > _MAX_OBJECTS:
                raise _refuse("PDF_UNREADABLE", "Tệp PDF có cấu trúc quá phức tạp, không kiểm tra được.",
                              f"more than {_MAX_OBJECTS} objects reachable")
            if isinstance(obj, DictionaryObject):
                found.extend(_active_in(obj, StreamObject))
                for key, value in obj.items():
                    if key in _SKIP_KEYS:
                        continue
                    if isinstance(value, IndirectObject | DictionaryObject | ArrayObject):
                        stack.append(value)
            elif isinstance(obj, ArrayObject):
                stack.extend(v for v in obj if isinstance(v, IndirectObject | DictionaryObject | ArrayObject))
            elif isinstance(obj, NameObject):
                continue
    except FileRefused:
        raise
    except Exception as exc:  # pypdf raises many kinds on a broken file
        raise _refuse("PDF_UNREADABLE", "Tệp PDF bị hỏng hoặc không đúng định dạng, không đọc được.",
                      f"{type(exc).__name__}: {exc}") from exc
    if found:
        return FileType("pdf", PDF, active_content=True, detail="; ".join(sorted(set(found)))[:500])
    return FileType("pdf", PDF, detail=f"{pages} pages")


def _active_in(d, stream_type) -> list[str]:
    found = []
    action = d.get("/S")
    if action in _ACTIVE_ACTIONS:
        found.append(f"action {action}")
    if "/JS" in d:
        found.append("/JS")
    if "/JavaScript" in d:
        found.append("/JavaScript name tree")
    if "/XFA" in d:
        found.append("XFA form")
    if "/EF" in d:
        name = str(d.get("/UF") or d.get("/F") or "").lower()
        if name.endswith(_SCRIPT_EXTENSIONS):
            found.append(f"embedded file named {name[-60:]}")
        for ref in (d["/EF"].get_object() or {}).values():
            stream = ref.get_object()
            if isinstance(stream, stream_type):
                found.extend(_embedded(stream))
    return found


def _embedded(stream) -> list[str]:
    """An embedded file whose first bytes are an executable or a script (only its head is decoded)."""
    raw = getattr(stream, "_data", b"") or b""
    filters = stream.get("/Filter")
    filters = list(filters) if isinstance(filters, list) else [filters] if filters else []
    try:
        if not filters:
            head = raw[:HEAD]
        elif filters == ["/FlateDecode"]:
            head = zlib.decompressobj().decompress(raw, HEAD)
        else:
            return [f"embedded file with filters {filters} (not checked)"]
    except zlib.error:
        return ["embedded file that cannot be decoded"]
    if head.startswith(_EXECUTABLE_HEADS) or _looks_like(head) in ("HTML", "SVG"):
        return [f"embedded executable or script ({_looks_like(head)})"]
    return []

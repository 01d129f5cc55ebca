"""The text of one file on disk, by its kind (decided from the bytes when it was stored).

- PDF: the text layer, page by page, with pypdf (already the project's PDF reader: it reads
  objects lazily from the file, so a large PDF is never held whole; pdfminer.six gives a finer
  layout we do not need for search and would be a second PDF parser to keep safe). A page
  with (almost) no text but images is a scan: it is rendered at VPDT_OCR_DPI (300) dpi by
  pdftoppm (poppler-utils, a separate process we can time out and kill) and read by tesseract
  with the `vie` model. OCRmyPDF is not used: it rewrites the PDF (we never change a signed
  original and only want the text), and it is not installed; tesseract directly on one page
  image at a time is the same engine with bounded memory and time.
- DOCX / ODT: the body's XML part streamed out of the zip and parsed incrementally (lxml
  iterparse, no entities, no network, no DTD), paragraph by paragraph, then freed. Not
  python-docx: it loads every part of the package in memory, and ODT would need another
  library for the same twenty lines.
- Images (a photo or a scan sent as PNG/JPEG/TIFF): tesseract.

Bounded: at most VPDT_TEXT_MAX_PAGES pages read, VPDT_OCR_MAX_PAGES pages OCR'd, each external
step under VPDT_OCR_TIMEOUT seconds, at most VPDT_TEXT_MAX_CHARS characters kept (`truncated`).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings


class ExtractFailed(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


@dataclass
class Extracted:
    method: str = "text"  # text | ocr | mixed | skipped
    pages: int = 0
    ocr_pages: int = 0
    truncated: bool = False
    parts: list[str] = field(default_factory=list)
    chars: int = 0

    def add(self, text: str) -> bool:
        """Keep `text`; False once the character limit is reached (stop reading)."""
        text = _clean(text)
        if not text:
            return True
        room = limit("VPDT_TEXT_MAX_CHARS", 300_000) - self.chars
        if room <= 0:
            self.truncated = True
            return False
        if len(text) > room:
            text, self.truncated = text[:room], True
        self.parts.append(text)
        self.chars += len(text) + 1
        return not self.truncated

    @property
    def text(self) -> str:
        # NFC: a PDF may carry decomposed accents; the snippet maps folded to original one for one.
        return unicodedata.normalize("NFC", "\n".join(self.parts))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_BLANKS = re.compile(r"[ \t\xa0]+")


def _clean(text: str) -> str:
    # NUL and lone surrogates: no database keeps them (core.text.unstorable).
    text = _CONTROL.sub(" ", text or "")
    return "\n".join(line for line in (_BLANKS.sub(" ", ln).strip() for ln in text.splitlines()) if line)


def limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


TEXT_KINDS = {"pdf", "docx", "odt"}
IMAGE_KINDS = {"png", "jpeg", "tiff", "gif", "webp"}


def extractable(kind: str) -> bool:
    return kind in TEXT_KINDS or kind in IMAGE_KINDS


def extract(path: str, kind: str) -> Extracted:
    if kind == "pdf":
        return _pdf(path)
    if kind == "docx":
        return _xml_in_zip(path, "word/document.xml", _DOCX_PARAGRAPH, _DOCX_TEXT)
    if kind == "odt":
        return _xml_in_zip(path, "content.xml", _ODT_PARAGRAPHS, None)
    if kind in IMAGE_KINDS:
        out = Extracted(method="ocr")
        with tempfile.TemporaryDirectory(prefix="vpdt-ocr-") as work:
            source = path
            if kind in ("gif", "webp"):  # leptonica may lack them: one PNG through Pillow
                from PIL import Image

                source = os.path.join(work, "page.png")
                with Image.open(path) as image:
                    image.convert("L").save(source)
            out.add(ocr_image(source))
        out.pages = out.ocr_pages = 1
        return out
    return Extracted(method="skipped")


# --- OCR ------------------------------------------------------------------------------------


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per page: the machine serves people too
    try:
        done = subprocess.run(args, capture_output=True, timeout=limit("VPDT_OCR_TIMEOUT", 120), env=env,
                              check=False)
    except FileNotFoundError as exc:
        raise ExtractFailed("OCR_UNAVAILABLE", f"{args[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ExtractFailed("OCR_TIMEOUT", f"{what} took longer than {exc.timeout}s") from exc
    if done.returncode != 0:
        raise ExtractFailed("OCR_FAILED", f"{what}: {done.stderr.decode('utf-8', 'replace')[-500:]}")
    return done


def ocr_image(path: str) -> str:
    lang = getattr(settings, "VPDT_OCR_LANG", "vie")
    done = _run([getattr(settings, "VPDT_TESSERACT", "tesseract"), path, "stdout", "-l", lang], "tesseract")
    return done.stdout.decode("utf-8", "replace")


def ocr_pdf_page(path: str, page_no: int, work: str) -> str:
    """Page `page_no` (1-based) rendered at VPDT_OCR_DPI in grey, then read by tesseract."""
    dpi = str(limit("VPDT_OCR_DPI", 300))
    prefix = os.path.join(work, f"p{page_no}")
    _run([getattr(settings, "VPDT_PDFTOPPM", "pdftoppm"), "-r", dpi, "-f", str(page_no), "-l", str(page_no),
          "-gray", "-png", "-singlefile", path, prefix], "pdftoppm")
    image = prefix + ".png"
    try:
        return ocr_image(image)
    finally:
        if os.path.exists(image):
            os.unlink(image)


# --- PDF ------------------------------------------------------------------------------------


_MIN_PAGE_CHARS = 20  # below this a page with images is taken for a scan


def _has_images(page) -> bool:
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        return bool(xobjects) and any(
            xobjects[name].get_object().get("/Subtype") in ("/Image", "/Form") for name in xobjects)
    except Exception:  # noqa: BLE001 - a damaged resource dictionary: try OCR rather than lose the page
        return True


def _pdf(path: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    out = Extracted()
    max_pages, max_ocr = limit("VPDT_TEXT_MAX_PAGES", 300), limit("VPDT_OCR_MAX_PAGES", 50)
    with open(path, "rb") as fh, tempfile.TemporaryDirectory(prefix="vpdt-ocr-") as work:
        try:
            reader = PdfReader(fh)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ExtractFailed("TEXT_ENCRYPTED", "the PDF needs a password")
            count = len(reader.pages)
        except PdfReadError as exc:
            raise ExtractFailed("TEXT_UNREADABLE", str(exc)[:500]) from exc
        if count > max_pages:
            out.truncated = True
        for index in range(min(count, max_pages)):
            page = reader.pages[index]
            try:
                text = page.extract_text() or ""
            except Exception:  # noqa: BLE001 - one damaged page must not lose the others
                text = ""
            out.pages += 1
            if len(text.strip()) < _MIN_PAGE_CHARS and _has_images(page):
                if out.ocr_pages >= max_ocr:
                    out.truncated = True
                    continue
                text = ocr_pdf_page(path, index + 1, work)
                out.ocr_pages += 1
            if not out.add(text):
                break
    if out.ocr_pages:
        out.method = "ocr" if out.ocr_pages == out.pages else "mixed"
    return out


# --- DOCX / ODT -----------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_PARAGRAPH = (f"{_W}p",)
_DOCX_TEXT = {f"{_W}t": None, f"{_W}tab": " ", f"{_W}br": " "}
_T = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODT_PARAGRAPHS = (f"{_T}p", f"{_T}h")
_MAX_PART = 200 * 1024 * 1024  # an XML part larger than this unpacked is not a letter: a zip bomb


def _xml_in_zip(path: str, part: str, paragraphs: tuple[str, ...], pieces: dict | None) -> Extracted:
    from lxml import etree

    out = Extracted()
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(part)
            if info.file_size > _MAX_PART:
                raise ExtractFailed("TEXT_TOO_LARGE", f"{part} is {info.file_size} bytes unpacked")
            with zf.open(info) as stream:
                for _event, element in etree.iterparse(
                        stream, events=("end",), tag=paragraphs, resolve_entities=False, no_network=True,
                        load_dtd=False, huge_tree=False):
                    if pieces is None:
                        text = "".join(element.itertext())
                    else:
                        text = "".join((node.text or "") if pieces[node.tag] is None else pieces[node.tag]
                                       for node in element.iter(*pieces))
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while parent is not None and element.getprevious() is not None:
                        del parent[0]  # paragraphs already read: keep memory flat
                    if not out.add(text):
                        break
    except KeyError as exc:
        raise ExtractFailed("TEXT_UNREADABLE", f"{part} is missing") from exc
    except (zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise ExtractFailed("TEXT_UNREADABLE", str(exc)[:500]) from exc
    out.pages = 1 if out.parts else 0
    return out

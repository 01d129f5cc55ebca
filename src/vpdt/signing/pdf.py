"""Sign PDFs (PAdES, incremental) where Decree 30 says, and verify every signature of a PDF.

Signing always appends an incremental update, so the leader's signature stays valid when
the agency signs after it. Levels: B-B by default, B-T with `tsa_url`, B-LT with
`embed_revocation` (revocation data must be reachable from the validation context).

Verification reports each signature in words a clerk understands (`MESSAGES_VI`); the
worst one decides the document (`overall`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import functools
import io
import mmap
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage, pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko_certvalidator import ValidationContext

from . import layout, pagetree, pki
from .errors import SigningError
from .keys import Signer

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
TRUST_ROOTS_ENV = "VPDT_TRUST_ROOTS"
STAMP_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

CHUNK = 1024 * 1024
SUMMARIES = ("valid", "valid_untrusted", "modified", "invalid", "revoked", "expired")
# Worst first: the first summary found among a document's signatures decides it.
SEVERITY = ("invalid", "modified", "revoked", "expired", "valid_untrusted", "valid")

def outside_event_loop(func, *args, **kwargs):
    """Call pyHanko's synchronous API, which runs its own `asyncio.run`.

    That fails in a thread whose event loop is running (an ASGI server, a test driving a
    browser): there, the call runs in a short-lived worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


MESSAGES_VI: dict[str, str] = {
    "valid": "Chữ ký số hợp lệ: văn bản còn nguyên vẹn từ khi ký và chứng thư số được tin cậy.",
    "valid_untrusted": (
        "Văn bản còn nguyên vẹn từ khi ký, nhưng chứng thư số không do tổ chức được tin cậy cấp: "
        "cần xác minh người ký."
    ),
    "modified": "Văn bản đã bị sửa đổi sau khi ký: không dùng bản này như bản gốc.",
    "invalid": "Chữ ký số không hợp lệ: dữ liệu chữ ký bị hỏng hoặc không khớp với văn bản.",
    "revoked": "Chứng thư số của người ký đã bị thu hồi: chữ ký không còn giá trị.",
    "expired": "Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra.",
    "unsigned": "Văn bản không có chữ ký số.",
}
# Changes after a signature that keep it valid: later signatures, form filling, LTV data.
_ALLOWED_LEVELS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
_EXPIRY_INDICS = (
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
)


@dataclass
class SignatureReport:
    field_name: str
    signer_subject: str
    signing_time: dt.datetime | None
    intact: bool
    covers_whole_document: bool
    trusted: bool
    revocation_checked: bool
    revoked: bool
    expired: bool
    summary: str
    message_vi: str
    detail: str = ""  # pyHanko's own summary or the error, for integrators

    def as_dict(self) -> dict:
        d = asdict(self)
        d["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        return d


# ---------------------------------------------------------------- input/output


@contextlib.contextmanager
def _input(src) -> Iterator[BinaryIO]:
    """`src` as a seekable binary file, never read whole: a path is opened, a file is rewound.

    Bytes are still accepted (small files, tests); large files come as paths or open files.
    """
    if isinstance(src, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(src))
        return
    try:
        fh = open(src, "rb") if isinstance(src, (str, Path)) else None  # noqa: SIM115 (closed below)
        if fh is None:
            src.seek(0)
    except (OSError, AttributeError) as exc:
        raise SigningError("PDF_UNREADABLE", "Không đọc được tệp PDF.", f"{src}: {exc}") from exc
    if fh is None:
        yield src
        return
    with fh:
        yield fh


@contextlib.contextmanager
def _output(dst) -> Iterator[BinaryIO]:
    """A readable, writable, seekable file for pyHanko to write the signed PDF into.

    pyHanko reads its output back to hash the byte ranges; given such a file (or a path) it
    writes there directly, so the signed PDF is never held whole in memory. A write-only
    `dst` gets a temporary file, copied over in chunks at the end.
    """
    if isinstance(dst, (str, Path)):
        with open(dst, "w+b") as fh:
            yield fh
        return
    if _random_access(dst):
        yield dst
        return
    with tempfile.TemporaryFile() as tmp:
        yield tmp
        tmp.seek(0)
        shutil.copyfileobj(tmp, dst, CHUNK)


def _random_access(fh) -> bool:
    try:
        return fh.readable() and fh.writable() and fh.seekable()
    except (AttributeError, ValueError, OSError):
        return False


def _image(image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, (bytes, bytearray)):
        return Image.open(io.BytesIO(image))
    return Image.open(image)


class _Writer(IncrementalPdfFileWriter):
    """pyHanko's incremental writer, finding the page it puts a signature field on without reading
    every page object before it (`vpdt.signing.pagetree`); its own walk where the tree's counts
    do not hold."""

    def _walk_page_tree(self, page_ix, retrieve_parent):
        if not retrieve_parent:
            try:
                path = pagetree.path_to(self.root.raw_get("/Pages"), page_ix)
            except pagetree.UNUSABLE:
                pass
            else:
                resources = pagetree.inherited(path, "/Resources", raw=True)
                return path[-1][0], (generic.DictionaryObject() if resources is None else resources)
        return super()._walk_page_tree(page_ix, retrieve_parent)


class _KeptImage(PdfImage):
    """A signature's or seal's image, its PDF image object compressed once per image and copied
    into each signed file. pyHanko compresses the image's pixels (and its transparency mask) anew
    at every signature: ~4 ms for a signature's image, ~8 ms for a seal's."""

    def __init__(self, image: Image.Image, *, png: bytes | None):
        super().__init__(image)
        self._png = png

    @property
    def image_ref(self) -> generic.IndirectObject:
        if self._png is None:
            return super().image_ref
        ref = self._image_ref
        if ref is None or ref.get_pdf_handler() is not self.writer:
            self._image_ref = ref = _add_encoded(self.writer, _encoded_image(self._png))
        return ref


_Encoded = tuple[generic.DictionaryObject, bytes]


# Per process, by the image file's bytes: its compressed streams (a seal's ~100 KB; its pixels,
# 1 MB for a seal, are not kept).
@functools.lru_cache(maxsize=64)
def _encoded_image(png: bytes) -> tuple[_Encoded, _Encoded | None]:
    """pyHanko's image object of the image file `png` and its transparency mask: their entries and
    compressed bytes, made once in a writer of their own."""
    stream = pil_image(_image(png), PdfFileWriter()).get_object()
    smask = stream["/SMask"] if "/SMask" in stream else None
    return ((_entries(stream), stream.encoded_data),
            None if smask is None else (_entries(smask), smask.encoded_data))


def _entries(stream) -> generic.DictionaryObject:
    return generic.DictionaryObject({k: v for k, v in stream.items() if k not in ("/SMask", "/Length")})


def _add_encoded(writer, parts) -> generic.IndirectObject:
    (entries, data), smask = parts
    entries = generic.DictionaryObject(entries)
    if smask is not None:
        entries[generic.pdf_name("/SMask")] = writer.add_object(
            generic.StreamObject(generic.DictionaryObject(smask[0]), encoded_data=smask[1]))
    return writer.add_object(generic.StreamObject(entries, encoded_data=data))


def _page_count(buf: BinaryIO) -> int:
    return int(PdfFileReader(buf, strict=False).root["/Pages"]["/Count"])


# ---------------------------------------------------------------- signing


def sign_pdf(
    src,
    dst,
    signer: Signer,
    *,
    field_name: str,
    page: int = 0,
    box=None,
    image: bytes | str | None = None,
    stamp_text: str | None = None,
    reason: str = "",
    location: str = "",
    tsa_url: str | None = None,
    embed_revocation: bool = False,
    validation_context=None,
) -> None:
    """Sign `src` into `dst` (paths or binary files) as an incremental update.

    With `box`, a new visible field `field_name` is made on `page` (negative counts from the
    end) showing `image` (a transparent PNG, stretched to the box) or `stamp_text` (10 pt).
    Without `box`, the field must exist already or becomes invisible.
    """
    with _input(src) as buf:
        try:
            writer = _Writer(buf, strict=False)
        except Exception as exc:
            raise SigningError("PDF_UNREADABLE", "Tệp không phải PDF hợp lệ.", f"{type(exc).__name__}: {exc}") from exc
        n_pages = int(writer.root["/Pages"]["/Count"])
        page_index = page if page >= 0 else n_pages + page
        if not 0 <= page_index < n_pages:
            raise SigningError("PDF_BAD_PAGE", "Trang đặt chữ ký không tồn tại.", f"page {page} of {n_pages}")

        style = None
        if image is not None:
            try:
                img = _image(image)
            except OSError as exc:
                raise SigningError("IMAGE_UNREADABLE", "Không đọc được ảnh chữ ký hoặc con dấu.", str(exc)) from exc
            png = bytes(image) if isinstance(image, (bytes, bytearray)) else None
            style = StaticStampStyle(background=_KeptImage(img, png=png), border_width=0, background_opacity=1.0)
        elif stamp_text is not None:
            font = GlyphAccumulatorFactory(str(STAMP_FONT)) if STAMP_FONT.exists() else None
            tbs = TextBoxStyle(font=font, font_size=10) if font else TextBoxStyle(font_size=10)
            style = TextStampStyle(stamp_text=stamp_text, text_box_style=tbs, border_width=0, background=None)

        if embed_revocation and validation_context is None:
            roots = default_trust_roots()
            validation_context = ValidationContext(
                trust_roots=[_asn1(c) for c in roots] or None, allow_fetching=True, revocation_mode="soft-fail"
            )
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason or None,
            location=location or None,
            embed_validation_info=embed_revocation,
            validation_context=validation_context if embed_revocation else None,
            use_pades_lta=False,
        )
        timestamper = None
        if tsa_url:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            timestamper = HTTPTimeStamper(tsa_url)
        spec = None
        if box is not None:
            spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page_index, box=tuple(round(v, 2) for v in box))
        cms_signer = signer.pyhanko_signer()
        pdf_signer = signers.PdfSigner(meta, signer=cms_signer, timestamper=timestamper, stamp_style=style,
                                       new_field_spec=spec)
        reserved = None if (timestamper or embed_revocation) else _reserved_bytes(cms_signer)
        try:
            with _output(dst) as out:
                outside_event_loop(pdf_signer.sign_pdf, writer, bytes_reserved=reserved, output=out)
        except SigningError:
            raise
        except PyhankoSigningError as exc:
            raise SigningError("SIGN_FAILED", "Ký số không thành công.", f"{field_name}: {exc}") from exc
        except Exception as exc:
            if tsa_url and "imestamp" in f"{type(exc).__name__}{exc}":
                raise SigningError("TSA_UNAVAILABLE", "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian.", str(exc)) from exc
            raise SigningError("SIGN_FAILED", "Ký số không thành công.", f"{field_name}: {type(exc).__name__}: {exc}") from exc


def _reserved_bytes(cms_signer) -> int | None:
    """Room for the CMS signature without a dry run (pyHanko otherwise builds the whole
    signature container once more just to measure it). Without a timestamp or embedded
    revocation data the container is the certificates it carries, the signed attributes and
    the signature value (under 1 KB for RSA-4096) plus DER framing: the certificates' size and
    2 KB of room. pyHanko counts this room in hex digits, two per byte."""
    cert = getattr(cms_signer, "signing_cert", None)
    if cert is None:
        return None
    registry = getattr(cms_signer, "cert_registry", None) or ()
    return 2 * (2048 + len(cert.dump()) + sum(len(c.dump()) for c in registry))


def sign_as_signer(src, dst, signer: Signer, *, signer_name: str, title: str, image, page: int = -1, **kw) -> None:
    """The competent person's signature: `image` between the title and the name (Phụ lục I)."""
    with _input(src) as buf:
        page_index, box = layout.signer_box(buf, signer_name=signer_name, title=title, page=page)
        kw.setdefault("field_name", "ChuKyNguoiKy")
        sign_pdf(buf, dst, signer, page=page_index, box=box, image=image, **kw)


def signature_fields(src) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Each signature field's name -> (page index, widget /Rect)."""
    from pypdf import PdfReader

    with _input(src) as buf:
        return _signature_fields(PdfReader(buf))


def _signature_fields(reader) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """From the form's fields (/AcroForm), reading only the pages they lie on; where a widget does
    not say its page (/P) or the page tree's counts do not hold, from every page's annotations."""
    try:
        return _fields_from_form(reader)
    except (*pagetree.UNUSABLE, RecursionError):
        return _fields_from_pages(reader)


def _fields_from_form(reader) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    form = reader.root_object.get("/AcroForm")
    if form is None:
        return {}
    found: list = []

    def visit(ref, ft, name, depth: int) -> None:
        if depth > 32:
            raise pagetree.PageTreeError("form fields nested too deep")
        field = ref.get_object()
        ft, name = field.get("/FT", ft), field.get("/T", name)
        if field.get("/Subtype") == "/Widget" and ft == "/Sig":
            page_ref = field.raw_get("/P")
            annots = [a.idnum for a in (page_ref.get_object().get("/Annots") or []) if hasattr(a, "idnum")]
            # In page order, then in the page's order of annotations: as a reader of the pages finds them.
            found.append(((pagetree.index_of(page_ref), annots.index(ref.idnum)), str(name),
                          tuple(float(v) for v in field["/Rect"])))
        for kid in field.get("/Kids") or []:
            visit(kid, ft, name, depth + 1)

    for ref in form.get_object().get("/Fields") or []:
        visit(ref, None, None, 0)
    return {name: (place[0], rect) for place, name, rect in sorted(found, key=lambda f: f[0])}


def _fields_from_pages(reader) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    page_of = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages) if p.indirect_reference}
    out: dict = {}
    for i, pg in enumerate(reader.pages):
        for annot in pg.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Widget":
                continue
            ft = a.get("/FT") or (a.get("/Parent") and a["/Parent"].get_object().get("/FT"))
            if ft != "/Sig":
                continue
            name = a.get("/T") or a["/Parent"].get_object().get("/T")
            ref = a.get("/P")
            idx = page_of.get(ref.idnum, i) if ref is not None and hasattr(ref, "idnum") else i
            out[str(name)] = (idx, tuple(float(v) for v in a["/Rect"]))
    return out


def sign_as_agency(src, dst, signer: Signer, *, seal_image, signer_field: str | None = None, **kw) -> None:
    """The agency's signature: the seal over the left third of the signer's image.

    Reads the /Rect of `signer_field` (default: the first signature field of the document).
    Part B fills in the number and date before calling, so the agency signs the final text.
    """
    with _input(src) as buf:
        _sign_over_signer(buf, dst, signer, seal_image=seal_image, signer_field=signer_field, **kw)


def _sign_over_signer(buf, dst, signer: Signer, *, seal_image, signer_field: str | None, **kw) -> None:
    found = signature_fields(buf)
    if signer_field:
        if signer_field not in found:
            raise SigningError("SIGNER_FIELD_MISSING", "Văn bản chưa có chữ ký của người có thẩm quyền.", signer_field)
        page_index, rect = found[signer_field]
    elif found:
        page_index, rect = next(iter(found.values()))
    else:
        raise SigningError(
            "SIGNER_FIELD_MISSING", "Văn bản chưa có chữ ký của người có thẩm quyền nên chưa thể đóng dấu.", "no /Sig field"
        )
    x1, y1, x2, y2 = rect
    box = layout.seal_box((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    kw.setdefault("field_name", "ChuKyCoQuan")
    sign_pdf(buf, dst, signer, page=page_index, box=box, image=seal_image, **kw)


def attachment_stamp_text(code: str, when: dt.datetime | None = None) -> str:
    when = (when or dt.datetime.now(VN_TZ)).astimezone(VN_TZ).replace(microsecond=0)
    return f"{code} {when.isoformat()}"


def sign_attachment(src, dst, signer: Signer, *, code: str, when: dt.datetime | None = None, **kw) -> None:
    """The agency's signature on an attachment or an electronic copy (SAO Y, SAO LỤC, TRÍCH SAO).

    Top right of page 1, no image, the text "<số, ký hiệu> <ISO 8601 +07:00>" in 10 pt.
    """
    with _input(src) as buf:
        page_index, box = layout.attachment_box(buf)
        kw.setdefault("field_name", "ChuKyCoQuanDinhKem")
        sign_pdf(buf, dst, signer, page=page_index, box=box, stamp_text=attachment_stamp_text(code, when), **kw)


# ---------------------------------------------------------------- verification


def _asn1(cert):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, (bytes, bytearray)):
        return asn1_x509.Certificate.load(bytes(cert))
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def default_trust_roots() -> list:
    """The certificates of the PEM bundle named by VPDT_TRUST_ROOTS, if set."""
    path = os.environ.get(TRUST_ROOTS_ENV)
    if not path:
        return []
    try:
        return pki.load_certs([path])
    except (OSError, ValueError) as exc:
        raise SigningError("TRUST_STORE_UNREADABLE", "Không đọc được kho chứng thư tin cậy.", f"{path}: {exc}") from exc


def _crl_bytes(crls) -> list[bytes]:
    out = []
    for c in crls or ():
        if isinstance(c, (str, Path)):
            out.extend(pki.load_crls([c]))
        elif isinstance(c, (bytes, bytearray)):
            out.append(bytes(c))
        else:  # cryptography CRL object
            from cryptography.hazmat.primitives import serialization

            out.append(c.public_bytes(serialization.Encoding.DER))
    return out


def _classify(status) -> tuple[str, bool, bool, bool]:
    """(summary, covers_whole_document, expired, allowed_changes)"""
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    changes_ok = (
        status.coverage in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
        and (covers or level in _ALLOWED_LEVELS)
        and status.docmdp_ok is not False
    )
    expired = status.trust_problem_indic in _EXPIRY_INDICS
    if not status.intact:
        summary = "modified"
    elif not status.valid:
        summary = "invalid"
    elif not changes_ok:
        summary = "modified"
    elif status.revoked:
        summary = "revoked"
    elif expired:
        summary = "expired"
    elif not status.trusted:
        summary = "valid_untrusted"
    else:
        summary = "valid"
    return summary, covers, expired, changes_ok


def verify_pdf(src, *, trust_roots: list | None = None, crls: list | None = None, allow_fetching: bool = False) -> list[SignatureReport]:
    """One report per signature, in document order; [] when the PDF is unsigned.

    `trust_roots`: certificates (cryptography, asn1crypto or DER); default VPDT_TRUST_ROOTS.
    `crls`: CRL files or DER bytes; with `allow_fetching` CRLs/OCSP are fetched when reachable.
    `src`: a path, an open binary file (read where it stands, never whole) or bytes.
    Raises SigningError("PDF_UNREADABLE") when `src` is not a readable PDF.
    """
    with _input(src) as buf, _lazy_payloads(buf) as lazy:
        return _verify(lazy, trust_roots=trust_roots, crls=crls, allow_fetching=allow_fetching)


LAZY_PAYLOAD_BYTES = 4 * 1024 * 1024
READ_WINDOW_BYTES = 16 * 1024


class _LazyPayloadFile(io.RawIOBase):
    """A PDF file for pyHanko's reader in which a large stream's bytes are not read until used.

    pyHanko reads each object's stream payload whole as soon as it reads the object, and
    checking what changed after an earlier signature (diff analysis) reads every object of
    each revision: a 200 MB scanned page would be loaded into memory only to be skipped.
    Here a read of LAZY_PAYLOAD_BYTES or more returns a view of the file mapped in memory
    (mmap): the pages of that view are only read from disk if something uses the payload.
    Smaller reads, and the byte-range hashing (readinto), go through the file descriptor and
    the page cache, so they do not count in the process's memory either.

    pyHanko's parser reads most of a file's structure one byte at a time (a 100 KB PDF without
    a signature: 151 of its 172 reads took one byte). Reads below READ_WINDOW_BYTES are served
    from one window of the file of that size, read when a read falls outside it: one pread
    where there were a hundred, and the memory held stays one window.
    """

    def __init__(self, fh: BinaryIO):
        super().__init__()
        self._fd = fh.fileno()
        self._size = os.fstat(self._fd).st_size
        self._map = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ) if self._size else None
        self._pos = 0
        self._window, self._window_at = b"", 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1):
        end = self._size if size is None or size < 0 else min(self._pos + size, self._size)
        start = self._pos
        if end <= start:
            return b""
        self._pos = end
        if end - start >= LAZY_PAYLOAD_BYTES and self._map is not None:
            return memoryview(self._map)[start:end]
        if end - start >= READ_WINDOW_BYTES:
            return os.pread(self._fd, end - start, start)
        at = self._window_at
        if start < at or end > at + len(self._window):
            # reading on: the window starts here (or ends at the file's end); reading back (a
            # trailer is found from the end): it ends here
            at = max(0, end - READ_WINDOW_BYTES if start < at else min(start, self._size - READ_WINDOW_BYTES))
            self._window, self._window_at = os.pread(self._fd, READ_WINDOW_BYTES, at), at
        return self._window[start - at:end - at]

    def readinto(self, buffer) -> int:
        n = os.preadv(self._fd, [buffer], self._pos) if self._pos < self._size else 0
        self._pos += n
        return n


@contextlib.contextmanager
def _lazy_payloads(buf: BinaryIO) -> Iterator[BinaryIO]:
    """`buf` as a _LazyPayloadFile when it is a real file; as it is otherwise (bytes in memory)."""
    try:
        buf.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield buf
        return
    yield _LazyPayloadFile(buf)


def _verify(buf: BinaryIO, *, trust_roots, crls, allow_fetching: bool) -> list[SignatureReport]:
    # pyHanko reads objects from the open file when it needs them and hashes each byte
    # range in chunks: a large PDF is verified without being loaded whole.
    try:
        reader = PdfFileReader(buf, strict=False)
        sigs = list(reader.embedded_regular_signatures)
    except Exception as exc:
        raise SigningError("PDF_UNREADABLE", "Tệp không phải PDF hợp lệ hoặc đã bị hỏng.", f"{type(exc).__name__}: {exc}") from exc
    roots = [_asn1(c) for c in (trust_roots if trust_roots is not None else default_trust_roots())]
    crl_data = _crl_bytes(crls)
    reports = []
    for emb in sigs:
        # A fresh context per signature: its soft-fail record tells whether revocation was checked.
        vc = ValidationContext(
            trust_roots=roots, crls=crl_data, allow_fetching=allow_fetching, revocation_mode="soft-fail"
        )
        try:
            cert = emb.signer_cert
            subject = cert.subject.human_friendly
        except Exception:
            cert, subject = None, ""
        try:
            status = outside_event_loop(validate_pdf_signature, emb, signer_validation_context=vc)
        except Exception as exc:
            reports.append(
                SignatureReport(
                    field_name=str(emb.field_name), signer_subject=subject, signing_time=None, intact=False,
                    covers_whole_document=False, trusted=False, revocation_checked=False, revoked=False,
                    expired=False, summary="invalid", message_vi=MESSAGES_VI["invalid"],
                    detail=f"{type(exc).__name__}: {exc}",
                )
            )
            continue
        summary, covers, expired, _ = _classify(status)
        issuer_has_crl = False
        if cert is not None and crl_data:
            from asn1crypto import crl as asn1_crl

            issuer_has_crl = any(asn1_crl.CertificateList.load(c).issuer == cert.issuer for c in crl_data)
        revocation_checked = (
            (issuer_has_crl or allow_fetching)
            and not vc.soft_fail_exceptions
            and (status.trusted or status.revoked)
        )
        when = status.timestamp_validity.timestamp if status.timestamp_validity else status.signer_reported_dt
        reports.append(
            SignatureReport(
                field_name=str(emb.field_name),
                signer_subject=subject,
                signing_time=when.astimezone(VN_TZ) if when else None,
                intact=bool(status.intact and status.valid),
                covers_whole_document=covers,
                trusted=bool(status.trusted),
                revocation_checked=bool(revocation_checked),
                revoked=bool(status.revoked),
                expired=expired,
                summary=summary,
                message_vi=MESSAGES_VI[summary],
                detail=status.summary(),
            )
        )
    return reports


def overall(reports) -> str:
    """The document's verdict: the worst of its signatures, "unsigned" without any."""
    if not reports:
        return "unsigned"
    found = {r.summary for r in reports}
    return next(s for s in SEVERITY if s in found)

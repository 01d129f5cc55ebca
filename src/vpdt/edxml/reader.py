"""Reading edXML packages as a stream: hardened parsing, limits, attachments to sinks.

One pass with expat (namespace-aware, no DTD, no entities, no network) over chunks of
the input: the structure is checked as it comes, limits stop hostile input early,
attachment text is base64-decoded piece by piece into a sink while its size and SHA-256
are computed, and only the edXMLHeader (small, needed whole for the signature) is kept
as bytes and then parsed with lxml into the models.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pyexpat import ParserCreate
from pyexpat import errors as expat_errors
from xml.parsers.expat import ExpatError

from lxml import etree

from . import errors as E
from .b64stream import Base64CheckerUnlessZip, Base64Decoder, Base64Error
from .errors import EdxmlError, EdxmlWarning
from .header_xml import read_header
from .limits import DEFAULT_LIMITS, Limits
from .model import (
    NS,
    Attachment,
    AttachmentMeta,
    DocumentPackage,
    ManifestReference,
    StatusPackage,
)
from .signature import verify_header
from .zipinfo import ZIP_MAGIC, is_transport_zip, list_entries

_SEP = "\x01"
_ENV = f"{NS}{_SEP}edXMLEnvelope"
_ROOT = f"{NS}{_SEP}edXML"
_ATTACHMENT_FIELDS = {"ContentId", "AttachmentName", "Description", "ContentType"}
_ACCEPTED_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}
_DTD_BUDGET = 64 * 1024

_TRUNCATION_ERRORS = {
    expat_errors.XML_ERROR_NO_ELEMENTS,
    expat_errors.XML_ERROR_UNCLOSED_TOKEN,
    expat_errors.XML_ERROR_PARTIAL_CHAR,
    expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
}
_ERROR_CODES = {
    expat_errors.XML_ERROR_UNBOUND_PREFIX: E.NAMESPACE,
    expat_errors.XML_ERROR_UNDEFINED_ENTITY: E.ENTITY,
    expat_errors.XML_ERROR_RECURSIVE_ENTITY_REF: E.ENTITY,
    expat_errors.XML_ERROR_EXTERNAL_ENTITY_HANDLING: E.ENTITY,
    expat_errors.XML_ERROR_INCORRECT_ENCODING: E.ENCODING,
    expat_errors.XML_ERROR_UNKNOWN_ENCODING: E.ENCODING,
}


def _hardened_lxml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
    )


class _Capture:
    """Raw bytes of one element, from '<' of its start tag to '>' of its end tag."""

    def __init__(self, data: bytes, start: int):
        self.buf = bytearray(data)
        self.start = start  # global offset of buf[0]


class _AttachmentState:
    def __init__(self, index: int, path: str):
        self.index = index
        self.path = path
        self.fields: dict[str, str] = {}
        self.size = 0
        self.sha = hashlib.sha256()
        self.magic = b""
        self.fileobj = None
        self.tee = None  # temporary copy of a zip when the sink keeps no readable file
        self.decoder: Base64Decoder | Base64CheckerUnlessZip | None = None
        self.decoded = True  # False: the text was only checked (decode_attachments=False)
        self.content_seen = False


class _StreamReader:
    def __init__(self, sink, limits: Limits, strict: bool, decode: bool = True):
        self.decode = decode
        self.sink = sink
        self.limits = limits
        self.strict = strict
        self.warnings: list[EdxmlWarning] = []
        self.stack: list[str] = []  # local names of open elements
        self.full: list[str] = []  # expat names of open elements
        self.elements = 0
        self.fed = 0
        self.window = b""
        self.window_start = 0
        self.ns_scope: dict[str | None, list[str]] = {}
        self.header_ns: dict[str | None, str] = {}
        self.header: _Capture | None = None
        self.header_bytes: bytes | None = None
        self.seen_envelope = False
        self.manifest: list[ManifestReference] | None = None
        self.ref_fields: dict[str, str] | None = None
        self.attachments: list[Attachment] = []
        self.att: _AttachmentState | None = None
        self.text: list[str] | None = None  # collecting the text of a small element
        self.text_len = 0
        self.in_doctype_at: int | None = None
        self.last_event = 0
        self.encoding: str | None = None
        # Attachment text given to the base64 decoder without expat (raw bytes, see `feed`):
        # expat's byte offsets plus this are offsets in the input.
        self.skipped = 0
        self.expat_idle = True  # expat holds no partial token (tag, reference, CDATA end)

        p = ParserCreate(namespace_separator=_SEP)
        p.buffer_text = True
        p.buffer_size = limits.chunk_size
        p.ordered_attributes = True
        p.SetParamEntityParsing(0)  # XML_PARAM_ENTITY_PARSING_NEVER
        p.XmlDeclHandler = self._xml_decl
        p.StartDoctypeDeclHandler = self._doctype_start
        p.EndDoctypeDeclHandler = self._doctype_end
        p.EntityDeclHandler = self._entity_decl
        p.UnparsedEntityDeclHandler = self._unparsed_entity
        p.ExternalEntityRefHandler = self._external_entity
        p.StartNamespaceDeclHandler = self._ns_start
        p.EndNamespaceDeclHandler = self._ns_end
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._data
        self.parser = p

    # -- helpers -----------------------------------------------------------------------
    def path(self, extra: str | None = None) -> str:
        parts = self.stack + ([extra] if extra else [])
        return "/" + "/".join(parts)

    @staticmethod
    def split(name: str) -> tuple[str | None, str]:
        if _SEP in name:
            uri, local = name.split(_SEP, 1)
            return uri, local
        return None, name

    def pos(self) -> int:
        """The input offset of expat's current event."""
        return self.parser.CurrentByteIndex + self.skipped

    def fail(self, code: str, detail: str, path: str | None = None):
        raise EdxmlError(code, detail, path if path is not None else self.path())

    # -- expat handlers -------------------------------------------------------------------
    def _xml_decl(self, version, encoding, standalone):
        if encoding and encoding.lower() not in _ACCEPTED_ENCODINGS:
            self.fail(E.ENCODING, f"declared encoding {encoding!r}; edXML is UTF-8", "/")
        self.encoding = encoding

    def _doctype_start(self, name, system_id, public_id, has_internal_subset):
        self.in_doctype_at = self.pos()
        if not has_internal_subset:
            self.fail(E.DTD, f"DOCTYPE {name!r} (system {system_id!r}) is not allowed", "/")

    def _doctype_end(self):
        self.fail(E.DTD, "a DOCTYPE declaration is not allowed in edXML", "/")

    def _entity_decl(self, name, is_param, value, base, system_id, public_id, notation):
        kind = "external" if system_id or public_id else "internal"
        self.fail(E.ENTITY, f"{kind} entity declaration {name!r} (system {system_id!r}) is not allowed", "/")

    def _unparsed_entity(self, name, *args):
        self.fail(E.ENTITY, f"unparsed entity declaration {name!r} is not allowed", "/")

    def _external_entity(self, context, base, system_id, public_id):
        self.fail(E.ENTITY, f"external entity reference {system_id!r} is not allowed")

    def _ns_start(self, prefix, uri):
        self.ns_scope.setdefault(prefix, []).append(uri)

    def _ns_end(self, prefix):
        stack = self.ns_scope.get(prefix)
        if stack:
            stack.pop()

    def _start(self, name, attrs):
        self.last_event = self.pos()
        uri, local = self.split(name)
        self.elements += 1
        if self.elements > self.limits.max_elements:
            self.fail(E.TOO_MANY_ELEMENTS, f"more than {self.limits.max_elements} elements", self.path(local))
        if len(self.stack) >= self.limits.max_depth:
            self.fail(E.TOO_DEEP, f"nesting deeper than {self.limits.max_depth} levels", self.path(local))
        depth = len(self.stack)
        parent = self.full[-1] if self.full else None
        self.stack.append(local)
        self.full.append(name)
        if depth == 0:
            if name != _ROOT:
                self.fail(E.BAD_ROOT, f"root element is {{{uri}}}{local}, expected {{{NS}}}edXML")
            return
        in_ns = uri == NS
        if depth == 1:
            if in_ns and local == "edXMLEnvelope":
                self.seen_envelope = True
            return
        if depth == 2 and parent == _ENV and in_ns and local == "edXMLHeader" and self.header is None:
            idx = self.pos()
            if idx < self.window_start:
                self.fail(E.TOO_LARGE, "edXMLHeader start tag larger than the read window")
            self.header = _Capture(self.window[idx - self.window_start :], idx)
            self.header_ns = {p: u[-1] for p, u in self.ns_scope.items() if u}
            return
        if self.header is not None and self.header_bytes is None:
            return  # inside the header: kept as bytes, parsed later
        top = self.stack[:-1]
        if in_ns and local == "edXMLManifest" and top[1:] == ["edXMLEnvelope", "edXMLBody"]:
            if self.manifest is None:
                self.manifest = []
            return
        if in_ns and local == "Reference" and top[1:] == ["edXMLEnvelope", "edXMLBody", "edXMLManifest"]:
            self.ref_fields = {}
            return
        if self.ref_fields is not None and depth == 5:
            self.begin_text()
            return
        if local == "Attachment" and top[1:] == ["AttachmentEncoded"] and in_ns:
            if len(self.attachments) >= self.limits.max_attachments:
                self.fail(E.TOO_LARGE, f"more than {self.limits.max_attachments} attachments")
            self.att = _AttachmentState(len(self.attachments), self.path())
            return
        if self.att is not None and depth == 3 and in_ns:
            if local == "ContentTransferEncoded":
                self.begin_content()
            elif local in _ATTACHMENT_FIELDS:
                self.begin_text()

    def _end(self, name):
        self.last_event = self.pos()
        uri, local = self.split(name)
        depth = len(self.stack) - 1
        if self.header is not None and self.header_bytes is None:
            if depth == 2 and name == f"{NS}{_SEP}edXMLHeader":
                self.finish_header()
            self.pop()
            return
        if self.text is not None:
            value = "".join(self.text).strip()
            self.text = None
            if self.ref_fields is not None and depth == 5:
                self.ref_fields.setdefault(local, value)
            elif self.att is not None:
                self.att.fields.setdefault(local, value)
        elif self.att is not None and depth == 3 and local == "ContentTransferEncoded" and uri == NS:
            self.end_content()
        elif self.att is not None and depth == 2 and local == "Attachment":
            self.end_attachment()
        elif self.ref_fields is not None and depth == 4 and local == "Reference":
            f = self.ref_fields
            self.ref_fields = None
            cid = f.get("ContentId") or ""
            if not cid:
                self.fail(E.MANIFEST_MISMATCH, "manifest Reference without ContentId", self.path("ContentId"))
            self.manifest.append(
                ManifestReference(
                    content_id=cid,
                    content_type=f.get("ContentType") or None,
                    description=f.get("Description") or None,
                    name=f.get("AttachmentName") or None,
                )
            )
        self.pop()

    def pop(self):
        self.stack.pop()
        self.full.pop()

    def _data(self, data: str):
        if self.att is not None and self.att.decoder is not None:
            self.content(data)
        elif self.text is not None:
            self.text_len += len(data)
            if self.text_len > self.limits.max_text_bytes:
                self.fail(E.TOO_LARGE, f"text longer than {self.limits.max_text_bytes} characters")
            self.text.append(data)

    # -- small texts --------------------------------------------------------------------------
    def begin_text(self):
        self.text = []
        self.text_len = 0

    # -- header ------------------------------------------------------------------------------------
    def finish_header(self):
        cap = self.header
        end = self.pos() - cap.start
        close = cap.buf.find(b">", end)
        if close < 0:
            self.fail(E.MALFORMED, "end of edXMLHeader not found")
        self.header_bytes = bytes(cap.buf[: close + 1])
        cap.buf = bytearray()

    # -- attachments -----------------------------------------------------------------------------
    def begin_content(self):
        a = self.att
        if a.content_seen:
            self.fail(E.MALFORMED, "two ContentTransferEncoded in one Attachment")
        a.content_seen = True
        a.decoder = Base64Decoder() if self.decode else Base64CheckerUnlessZip()
        meta = self.meta(a)
        if self.sink is None:
            a.fileobj = None
        else:
            try:
                a.fileobj = self.sink.open(meta) if hasattr(self.sink, "open") else self.sink(meta)
            except OSError as exc:
                self.fail(E.SINK, f"sink could not open attachment {meta.index}: {exc}")

    def meta(self, a: _AttachmentState) -> AttachmentMeta:
        cid = a.fields.get("ContentId") or None
        ref = self.reference(cid)
        return AttachmentMeta(
            content_id=cid,
            name=a.fields.get("AttachmentName") or (ref.name if ref else None),
            content_type=a.fields.get("ContentType") or (ref.content_type if ref else None),
            description=a.fields.get("Description") or (ref.description if ref else None),
            index=a.index,
        )

    def reference(self, cid: str | None) -> ManifestReference | None:
        if cid and self.manifest:
            for r in self.manifest:
                if r.content_id == cid:
                    return r
        return None

    def content(self, data: str):
        a = self.att
        try:
            raw = a.decoder.feed(data)
        except Base64Error as exc:
            self.fail(E.BAD_BASE64, f"{exc} (at base64 character {exc.offset})")
        if raw:
            self.write(a, raw)

    def write(self, a: _AttachmentState, raw: bytes):
        a.size += len(raw)
        if a.size > self.limits.max_attachment_bytes:
            self.fail(E.ATTACHMENT_TOO_LARGE, f"attachment larger than {self.limits.max_attachment_bytes} bytes")
        if len(a.magic) < 4:
            before = a.magic
            a.magic += raw[: 4 - len(a.magic)]
            if a.magic == ZIP_MAGIC and not _readable(a.fileobj):
                a.tee = tempfile.TemporaryFile()
                a.tee.write(before)  # bytes of earlier pieces, if the magic was split
        a.sha.update(raw)
        try:
            if a.fileobj is not None:
                a.fileobj.write(raw)
            if a.tee is not None:
                a.tee.write(raw)
        except OSError as exc:
            self.fail(E.SINK, f"writing attachment failed: {exc}")

    def end_content(self):
        a = self.att
        try:
            raw = a.decoder.finish()
        except Base64Error as exc:
            self.fail(E.BAD_BASE64, str(exc))
        if raw:
            self.write(a, raw)
        a.decoded = getattr(a.decoder, "decodes", True)
        a.decoder = None

    def end_attachment(self):
        a = self.att
        self.att = None
        if not a.content_seen:
            self.fail(E.MALFORMED, "Attachment without ContentTransferEncoded", a.path + "/ContentTransferEncoded")
        meta = self.meta(a)
        if not meta.content_id:
            self.fail(E.MANIFEST_MISMATCH, "Attachment without ContentId", a.path + "/ContentId")
        if any(x.content_id == meta.content_id for x in self.attachments):
            self.fail(E.DUPLICATE_CONTENT_ID, f"ContentId {meta.content_id!r} repeated", a.path + "/ContentId")
        att = Attachment(
            content_id=meta.content_id,
            name=meta.name,
            content_type=meta.content_type,
            description=meta.description,
            size=a.size if a.decoded else None,
            sha256=a.sha.hexdigest() if a.decoded else None,
        )
        att.zipped = is_transport_zip(att.name, att.content_type, a.magic)
        readable = a.tee if a.tee is not None else (a.fileobj if _readable(a.fileobj) else None)
        if att.zipped and readable is not None:
            try:
                readable.flush()
                att.zip_entries = list_entries(readable, self.limits, a.path)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
                w = EdxmlWarning(E.BAD_ZIP, f"{att.name or att.content_id}: {exc}", a.path)
                if self.strict:
                    raise w.to_error() from None
                self.warnings.append(w)
                att.zipped = False
        if a.tee is not None:
            a.tee.close()
        if a.fileobj is not None:
            try:
                if hasattr(self.sink, "done"):
                    att.stored = self.sink.done(meta, a.fileobj, att)
                else:
                    a.fileobj.close()
                    att.stored = getattr(a.fileobj, "name", None)
            except OSError as exc:
                self.fail(E.SINK, f"storing attachment failed: {exc}", a.path)
        self.attachments.append(att)

    # -- driving ------------------------------------------------------------------------------------
    def feed(self, chunk: bytes):
        self.fed += len(chunk)
        if self.fed > self.limits.max_bytes:
            self.fail(E.TOO_LARGE, f"package larger than {self.limits.max_bytes} bytes")
        if self.header is None:
            # The header's start tag may have begun in the previous chunk.
            self.window = self.window[-self.limits.chunk_size :] + chunk
            self.window_start = self.fed - len(self.window)
        else:
            self.window = b""
        if self.header is not None and self.header_bytes is None:
            self.header.buf += chunk
            if len(self.header.buf) > self.limits.max_header_bytes + len(chunk):
                self.fail(E.TOO_LARGE, f"edXMLHeader larger than {self.limits.max_header_bytes} bytes")
        if self.att is not None and self.att.decoder is not None and self.header_bytes is not None and self.expat_idle:
            chunk = self.raw_content(chunk)
        while chunk and (self.att is None or self.att.decoder is None):
            # Give expat the chunk up to the end of a ContentTransferEncoded start tag, so that
            # the attachment text after it in the same chunk skips expat too (`raw_content`).
            # Only a cut: the text goes the raw way only if expat really opened the element
            # (decoder set) and holds nothing (idle); otherwise expat gets the rest as before.
            cut = _after_content_tag(chunk)
            if not cut:
                break
            self.parse(chunk[:cut], False)
            chunk = chunk[cut:]
            if self.att is not None and self.att.decoder is not None and self.header_bytes is not None \
                    and self.expat_idle:
                chunk = self.raw_content(chunk)
        if chunk:
            self.parse(chunk, False)
        if self.header is not None and self.header_bytes is None and len(self.header.buf) > self.limits.max_header_bytes:
            self.fail(E.TOO_LARGE, f"edXMLHeader larger than {self.limits.max_header_bytes} bytes")
        # A token (tag, attribute, comment) the parser must buffer whole, or a DTD.
        if self.in_doctype_at is not None and self.fed - self.in_doctype_at > _DTD_BUDGET:
            self.fail(E.DTD, "a DOCTYPE declaration is not allowed in edXML", "/")
        if self.fed - max(self.last_event, self.pos()) > self.limits.max_token_bytes and not (
            self.att is not None and self.att.decoder is not None
        ):
            self.fail(E.TOO_LARGE, f"a single markup token larger than {self.limits.max_token_bytes} bytes")

    def raw_content(self, chunk: bytes) -> bytes:
        """Inside attachment text at the start of a chunk: its bytes up to the next '<' go to
        the base64 decoder directly (no expat, no str), the rest to expat; what expat then sees is
        `<ContentTransferEncoded>` (and the text of earlier chunks) closed by its end tag, well
        formed. Only base64 characters and whitespace are taken this way; a piece with anything
        else (a reference, CDATA, padding, a foreign byte) goes to expat as before, as does a chunk
        after one whose end expat may still hold (see `parse`)."""
        end = chunk.find(b"<")
        text = chunk if end < 0 else chunk[:end]
        if not text:
            return chunk
        a = self.att
        raw = a.decoder.feed_raw(text)
        if raw is None:
            # The text's last piece ends in padding: what comes before it is still taken raw,
            # and expat gets the rest from the first '=' (a few characters and the end tag),
            # where `feed` judges the padding; otherwise the whole last chunk (up to 1 MiB)
            # went through expat's text events.
            end = text.find(b"=")
            if end <= 0:
                return chunk
            text = text[:end]
            raw = a.decoder.feed_raw(text)
            if raw is None:
                return chunk
        self.skipped += len(text)
        if raw:
            self.write(a, raw)
        return b"" if end < 0 else chunk[end:]

    def parse(self, data: bytes, final: bool):
        # What follows the last '>' may be a token expat keeps until the next chunk completes it.
        after = data.rfind(b">") + 1
        self.expat_idle = all(data.find(c, after) < 0 for c in (b"<", b"&", b"]"))
        try:
            self.parser.Parse(data, final)
        except ExpatError as exc:
            msg = expat_errors.messages[exc.code]
            code = _ERROR_CODES.get(msg)
            if code is None:
                truncated = msg in _TRUNCATION_ERRORS or (final and self.stack)
                code = E.TRUNCATED if truncated and final else E.MALFORMED
            self.fail(code, f"{msg} at line {exc.lineno}, column {exc.offset}")

    def close(self):
        self.parse(b"", True)
        self.window = b""


def _after_content_tag(chunk: bytes) -> int:
    """The offset just after the first `…ContentTransferEncoded…>` in `chunk`, or 0."""
    at = chunk.find(b"ContentTransferEncoded")
    if at < 0:
        return 0
    end = chunk.find(b">", at)
    return 0 if end < 0 or end + 1 >= len(chunk) else end + 1


def _readable(f) -> bool:
    if f is None:
        return False
    try:
        return f.readable() and f.seekable()
    except (AttributeError, ValueError, OSError):
        return False


FIRST_CHUNK = 16 * 1024


def _chunk_sizes(size: int):
    """Read sizes: FIRST_CHUNK, doubling up to `size`. Attachment text is decoded without expat
    from the chunk after the one where it starts (`raw_content`); small first reads keep that
    chunk small, so a package of a few hundred KB does not go through expat's text events
    whole (measured 1.6 ms against 2.4 ms for a 100 KB attachment), and a large one still
    reads in `size` pieces after a few steps."""
    step = min(FIRST_CHUNK, size)
    while True:
        yield step
        step = min(step * 2, size)


def _iter_chunks(source, size: int):
    if isinstance(source, bytes | bytearray | memoryview):
        mv = memoryview(source)
        i = 0
        for step in _chunk_sizes(size):
            if i >= len(mv):
                return
            yield bytes(mv[i : i + step])
            i += step
    if isinstance(source, str | os.PathLike):
        try:
            f = open(source, "rb")
        except OSError as exc:
            raise EdxmlError(E.IO, f"cannot open {source}: {exc}", None) from None
        with f:
            yield from _iter_file(f, size)
        return
    yield from _iter_file(source, size)


def _iter_file(f, size: int):
    for step in _chunk_sizes(size):
        try:
            chunk = f.read(step)
        except OSError as exc:
            raise EdxmlError(E.IO, f"read failed: {exc}", None) from None
        if not chunk:
            return
        yield chunk


def _parse_header(raw: bytes, ns: dict[str | None, str]) -> etree._Element:
    """The captured header, parsed as a document of its own with its in-scope namespaces."""
    decls = []
    for prefix, uri in ns.items():
        uri_attr = uri.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        decls.append(f' xmlns="{uri_attr}"' if prefix is None else f' xmlns:{prefix}="{uri_attr}"')
    wrapped = b"<wrap" + "".join(decls).encode() + b">" + raw + b"</wrap>"
    parser = _hardened_lxml_parser()
    try:
        wrapper = etree.fromstring(wrapped, parser)
        return etree.fromstring(etree.tostring(wrapper[0]), parser)
    except etree.XMLSyntaxError as exc:
        raise EdxmlError(E.MALFORMED, f"edXMLHeader: {exc}", "/edXML/edXMLEnvelope/edXMLHeader") from None


def read_package(
    source,
    *,
    attachment_sink=None,
    strict: bool = False,
    limits: Limits | None = None,
    verify_signature: bool = True,
    decode_attachments: bool = True,
) -> DocumentPackage | StatusPackage:
    """Reads one package (a path, bytes or a binary file object) as a stream.

    `attachment_sink` receives decoded attachment bytes (see `vpdt.edxml.sinks`); None
    discards them after computing size and SHA-256. `decode_attachments=False` (no sink):
    attachment text is only checked to be base64 (alphabet, padding, length), not decoded,
    and that attachment's size and sha256 are None, unless it starts as a zip (then decoded
    and listed as always, so a zip bomb is still refused): for a reader that only routes the
    package (the hub), a sixth of its CPU per package. Raises `EdxmlError` for a package
    that cannot be accepted; everything else lands in `.warnings`.
    """
    limits = limits or DEFAULT_LIMITS
    if not decode_attachments and attachment_sink is not None:
        raise ValueError("decode_attachments=False discards the attachments: no sink")
    r = _StreamReader(attachment_sink, limits, strict, decode_attachments)
    try:
        head = True
        for chunk in _iter_chunks(source, limits.chunk_size):
            if head:
                head = False
                if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
                    raise EdxmlError(E.ENCODING, "UTF-16 input; edXML is UTF-8", "/")
            r.feed(chunk)
        r.close()
        if not r.seen_envelope:
            raise EdxmlError(E.NO_ENVELOPE, "no edXMLEnvelope under edXML", "/edXML/edXMLEnvelope")
        if r.header_bytes is None:
            raise EdxmlError(E.NO_HEADER, "no edXMLHeader in the envelope", "/edXML/edXMLEnvelope/edXMLHeader")
        header_el = _parse_header(r.header_bytes, r.header_ns)
        warnings = r.warnings
        header, trace, business = read_header(header_el, warnings, strict)
        signature = verify_header(header_el) if verify_signature else None
        if signature is not None and signature.present and not signature.valid:
            warnings.append(
                EdxmlWarning(E.SIGNATURE, signature.detail or "signature does not verify",
                             "/edXML/edXMLEnvelope/edXMLHeader/Signature")
            )
        if isinstance(header, StatusPackage):
            header.trace, header.business = trace, business
            if signature is not None:
                header.signature = signature
            header.warnings = warnings
            return header
        _match_manifest(r.manifest, r.attachments)
        pkg = DocumentPackage(
            header=header, trace=trace, business=business, manifest=r.manifest or [],
            attachments=r.attachments, warnings=warnings,
        )
        if signature is not None:
            pkg.signature = signature
        return pkg
    except BaseException:
        if r.att is not None and r.att.tee is not None:
            r.att.tee.close()
        if r.att is not None and r.att.fileobj is not None:
            try:
                r.att.fileobj.close()
            except Exception:  # noqa: BLE001 - cleanup must not hide the real error
                pass
        abort = getattr(attachment_sink, "abort", None)
        if abort is not None:
            abort()
        raise


def _match_manifest(manifest: list[ManifestReference] | None, attachments: list[Attachment]) -> None:
    refs = {r.content_id for r in manifest or []}
    have = {a.content_id for a in attachments}
    path = "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference"
    for cid in sorted(refs - have):
        raise EdxmlError(E.MANIFEST_MISMATCH, f"manifest lists {cid!r} but no Attachment carries it", path)
    for cid in sorted(have - refs):
        raise EdxmlError(
            E.MANIFEST_MISMATCH, f"Attachment {cid!r} is not listed in the manifest", "/edXML/AttachmentEncoded/Attachment"
        )

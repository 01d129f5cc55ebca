"""Writing edXML packages and statuses as a stream, in the official library's order.

The header is built and (optionally) signed in memory with lxml, since it is small;
attachments are read in blocks, optionally zipped first into a temporary file, and
base64-encoded straight into the output, so memory does not depend on their size.
Base64 is written without line breaks, as the official samples are.
"""

from __future__ import annotations

import binascii
import datetime as dt
import mimetypes
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager

from lxml import etree

from .header_xml import build_header, q
from .model import (
    NS,
    AttachmentSource,
    Business,
    MessageHeader,
    StatusPackage,
    TraceHeader,
)
from .signature import XmlSigner
from .sinks import safe_filename

_RAW_BLOCK = 3 * 256 * 1024  # a multiple of 3: each block encodes without padding
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_PROLOG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    + f'<edXML xmlns="{NS}">\n  <edXML:edXMLEnvelope xmlns:edXML="{NS}">\n'.encode()
)


def _text(value: str) -> bytes:
    if _INVALID_XML.search(value):
        raise ValueError(f"text not allowed in XML 1.0: {value!r}")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value.encode("utf-8")


@contextmanager
def _output(out):
    if isinstance(out, str | os.PathLike):
        with open(out, "wb") as f:
            yield f
    else:
        yield out


def _header_bytes(header, trace, business, signer: XmlSigner | None) -> bytes:
    el = build_header(header, trace, business)
    if signer is not None:
        el = signer.sign(el)
    return etree.tostring(el, encoding="utf-8", xml_declaration=False)


def _default_trace(header) -> list[TraceHeader]:
    now = dt.datetime.now().replace(microsecond=0)
    return [TraceHeader(organ_id=header.from_.organ_id, timestamp=now)]


def write_package(
    out,
    header: MessageHeader,
    attachments: Iterable[AttachmentSource] = (),
    *,
    zip_attachments: bool = False,
    signer: XmlSigner | None = None,
    trace: list[TraceHeader] | None = None,
    business: Business | None = None,
) -> None:
    """Writes a document package to a path or a writable binary file object.

    `trace` defaults to one TraceHeader (the sender, now); `business` to a new document
    (BussinessDocType 0). With `zip_attachments` each file travels zipped (one entry with
    its name, ContentType application/zip), as the official library does; a file already
    named `.zip` travels as it is (wrapping it again hands the receiver a zip in a zip).
    """
    attachments = list(attachments)
    if trace is None:
        trace = _default_trace(header)
    if business is None:
        business = Business(doc_type=0, paper=0)
    prepared = []
    wrap: dict[str, bool] = {}
    for i, a in enumerate(attachments, start=1):
        cid = a.content_id or f"cid:{i}"
        is_zip = a.name.lower().endswith(".zip")
        wrap[cid] = zip_attachments and not is_zip
        ctype = "application/zip" if zip_attachments and (wrap[cid] or is_zip) else (
            a.content_type or mimetypes.guess_type(a.name)[0] or "application/octet-stream"
        )
        prepared.append((a, cid, ctype, a.description if a.description is not None else a.name))
    if len({p[1] for p in prepared}) != len(prepared):
        raise ValueError("two attachments have the same content_id")

    body = etree.Element(q("edXMLBody"), nsmap={"edXML": NS})
    manifest = etree.SubElement(body, q("edXMLManifest"), version="1.0")
    for a, cid, ctype, desc in prepared:
        ref = etree.SubElement(manifest, q("Reference"))
        etree.SubElement(ref, q("ContentId")).text = cid
        etree.SubElement(ref, q("ContentType")).text = ctype
        if desc is not None:
            etree.SubElement(ref, q("Description")).text = desc
        etree.SubElement(ref, q("AttachmentName")).text = a.name

    head = _header_bytes(header, trace, business, signer)
    with _output(out) as f:
        f.write(_PROLOG)
        f.write(head)
        f.write(b"\n")
        f.write(etree.tostring(body, encoding="utf-8", xml_declaration=False))
        f.write(b"\n  </edXML:edXMLEnvelope>\n  <AttachmentEncoded>\n")
        for a, cid, ctype, desc in prepared:
            f.write(b"    <Attachment>\n      <ContentId>" + _text(cid) + b"</ContentId>\n")
            f.write(b"      <AttachmentName>" + _text(a.name) + b"</AttachmentName>\n")
            if desc is not None:
                f.write(b"      <Description>" + _text(desc) + b"</Description>\n")
            f.write(b"      <ContentType>" + _text(ctype) + b"</ContentType>\n")
            f.write(f'      <edXML:ContentTransferEncoded xmlns:edXML="{NS}">'.encode())
            with a.open() as src:
                if wrap[cid]:
                    with tempfile.TemporaryFile() as tmp:
                        _zip_into(tmp, src, safe_filename(a.name, "attachment"))
                        tmp.seek(0)
                        _encode(tmp, f)
                else:
                    _encode(src, f)
            f.write(b"</edXML:ContentTransferEncoded>\n    </Attachment>\n")
        f.write(b"  </AttachmentEncoded>\n</edXML>\n")


def _zip_into(tmp, src, name: str) -> None:
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _encode(src, dst) -> None:
    """Base64 of `src` into `dst` in blocks; only the last block may carry padding."""
    pending = b""
    while True:
        block = src.read(_RAW_BLOCK)
        if not block:
            break
        if pending:
            block = pending + block
        n = len(block) - len(block) % 3
        pending = block[n:]
        if n:
            dst.write(binascii.b2a_base64(block[:n], newline=False))
    if pending:
        dst.write(binascii.b2a_base64(pending, newline=False))


def write_status(out, status: StatusPackage, *, signer: XmlSigner | None = None) -> None:
    """Writes a status package (header only) to a path or a writable binary file object."""
    head = _header_bytes(status, status.trace, status.business, signer)
    with _output(out) as f:
        f.write(_PROLOG)
        f.write(head)
        f.write(b"\n  </edXML:edXMLEnvelope>\n</edXML>\n")

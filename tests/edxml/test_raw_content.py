"""Attachment text decoded from the raw bytes (issue 17): what expat is not shown must decode
to the same bytes, at every chunk boundary, with every layout a writer may use."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re

import pytest

from vpdt.edxml import AttachmentSource, EdxmlError, read_package, write_package
from vpdt.edxml.limits import Limits

from .factories import header

RAW = os.urandom(30_000)
_CONTENT = re.compile(rb"(<edXML:ContentTransferEncoded[^>]*>)([^<]*)(</edXML:ContentTransferEncoded>)")


def _package(text_of=None, raw: bytes = RAW) -> bytes:
    out = io.BytesIO()
    write_package(out, header(), [AttachmentSource("a.bin", io.BytesIO(raw))])
    data = out.getvalue()
    if text_of is None:
        return data
    return _CONTENT.sub(lambda m: m.group(1) + text_of(m.group(2)) + m.group(3), data)


def _wrapped(text: bytes, eol: bytes = b"\r\n") -> bytes:
    return eol.join(text[i : i + 76] for i in range(0, len(text), 76)) + eol


def _raw_pieces(monkeypatch, cls_name: str = "Base64Decoder") -> list[int]:
    """The sizes of the pieces the reader gives `cls.feed_raw` and that it takes (not None)."""
    from vpdt.edxml import b64stream

    cls = getattr(b64stream, cls_name)
    pieces: list[int] = []
    feed_raw = cls.feed_raw

    def counting(self, text):
        result = feed_raw(self, text)
        if result is not None:
            pieces.append(len(text))
        return result

    monkeypatch.setattr(cls, "feed_raw", counting)
    return pieces


LAYOUTS = {
    "one line": None,
    "76 columns CRLF": _wrapped,
    "76 columns LF, indented": lambda t: b"\n" + _wrapped(t, b"\n        "),
    "character references": lambda t: _wrapped(t, b"&#13;&#10;"),
    "CDATA": lambda t: b"<![CDATA[" + _wrapped(t, b"\n") + b"]]>",
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("chunk", [200, 1000, 4096, 1 << 20])
def test_decoded_bytes_are_the_attachment_whatever_the_layout_and_chunking(layout, chunk):
    pkg = read_package(io.BytesIO(_package(LAYOUTS[layout])), limits=Limits(chunk_size=chunk))
    (att,) = pkg.attachments
    assert (att.size, att.sha256) == (len(RAW), hashlib.sha256(RAW).hexdigest())


def test_decoded_bytes_reach_the_sink_whole(tmp_path):
    from vpdt.edxml.sinks import DirectorySink

    sink = DirectorySink(tmp_path)
    read_package(io.BytesIO(_package(_wrapped)), attachment_sink=sink, limits=Limits(chunk_size=4096))
    assert sink.paths[0].read_bytes() == RAW


@pytest.mark.parametrize("bad", [b"!", b"\xc3\xa9", b"\x01"])
def test_a_foreign_byte_deep_in_the_text_is_refused(bad):
    def spoil(text: bytes) -> bytes:
        return text[:20_000] + bad + text[20_001:]

    with pytest.raises(EdxmlError) as exc:
        read_package(io.BytesIO(_package(spoil)), limits=Limits(chunk_size=4096))
    assert exc.value.code in ("EDXML_BAD_BASE64", "EDXML_MALFORMED")


def test_text_cut_short_by_a_stray_tag_is_malformed_not_decoded():
    def stray(text: bytes) -> bytes:
        return text[:20_000] + b"<x>" + text[20_000:]

    with pytest.raises(EdxmlError):
        read_package(io.BytesIO(_package(stray)), limits=Limits(chunk_size=4096))


def test_same_result_as_the_text_decoded_whole():
    text = _CONTENT.search(_package()).group(2)
    assert base64.b64decode(text) == RAW


def test_attachment_text_goes_to_the_decoder_as_raw_bytes_in_large_pieces(monkeypatch):
    pieces = _raw_pieces(monkeypatch)
    read_package(io.BytesIO(_package()), limits=Limits(chunk_size=4096))
    assert sum(pieces) > 0.8 * len(base64.b64encode(RAW)) and max(pieces) == 4096


def test_reads_start_small_and_double_to_the_chunk_size():
    from vpdt.edxml.reader import FIRST_CHUNK, _chunk_sizes

    sizes = _chunk_sizes(1 << 20)
    assert [next(sizes) for _ in range(9)] == [FIRST_CHUNK << i for i in range(7)] + [1 << 20, 1 << 20]
    assert next(_chunk_sizes(4096)) == 4096  # never above the configured size


@pytest.mark.parametrize("source", ["bytes", "file"])
def test_a_package_of_a_few_hundred_kb_is_mostly_decoded_raw_with_the_default_chunks(monkeypatch, tmp_path, source):
    """The first read is small: the attachment text starts in an early, small chunk, and the
    chunks after it skip expat (with one 1 MiB first read, all of it went through expat)."""
    raw = os.urandom(150_000)
    out = io.BytesIO()
    write_package(out, header(), [AttachmentSource("a.bin", io.BytesIO(raw))])
    pieces = _raw_pieces(monkeypatch)
    path = tmp_path / "p.edxml"
    path.write_bytes(out.getvalue())
    pkg = read_package(out.getvalue() if source == "bytes" else path)
    (att,) = pkg.attachments
    assert (att.size, att.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    assert sum(pieces) > 0.6 * len(base64.b64encode(raw))


# --- checked, not decoded (the hub's read): same verdicts as decoding, no bytes


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("chunk", [200, 1000, 4096, 1 << 20])
def test_checking_without_decoding_accepts_every_layout(layout, chunk):
    pkg = read_package(io.BytesIO(_package(LAYOUTS[layout])), limits=Limits(chunk_size=chunk),
                       decode_attachments=False)
    (att,) = pkg.attachments
    assert (att.size, att.sha256, att.content_id) == (None, None, pkg.manifest[0].content_id)


SPOILED = {
    "foreign character": lambda t: t[:20_000] + b"!" + t[20_001:],
    "non-ASCII": lambda t: t[:20_000] + b"\xc3\xa9" + t[20_001:],
    "control byte": lambda t: t[:20_000] + b"\x01" + t[20_001:],
    "padding in the middle": lambda t: t[:20_000] + b"=" + t[20_001:],
    "one character too many": lambda t: t + b"A",  # 40,001 characters: not base64
    "data after the padding": lambda t: t + b"QQ==QUJD",
    "stray tag": lambda t: t[:20_000] + b"<x>" + t[20_000:],
}


@pytest.mark.parametrize("spoil", SPOILED)
@pytest.mark.parametrize("chunk", [1000, 4096, 1 << 20])
def test_checking_without_decoding_refuses_what_decoding_refuses(spoil, chunk):
    data = _package(SPOILED[spoil])
    with pytest.raises(EdxmlError) as decoded:
        read_package(io.BytesIO(data), limits=Limits(chunk_size=chunk))
    with pytest.raises(EdxmlError) as checked:
        read_package(io.BytesIO(data), limits=Limits(chunk_size=chunk), decode_attachments=False)
    assert checked.value.code == decoded.value.code


def test_checking_without_decoding_takes_no_sink(tmp_path):
    from vpdt.edxml.sinks import DirectorySink

    with pytest.raises(ValueError):
        read_package(io.BytesIO(_package()), attachment_sink=DirectorySink(tmp_path), decode_attachments=False)


@pytest.mark.parametrize("decode", [True, False])
def test_text_in_the_chunk_of_its_start_tag_skips_expat_too(monkeypatch, decode):
    """One chunk holds the whole package: expat is given it up to the ContentTransferEncoded
    start tag, the text after it goes the raw way."""
    from vpdt.edxml import reader

    monkeypatch.setattr(reader, "FIRST_CHUNK", 1 << 20)
    pieces = _raw_pieces(monkeypatch, "Base64Decoder" if decode else "Base64Checker")
    pkg = read_package(io.BytesIO(_package()), decode_attachments=decode)
    assert len(pkg.attachments) == 1 and (pkg.attachments[0].sha256 == hashlib.sha256(RAW).hexdigest()) == decode
    assert sum(pieces) == len(base64.b64encode(RAW))


def test_a_content_tag_name_in_an_attribute_or_comment_does_not_open_the_raw_way():
    def disguise(text: bytes) -> bytes:
        return b"<!-- ContentTransferEncoded> -->" + text

    pkg = read_package(io.BytesIO(_package(disguise)), limits=Limits(chunk_size=1 << 20))
    assert pkg.attachments[0].sha256 == hashlib.sha256(RAW).hexdigest()


def _zipped(entry_bytes: bytes) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bao-cao.txt", entry_bytes)
    out = io.BytesIO()
    write_package(out, header(), [AttachmentSource("bao-cao.txt", buf.getvalue(), content_type="application/zip")])
    return out.getvalue()


def test_checking_without_decoding_still_decodes_and_lists_a_zip():
    pkg = read_package(io.BytesIO(_zipped(b"noi dung " * 1000)), decode_attachments=False)
    (att,) = pkg.attachments
    assert att.zipped and att.size and att.sha256 and [e.name for e in att.zip_entries] == ["bao-cao.txt"]


def test_checking_without_decoding_still_refuses_a_zip_bomb():
    bomb = _zipped(b"\0" * (64 * 1024 * 1024))
    with pytest.raises(EdxmlError) as decoded:
        read_package(io.BytesIO(bomb))
    with pytest.raises(EdxmlError) as checked:
        read_package(io.BytesIO(bomb), decode_attachments=False)
    assert checked.value.code == decoded.value.code == "EDXML_ZIP_BOMB"


# --- the last piece of the text ends in padding (an attachment whose size is not a multiple of 3)


@pytest.mark.parametrize("size", [30_001, 30_002])
@pytest.mark.parametrize("decode", [True, False])
@pytest.mark.parametrize("chunk", [1000, 4096, 1 << 20])
def test_text_ending_in_padding_goes_raw_up_to_the_padding(monkeypatch, size, decode, chunk):
    """Only the padding and the end tag go through expat: before, the whole piece holding the
    padding did (with the default reads, the last chunk of the package, up to 1 MiB)."""
    from vpdt.edxml import reader

    monkeypatch.setattr(reader, "FIRST_CHUNK", chunk)
    raw = os.urandom(size)
    text = base64.b64encode(raw)
    pieces = _raw_pieces(monkeypatch, "Base64Decoder" if decode else "Base64Checker")
    pkg = read_package(io.BytesIO(_package(raw=raw)), limits=Limits(chunk_size=chunk), decode_attachments=decode)
    (att,) = pkg.attachments
    if decode:
        assert (att.size, att.sha256) == (size, hashlib.sha256(raw).hexdigest())
    assert text.endswith(b"=") and sum(pieces) == len(text.rstrip(b"="))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("chunk", [200, 4096, 1 << 20])
def test_padded_text_decodes_whatever_the_layout_and_chunking(layout, chunk):
    raw = os.urandom(30_001)
    pkg = read_package(io.BytesIO(_package(LAYOUTS[layout], raw)), limits=Limits(chunk_size=chunk))
    (att,) = pkg.attachments
    assert (att.size, att.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())


PADDING_SPOILED = {
    "three '='": lambda t: t + b"=",
    "data after the padding": lambda t: t + b"QUJD",
    "data after the padding and a space": lambda t: t + b" QUJD",
    "padding one group early": lambda t: t[:-8] + b"==" + t[-6:],
    "a foreign byte before the padding": lambda t: t[:-4] + b"!" + t[-3:],
}


@pytest.mark.parametrize("spoil", PADDING_SPOILED)
@pytest.mark.parametrize("decode", [True, False])
@pytest.mark.parametrize("chunk", [1000, 4096, 1 << 20])
def test_spoiled_padding_is_refused_as_before(spoil, decode, chunk):
    data = _package(PADDING_SPOILED[spoil], os.urandom(30_001))
    with pytest.raises(EdxmlError) as exc:
        read_package(io.BytesIO(data), limits=Limits(chunk_size=chunk), decode_attachments=decode)
    assert exc.value.code == "EDXML_BAD_BASE64"

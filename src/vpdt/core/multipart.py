"""A multipart/form-data body parsed with python-multipart into what Django's own parser gives.

Django's MultiPartParser moves every byte of an upload through several layers of Python
buffers (LazyStream, BoundaryIter and the roll-back of each chunk's tail), copying it each time:
for a 512 MiB upload that was 0.2 s of the request thread's CPU, the thread that also reads the
socket (bench/upload_bench.py). python-multipart (the parser of Starlette and FastAPI, maintained)
finds the boundary with one `bytes.find` per chunk and hands out the bytes before it as offsets
into the chunk read: the upload handler receives them as a memoryview, not a copy.

What comes out is what Django's parser gives, rule for rule (tests/core/test_multipart.py
compares the two on generated bodies):
- the fields in a QueryDict, their names and values decoded with the request's encoding, a
  base64 field decoded (kept as sent where it is not base64);
- the files from the upload handler (new_file, receive_data_chunk, file_complete), named as
  MultiPartParser.sanitize_file_name names them; a part whose file name is empty is a field, one
  whose name is emptied by the sanitising, or whose field name is empty, is skipped; base64 parts decoded as they stream;
- each part's headers read by django.utils.http.parse_header_parameters (so `filename*` of
  RFC 2231), a header line that does not parse ignored, a part without a name skipped;
- a preamble before the first boundary (up to 64 KiB) and an epilogue after the last ignored;
- DATA_UPLOAD_MAX_NUMBER_FIELDS, DATA_UPLOAD_MAX_MEMORY_SIZE and DATA_UPLOAD_MAX_NUMBER_FILES,
  with Django's own exceptions (each a 400).

A body that is not well-formed multipart, or that ends before its closing boundary, is a
MultiPartParserError (a 400) where Django's parser would return what it had read: nothing of it
is kept, and every file staged so far is removed. python-multipart bounds each part's headers
(8 lines of at most 4 KiB).
"""

from __future__ import annotations

import base64
import binascii
import contextlib

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import StopFutureHandlers
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from django.utils.http import parse_header_parameters
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser

_FIELD, _FILE, _SKIP = "field", "file", "skip"
PREAMBLE_MAX = 64 * 1024  # text before the first boundary (RFC 2046's preamble; browsers send none)


class _Body:
    """The parser's callbacks: builds the fields and drives the upload handler part by part."""

    def __init__(self, handler, encoding: str):
        self.handler, self.encoding = handler, encoding
        self.post = QueryDict(mutable=True)
        self.files = MultiValueDict()
        self.fields = self.file_count = self.field_bytes = 0
        self.ended = False
        self.open_file = False  # a file handed to the handler and not yet complete
        self._new_part()

    def _new_part(self) -> None:
        self.headers: dict = {}
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.kind = _SKIP
        self.name = ""
        self.base64 = False
        self.value = bytearray()
        self.received = 0
        self.remainder = b""

    # -- headers ---------------------------------------------------------------------------
    def on_part_begin(self) -> None:
        self._new_part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        line = bytes(self.header_name) + b": " + bytes(self.header_value)
        self.header_name, self.header_value = bytearray(), bytearray()
        try:  # as django.http.multipartparser.parse_boundary_stream reads a header line
            main_value_pair, params = parse_header_parameters(line.decode())
            name, value = main_value_pair.split(":", 1)
            params = {k: v.encode() for k, v in params.items()}
        except ValueError:  # not UTF-8, or not a header: ignored, as Django does
            return
        self.headers[name] = value, params

    def on_headers_finished(self) -> None:
        disposition = self.headers.get("content-disposition")
        is_file = disposition is not None and bool(disposition[1].get("filename"))
        if not is_file and settings.DATA_UPLOAD_MAX_NUMBER_FIELDS is not None:
            self.fields += 1  # a field, or a part without a disposition (Django's RAW)
            if self.fields > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
                raise TooManyFieldsSent("The number of GET/POST parameters exceeded "
                                        "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.")
        try:
            name = disposition[1]["name"].strip()
        except (TypeError, KeyError, IndexError, AttributeError):
            return  # no name: skipped
        transfer = self.headers.get("content-transfer-encoding")
        self.base64 = transfer is not None and transfer[0].strip() == "base64"
        self.name = force_str(name, self.encoding, errors="replace")
        if not is_file:
            self.kind = _FIELD
            return
        self.file_count += 1
        if settings.DATA_UPLOAD_MAX_NUMBER_FILES is not None and self.file_count > settings.DATA_UPLOAD_MAX_NUMBER_FILES:
            raise TooManyFilesSent("The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES.")
        file_name = MultiPartParser.sanitize_file_name(
            None, force_str(disposition[1]["filename"], self.encoding, errors="replace"))
        if not file_name or not self.name:
            return  # Django's parser never completes a file of an empty name: it is dropped
        content_type, content_type_extra = self.headers.get("content-type", ("", {}))
        try:
            content_length = int(self.headers.get("content-length")[0])
        except (IndexError, TypeError, ValueError):
            content_length = None
        self.kind = _FILE
        self.open_file = True
        with contextlib.suppress(StopFutureHandlers):
            self.handler.new_file(self.name, file_name, content_type.strip(), content_length,
                                  content_type_extra.get("charset"), content_type_extra)

    # -- data ------------------------------------------------------------------------------
    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.kind is _FILE:
            if self.base64:
                self._base64_chunk(data[start:end])
            elif end > start:
                self._hand_over(memoryview(data)[start:end])
        elif self.kind is _FIELD:
            self.value += data[start:end]
            if (settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None
                    and self.field_bytes + len(self.value) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE):
                raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    def _hand_over(self, chunk) -> None:
        self.handler.receive_data_chunk(chunk, self.received)
        self.received += len(chunk)

    def _base64_chunk(self, raw: bytes) -> None:
        # As Django: decoded by multiples of 4 bytes once whitespace is taken out, the 1-3 bytes
        # left carried over to the next chunk; any error is the whole part's.
        stripped = self.remainder + b"".join(raw.split())
        aligned = len(stripped) // 4 * 4
        self.remainder = stripped[aligned:]
        if aligned:
            try:
                decoded = base64.b64decode(stripped[:aligned])
            except (binascii.Error, ValueError) as exc:
                raise MultiPartParserError("Could not decode base64 data.") from exc
            self._hand_over(decoded)

    def on_part_end(self) -> None:
        if self.kind is _FIELD:
            raw = bytes(self.value)
            if self.base64:
                with contextlib.suppress(binascii.Error):
                    raw = base64.b64decode(raw)
            self.field_bytes += len(self.value) + len(self.name) + 2  # Django counts '&='
            if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None and self.field_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
            self.post.appendlist(self.name, force_str(raw, self.encoding, errors="replace"))
        elif self.kind is _FILE:
            if self.remainder:
                raise MultiPartParserError("Could not decode base64 data.")
            self.open_file = False
            uploaded = self.handler.file_complete(self.received)
            if uploaded:
                self.files.appendlist(self.name, uploaded)
        self.kind = _SKIP

    def on_end(self) -> None:
        self.ended = True

    def callbacks(self) -> dict:
        return {f"on_{name}": getattr(self, f"on_{name}") for name in (
            "part_begin", "header_field", "header_value", "header_end", "headers_finished",
            "part_data", "part_end", "end")}

    def abandon(self) -> None:
        """The body failed half-way: the file being received and every staged one removed."""
        if self.open_file:
            self.open_file = False
            self.handler.upload_interrupted()
        for _, files in self.files.lists():
            for uploaded in files:
                with contextlib.suppress(OSError):
                    uploaded.close()


def parse(handler, stream, content_length: int, boundary: bytes, encoding: str) -> tuple[QueryDict, MultiValueDict]:
    """Read `content_length` bytes of `stream` (the request's body) by the handler's chunk size
    and parse them: (POST, FILES), as MultiPartParser.parse returns them."""
    body = _Body(handler, encoding)
    marker = b"--" + boundary
    start = b""  # the body until its first boundary: a preamble before it is skipped, as Django does
    try:
        parser = MultipartParser(boundary, body.callbacks())
        left = content_length
        while left > 0:
            chunk = stream.read(min(handler.chunk_size, left))
            if not chunk:
                break
            if not isinstance(chunk, bytes):
                chunk = bytes(chunk)  # the handler may keep a view of it: it must not change
            left -= len(chunk)
            if start is not None:
                start += chunk
                at = start.find(marker)
                if at < 0:
                    if len(start) > PREAMBLE_MAX:
                        raise MultiPartParserError("No boundary at the start of the multipart body.")
                    continue
                chunk, start = start[at:], None
            if not body.ended:
                parser.write(chunk)
        if not body.ended:
            raise MultiPartParserError("The multipart body ends before its closing boundary.")
    except FormParserError as exc:
        body.abandon()
        raise MultiPartParserError(f"Invalid multipart body: {exc}") from exc
    except BaseException:
        body.abandon()
        raise
    body.post._mutable = False
    return body.post, body.files

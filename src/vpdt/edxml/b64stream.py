"""Incremental, strict base64 decoding of attachment text that arrives in pieces.

Whitespace (spaces, tabs, CR, LF) anywhere is ignored, as encoders wrap lines or not;
anything else outside the base64 alphabet, padding in the middle, or a length that
cannot be base64 is an error. At most three characters are carried between pieces.
"""

from __future__ import annotations

import binascii

_WS = b" \t\r\n"


class Base64Error(ValueError):
    def __init__(self, detail: str, offset: int):
        super().__init__(detail)
        self.offset = offset


def _significant(text: str | bytes, consumed: int) -> bytes:
    """`text` as ASCII bytes without whitespace (a non-ASCII character is an error at `consumed`)."""
    if isinstance(text, str):
        try:
            data = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise Base64Error(f"non-ASCII character {text[exc.start]!r} in base64", consumed) from None
    else:
        data = text
    # Most writers emit one long line: skip the copy when there is nothing to strip.
    if b"\n" in data or b"\r" in data or b" " in data or b"\t" in data:
        data = data.translate(None, _WS)
    return data


class Base64Decoder:
    def __init__(self):
        self._rest = b""
        self._padded = False
        self.consumed = 0  # significant characters seen, for error offsets

    def feed(self, text: str | bytes) -> bytes:
        data = _significant(text, self.consumed)
        if not data:
            return b""
        if self._padded:
            raise Base64Error("data after base64 padding", self.consumed)
        if self._rest:
            data = self._rest + data
        n = len(data) & ~3
        chunk, self._rest = data[:n], data[n:]
        start = self.consumed
        self.consumed = start + len(chunk)
        if not chunk:
            return b""
        if chunk[-1:] == b"=":
            self._padded = True
            if self._rest:
                raise Base64Error("data after base64 padding", self.consumed)
        try:
            return binascii.a2b_base64(chunk, strict_mode=True)
        except binascii.Error as exc:
            raise Base64Error(f"invalid base64: {exc}", _first_bad(chunk, start)) from None

    def feed_raw(self, data: bytes) -> bytes | None:
        """Like `feed` for a piece of raw input known to be text (no markup), in one decoding
        call without a scan first; None, with nothing changed, when the piece holds anything but
        base64 characters and whitespace, or padding (then the caller hands it to `feed` the
        way it came, e.g. through the XML parser, which judges references and CDATA)."""
        if self._padded:
            return None
        out = self._aligned(data)
        if out is None:
            out = self._aligned(data.translate(None, _WS))  # wrapped lines: without whitespace, once more
        return out

    def _aligned(self, data: bytes) -> bytes | None:
        """Decode the carried characters completed from `data`, then `data`'s whole groups of four
        in place (a view, not a copy); None, nothing changed, unless all is plain base64."""
        rest = self._rest
        k = -len(rest) % 4
        if len(data) < k:
            buf = rest + data
            if buf.translate(None, _B64):
                return None
            self._rest = buf
            return b""
        head = _plain(rest + data[:k]) if rest else b""
        body = memoryview(data)[k:]
        n = len(body) & ~3
        tail = bytes(body[n:])
        if head is None or tail.translate(None, _B64) or (n and body[n - 1] == 61):
            return None
        try:
            out = binascii.a2b_base64(body[:n], strict_mode=True)
        except binascii.Error:
            return None
        self._rest = tail
        self.consumed += k + n
        return head + out if head else out

    def finish(self) -> bytes:
        rest, self._rest = self._rest, b""
        if not rest:
            return b""
        # Some encoders drop the final padding; two or three characters still decode.
        if len(rest) == 1:
            raise Base64Error("base64 text length is not a multiple of 4", self.consumed)
        try:
            return binascii.a2b_base64(rest + b"=" * (4 - len(rest)), strict_mode=True)
        except binascii.Error as exc:
            raise Base64Error(f"invalid base64 at the end: {exc}", self.consumed) from None


_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_WS = _B64 + _WS


class Base64Checker:
    """`Base64Decoder`'s checks without decoding (for a reader that only needs to know the
    text is base64: the hub's accept): the alphabet, whitespace ignored, padding only at the
    end (at most two), a length that can be base64. `feed` and `feed_raw` return b"" (nothing
    decoded); errors are `Base64Error`, as the decoder's."""

    def __init__(self):
        self._padded = 0  # '=' seen: nothing but more '=' (two in all) may follow
        self.consumed = 0

    def feed(self, text: str | bytes) -> bytes:
        data = _significant(text, self.consumed)
        if not data:
            return b""
        body = data.rstrip(b"=")
        pads = len(data) - len(body)
        if (self._padded and body) or body.translate(None, _B64):
            if self._padded:
                raise Base64Error("data after base64 padding", self.consumed)
            raise Base64Error("invalid base64: a character outside the base64 alphabet", _first_bad(data, self.consumed))
        if pads:
            if (self.consumed + len(body)) % 4 < 2 or self._padded + pads > 2:
                raise Base64Error("invalid base64: padding where it cannot be", self.consumed + len(body))
            self._padded += pads
        self.consumed += len(data)
        return b""

    def feed_raw(self, data: bytes) -> bytes | None:
        """Like `feed` for raw input known to be text; None, nothing changed, unless the piece
        is base64 characters and whitespace only (the caller then hands it to `feed`)."""
        if self._padded or data.translate(None, _B64_WS):
            return None
        if b"\n" in data or b"\r" in data or b" " in data or b"\t" in data:
            self.consumed += len(data.translate(None, _WS))
        else:
            self.consumed += len(data)
        return b""

    def finish(self) -> bytes:
        if self._padded and self.consumed % 4:
            raise Base64Error("base64 text length is not a multiple of 4", self.consumed)
        if self.consumed % 4 == 1:
            raise Base64Error("base64 text length is not a multiple of 4", self.consumed)
        return b""


def _plain(buf: bytes) -> bytes | None:
    """The decoded whole groups of four of `buf`, if it is base64 characters only, without padding."""
    n = len(buf) & ~3
    if (n and buf[n - 1] == 61) or buf[n:].translate(None, _B64):
        return None
    try:
        return binascii.a2b_base64(buf if n == len(buf) else buf[:n], strict_mode=True)
    except binascii.Error:
        return None


class Base64CheckerUnlessZip:
    """`Base64Checker`, unless the text starts as a zip's does (`PK\\x03\\x04` is "UEsD…" in
    base64): then `Base64Decoder`, so that a zip made for transport is still listed and held
    to the zip bounds (a bomb refused at once). `decodes` says which it became."""

    def __init__(self):
        self.inner: Base64Checker | Base64Decoder | None = None
        self.decodes = True

    def _pick(self, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data[:64].encode("ascii", "replace")
        head = data[:64].translate(None, _WS)[:4]
        self.inner = Base64Checker() if len(head) == 4 and head != b"UEsD" else Base64Decoder()
        self.decodes = isinstance(self.inner, Base64Decoder)

    def feed(self, text: str | bytes) -> bytes:
        if self.inner is None:
            self._pick(text)
        return self.inner.feed(text)

    def feed_raw(self, data: bytes) -> bytes | None:
        if self.inner is None:
            self._pick(data)
        return self.inner.feed_raw(data)

    def finish(self) -> bytes:
        return self.inner.finish() if self.inner is not None else b""


_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _first_bad(chunk: bytes, start: int) -> int:
    for i, c in enumerate(chunk):
        if c not in _ALPHABET and not (c == 61 and i >= len(chunk) - 2):
            return start + i
    return start

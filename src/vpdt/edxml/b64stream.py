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


class Base64Decoder:
    def __init__(self):
        self._rest = b""
        self._padded = False
        self.consumed = 0  # significant characters seen, for error offsets

    def feed(self, text: str | bytes) -> bytes:
        if isinstance(text, str):
            try:
                data = text.encode("ascii")
            except UnicodeEncodeError as exc:
                raise Base64Error(f"non-ASCII character {text[exc.start]!r} in base64", self.consumed) from None
        else:
            data = text
        # Most writers emit one long line: skip the copy when there is nothing to strip.
        if b"\n" in data or b"\r" in data or b" " in data or b"\t" in data:
            data = data.translate(None, _WS)
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


_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _first_bad(chunk: bytes, start: int) -> int:
    for i, c in enumerate(chunk):
        if c not in _ALPHABET and not (c == 61 and i >= len(chunk) - 2):
            return start + i
    return start

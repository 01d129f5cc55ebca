"""Vietnamese text folding: `dien tu` finds `điện tử`, `dong nai` finds `Đồng Nai`.

Folding strips the diacritics (NFD, drop combining marks), maps đ/Đ to d, lowercases and
collapses whitespace. The folded form is stored beside the text and searched with
plain LIKE or full-text indexes on every backend.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_DD = str.maketrans({"đ": "d", "Đ": "d"})


class _Unmarked(dict):
    """str.translate's table of `fold`: a character (its code) → the character without its marks
    (NFD, combining marks dropped, đ/Đ → d), computed on first sight. Canonical decomposition is
    per character (only the order of the marks depends on their neighbours, and the marks are
    dropped), so translating each character is what decomposing the whole string gives. Codes
    below U+3000 (Latin, combining marks, Greek, Cyrillic, punctuation) are remembered; others are
    answered each time, so text of many rare characters cannot grow the table without bound."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code).translate(_DD))
        out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if code < 0x3000:
            self[code] = out
        return out


_UNMARKED = _Unmarked()


def fold(text: str | None) -> str:
    if not text:
        return ""
    stripped = text if text.isascii() else text.translate(_UNMARKED)
    return _SPACES.sub(" ", stripped).strip().lower()


def fold_by_decomposing(text: str | None) -> str:
    """`fold` as first written (NFD of the whole string): what tests compare the table with."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_DD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def words(text: str | None) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", fold(text)) if w]


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    """A NUL or an unpaired surrogate: no database keeps them (PostgreSQL refuses both)."""
    return _UNSTORABLE.search(text) is not None

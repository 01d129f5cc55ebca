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


def fold(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_DD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def words(text: str | None) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", fold(text)) if w]


def unstorable(text: str) -> bool:
    """A NUL or an unpaired surrogate: no database keeps them (PostgreSQL refuses both)."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)

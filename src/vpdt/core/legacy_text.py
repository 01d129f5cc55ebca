"""Legacy Vietnamese text to Unicode NFC (for `vpdt import`).

Old e-office systems and the spreadsheets exported from them carry Vietnamese in one of:

- **UTF-8** (with or without a BOM) and **UTF-16** with a BOM;
- **Windows-1258** (`cp1258`): Python's codec gives base letters plus combining tone marks,
  so the result is normalized to NFC;
- **decomposed Unicode** (NFD, e.g. text from macOS): normalized to NFC;
- **TCVN3** ("ABC", the `.VnTime` fonts): TCVN 5712:1993, level VN3, one byte a letter.
  The table below follows the published TCVN 5712:1993 chart (the same positions as the
  upper half of VN1 in glibc's `TCVN5712-1` charmap and RFC 1456): 0xA1-0xA7 the capitals
  Ă Â Ê Ô Ơ Ư Đ, 0xA8-0xAE ă â ê ô ơ ư đ, 0xB5-0xFE the lower-case letters with tones.
  VN3 has **no capitals with a tone mark**: documents set those in the upper-case fonts
  (`.VnTimeH`), which draw the lower-case codes as capitals, so the case lives in the font and
  those letters decode as lower case (it cannot be recovered from the bytes). The positions VN3
  leaves free but VN1/VN2 give to capitals (0xAF, 0xBA, 0xBF-0xC5, 0xCD, 0xD9-0xDB, 0xE0, 0xF0,
  0xFF) and VN1's combining marks (0xB0-0xB4) decode as the standard says; 0x80-0x9F and 0xA0
  are read as Windows-1252 (the fonts kept the Windows quotes and dashes there).
- **VNI** (VNI-Windows, the `VNI-Times` fonts): a base letter followed by a mark byte, after
  the VNI-Win chart: lower-case tone bytes ø ù û õ ï (huyền sắc hỏi ngã nặng), â (circumflex),
  ê (breve), à á å ã ä (circumflex + tone), è é ú ü ë (breve + tone); the letters ì í æ ó ò
  (i with a tone), î (ỵ), ô (ơ), ö (ư), ñ (đ); capitals use the same bytes less 0x20
  (Ø Ù Û Õ Ï Â Ê À Á Å Ã Ä È É Ú Ü Ë Ì Í Æ Ó Ò Î Ô Ö Ñ). Other bytes of 0x80-0xBF are read as
  Windows-1252 punctuation.

`to_unicode(data, encoding=None)` returns (NFC text, encoding used); `detect(data)` guesses the
encoding (an explicit one always wins): a BOM, then strict UTF-8, else the reading among
Windows-1258 / TCVN3 / VNI whose words with marks are most often Vietnamese syllables
(`is_syllable`: initial consonant + vowel nucleus + final + one tone; frequent administrative
syllables weigh double; VN1-only positions count against TCVN3); `explain(data)` says why in
Vietnamese. `from_unicode(text, "tcvn3" | "vni" | "cp1258")` is the inverse (for tests and for
checking the tables). `read_lines(stream, encoding=None)` reads a file line by line, never whole.
Legacy text often arrives already mis-decoded as Windows-1252/Latin-1 (a CSV opened in Excel):
`to_unicode(str, "tcvn3")` re-encodes such a str to its bytes first; `to_unicode(str)` also
repairs UTF-8 read as Windows-1252 ("Cá»™ng hÃ²a").

Errors are `LegacyTextError` (an InvalidInput and a ValueError, Vietnamese message): an unknown
encoding name (LEGACY_ENCODING_UNKNOWN), a byte the encoding cannot read (LEGACY_TEXT_UNDECODABLE,
`offset` = its position), a letter an encoding cannot write (LEGACY_TEXT_UNENCODABLE).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext as _

from vpdt.core.errors import InvalidInput

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1258", "tcvn3", "vni")

_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig", "utf-8-bom": "utf-8-sig",
    "utf-16": "utf-16", "utf16": "utf-16",
    "cp1258": "cp1258", "windows-1258": "cp1258", "windows1258": "cp1258", "win1258": "cp1258",
    "tcvn3": "tcvn3", "tcvn": "tcvn3", "abc": "tcvn3", "vn3": "tcvn3", "tcvn-3": "tcvn3", "tcvn3-abc": "tcvn3",
    "vni": "vni", "vni-win": "vni", "vni-windows": "vni", "vniwin": "vni", "vni-times": "vni",
}


class LegacyTextError(InvalidInput, ValueError):
    """Unknown encoding name or bytes the encoding cannot read; `offset` is the byte position (or None)."""

    def __init__(self, message: str, *, code: str, offset: int | None = None):
        super().__init__(message, code=code)
        self.offset = offset


def _canonical(encoding: str) -> str:
    name = _ALIASES.get(encoding.strip().lower().replace("_", "-"))
    if name is None:
        raise LegacyTextError(
            _("Bảng mã «%(encoding)s» không được hỗ trợ; chọn một trong: %(choices)s.")
            % {"encoding": encoding, "choices": ", ".join(ENCODINGS)},
            code="LEGACY_ENCODING_UNKNOWN",
        )
    return name


def _undecodable(encoding: str, data: bytes, offset: int, base: int = 0) -> LegacyTextError:
    """`data[offset]` is the bad byte; `base` is where `data` starts in the whole file."""
    return LegacyTextError(
        _("Không đọc được văn bản theo bảng mã %(encoding)s: byte %(byte)s ở vị trí %(offset)s không hợp lệ "
          "với bảng mã này.") % {"encoding": encoding, "byte": f"0x{data[offset]:02X}", "offset": base + offset},
        code="LEGACY_TEXT_UNDECODABLE",
        offset=base + offset,
    )


# --- TCVN3 (TCVN 5712:1993 VN3): byte -> character -------------------------------------------------

# Per vowel, the bytes of: grave (huyền), hook (hỏi), tilde (ngã), acute (sắc), dot below (nặng).
_TCVN3_TONED = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # huyền, hỏi, ngã, sắc, nặng
_TCVN3_PLAIN = dict(zip(range(0xA1, 0xAF), "ĂÂÊÔƠƯĐăâêôơưđ", strict=True))
# Positions VN3 leaves free, VN1/VN2 give to capitals (and combining marks) in the same standard.
_TCVN_VN1_EXTRA = {
    0xAF: "Ằ", 0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
    0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ", 0xC5: "Ề",
    0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ", 0xF0: "Ỗ", 0xFF: "Ố",
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _build_tcvn3() -> tuple[list[str | None], dict[str, int]]:
    decode: list[str | None] = [chr(b) for b in range(0x80)] + [None] * 0x80
    for b in range(0x80, 0xA1):
        try:
            decode[b] = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            decode[b] = None
    for b, ch in _TCVN3_PLAIN.items():
        decode[b] = ch
    for base, codes in _TCVN3_TONED.items():
        for tone, b in zip(_TONES, codes, strict=True):
            decode[b] = _nfc(base + tone)
    for b, ch in _TCVN_VN1_EXTRA.items():
        decode[b] = ch
    encode = {ch: b for b, ch in enumerate(decode) if ch is not None and b >= 0x80 and b not in _TCVN_VN1_EXTRA}
    return decode, encode


_TCVN3_DECODE, _TCVN3_ENCODE = _build_tcvn3()
_TCVN_VN1_EXTRA_BYTES = tuple(bytes([b]) for b in _TCVN_VN1_EXTRA)


# --- VNI (VNI-Windows): base letter + mark byte ----------------------------------------------------

# Lower-case mark bytes (capitals: the same less 0x20). Tones in _TONES order.
_VNI_TONE = ("ø", "û", "õ", "ù", "ï")
_VNI_CIRC, _VNI_BREVE = "â", "ê"
_VNI_CIRC_TONE = ("à", "å", "ã", "á", "ä")
_VNI_BREVE_TONE = ("è", "ú", "ü", "é", "ë")
# Single-byte letters (lower case; capitals less 0x20).
_VNI_SINGLE = {"ì": "ì", "æ": "ỉ", "ó": "ĩ", "í": "í", "ò": "ị", "î": "ỵ", "ô": "ơ", "ö": "ư", "ñ": "đ"}


def _up(s: str) -> str:
    return "".join(chr(ord(c) - 0x20) if ord(c) >= 0xE0 else c.upper() for c in s)


def _build_vni() -> tuple[dict[str, str], dict[str, str]]:
    """Sequences (1 or 2 chars, as Windows-1252 text) -> Unicode letter; and the inverse."""
    lower: dict[str, str] = {}  # Unicode letter -> VNI sequence (lower case)
    for base in "aeouy":
        for tone, mark in zip(_TONES, _VNI_TONE, strict=True):
            lower[_nfc(base + tone)] = base + mark
    for base in "aeo":
        lower[_nfc(base + "\u0302")] = base + _VNI_CIRC
        for tone, mark in zip(_TONES, _VNI_CIRC_TONE, strict=True):
            lower[_nfc(base + "\u0302" + tone)] = base + mark
    lower["ă"] = "a" + _VNI_BREVE
    for tone, mark in zip(_TONES, _VNI_BREVE_TONE, strict=True):
        lower[_nfc("a\u0306" + tone)] = "a" + mark
    for base, horn in (("ô", "ơ"), ("ö", "ư")):
        for tone, mark in zip(_TONES, _VNI_TONE, strict=True):
            lower[_nfc(horn + tone)] = base + mark
    for seq, letter in _VNI_SINGLE.items():
        lower[letter] = seq
    lower["ỵ"] = "î"  # not "yï": the VNI keyboard writes the single byte
    encode: dict[str, str] = {}
    for letter, seq in lower.items():
        encode[letter] = seq
        encode[letter.upper()] = _up(seq)
    decode = {seq: letter for letter, seq in encode.items()}
    # Readers also meet a capital base with a lower-case mark (and the reverse), and "yï".
    decode["yï"], decode["YÏ"] = "ỵ", "Ỵ"
    for seq, letter in list(decode.items()):
        if len(seq) == 2:
            base, mark = seq
            decode.setdefault(base + (mark.lower() if mark.isupper() else _up(mark)), letter)
    return decode, encode


_VNI_DECODE, _VNI_ENCODE = _build_vni()
_VNI_MARKS = {s[1] for s in _VNI_DECODE if len(s) == 2}
_VNI_LETTERS = {s for s in _VNI_DECODE if len(s) == 1}


# --- bytes <-> str ----------------------------------------------------------------------------------


def _latin_bytes(text: str) -> bytes:
    """A str that was bytes mis-decoded as Windows-1252 or Latin-1, back to those bytes."""
    out = bytearray()
    for i, ch in enumerate(text):
        if ord(ch) < 0x100:
            out.append(ord(ch))
            continue
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            raise LegacyTextError(
                _("Ký tự «%(char)s» ở vị trí %(offset)s không thuộc bảng mã Windows-1252: văn bản này không "
                  "phải văn bản bảng mã cũ bị đọc nhầm.") % {"char": ch, "offset": i},
                code="LEGACY_TEXT_NOT_LATIN",
                offset=i,
            ) from None
    return bytes(out)


def _decode_tcvn3(data: bytes) -> str:
    out = []
    for i, b in enumerate(data):
        ch = _TCVN3_DECODE[b]
        if ch is None:
            raise _undecodable("tcvn3", data, i)
        out.append(ch)
    return _nfc("".join(out))


def _decode_vni(data: bytes) -> str:
    out = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            if i + 1 < n and data[i + 1] >= 0x80:
                pair = chr(b) + bytes([data[i + 1]]).decode("latin-1")
                if pair in _VNI_DECODE:
                    out.append(_VNI_DECODE[pair])
                    i += 2
                    continue
            out.append(chr(b))
            i += 1
            continue
        ch = bytes([b]).decode("latin-1")
        if ch in _VNI_LETTERS:
            if i + 1 < n:
                pair = ch + bytes([data[i + 1]]).decode("latin-1")
                if pair in _VNI_DECODE:
                    out.append(_VNI_DECODE[pair])
                    i += 2
                    continue
            out.append(_VNI_DECODE[ch])
        elif b < 0xC0:
            try:
                out.append(bytes([b]).decode("cp1252"))
            except UnicodeDecodeError:
                raise _undecodable("vni", data, i) from None
        else:
            raise _undecodable("vni", data, i)
        i += 1
    return _nfc("".join(out))


def _decode(data: bytes, name: str) -> str:
    if name == "tcvn3":
        return _decode_tcvn3(data)
    if name == "vni":
        return _decode_vni(data)
    if name == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LegacyTextError(
            _("Văn bản UTF-16 không có dấu BOM ở đầu: không biết thứ tự byte."), code="LEGACY_TEXT_NO_BOM", offset=0
        )
    try:
        return _nfc(data.decode(name))
    except UnicodeDecodeError as exc:
        raise _undecodable(name, data, exc.start) from None


def to_unicode(data: bytes | str, encoding: str | None = None) -> tuple[str, str]:
    """(NFC text, encoding used). An explicit `encoding` always wins over detection.

    A str with an encoding is taken as bytes mis-decoded as Windows-1252/Latin-1 and re-read;
    a str without one is checked the same way and kept as it is when it reads best as Unicode
    (the encoding is then "unicode").
    """
    if isinstance(data, str):
        if encoding is not None:
            name = _canonical(encoding)
            try:
                return _decode(_latin_bytes(data), name), name
            except LegacyTextError:
                if name in ("tcvn3", "vni"):  # their text can only come from a Latin reading
                    raise
                # Not a Latin reading of these bytes: the str is already decoded text (say,
                # Windows-1258 read by Python, tones as combining marks).
                return _nfc(data), name
        try:
            raw = _latin_bytes(data)
        except LegacyTextError:
            return _nfc(data), "unicode"
        guess, _ = explain(raw)
        if guess in ("utf-8", "utf-8-sig") and not raw.isascii():
            try:  # UTF-8 read as Windows-1252 ("Cá»™ng hÃ²a"): the commonest mix-up of all
                return _decode(raw, guess), guess
            except LegacyTextError:
                pass
        if guess in ("tcvn3", "vni", "cp1258") and _score(_decode(raw, guess)) > _score(_nfc(data)):
            return _decode(raw, guess), guess
        return _nfc(data), "unicode"
    data = bytes(data)  # bytearray, memoryview
    name = _canonical(encoding) if encoding is not None else detect(data)
    return _decode(data, name), name


def _cp1258_split(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    tones = "".join(c for c in decomposed if c in _TONES)
    return _nfc("".join(c for c in decomposed if c not in _TONES)) + tones if tones else ch


def from_unicode(text: str, encoding: str) -> bytes:
    """Unicode text to TCVN3, VNI (the tables' inverse) or another supported encoding's bytes.

    TCVN3 (VN3) has no capitals with a tone mark: such a letter raises (set it in lower case,
    as the `.VnTimeH` fonts expected).
    """
    name = _canonical(encoding)
    if name == "cp1258":  # Windows writes the tone as a combining mark after the base letter
        return "".join(_cp1258_split(ch) for ch in _nfc(text)).encode("cp1258")
    if name not in ("tcvn3", "vni"):
        return _nfc(text).encode(name)
    table = _TCVN3_ENCODE if name == "tcvn3" else _VNI_ENCODE
    out = bytearray()
    for i, ch in enumerate(_nfc(text)):
        if ord(ch) < 0x80:
            out.append(ord(ch))
        elif ch in table:
            seq = table[ch]
            out += bytes([seq]) if isinstance(seq, int) else seq.encode("latin-1")
        else:
            try:
                byte = ch.encode("cp1252")
                if _decode(byte, name) != ch:  # that byte means a Vietnamese letter or mark here
                    raise UnicodeEncodeError(name, ch, 0, 1, "")
                out += byte
            except (UnicodeEncodeError, LegacyTextError):
                raise LegacyTextError(
                    f"Ký tự «{ch}» ở vị trí {i} không có trong bảng mã {name}.",
                    code="LEGACY_TEXT_UNENCODABLE",
                    offset=i,
                ) from None
    return bytes(out)


# --- detection: how many words are Vietnamese syllables ---------------------------------------------

_INITIALS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)
_NUCLEI = {
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi",
    "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "ưa", "ưi", "ươ", "ưu", "uy", "yê",
    "iêu", "oai", "oay", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê", "uyu", "yêu", "oao",
}
_FINALS = ("ch", "ng", "nh", "c", "m", "n", "p", "t", "")
_STOP_FINALS = ("c", "ch", "p", "t")
_SYLLABLE = re.compile(
    "^(" + "|".join(i for i in _INITIALS if i) + ")?([aăâeêioôơuưy]+)(ch|ng|nh|c|m|n|p|t)?$"
)
_WORD = re.compile(r"[^\s0-9!-/:-@\[-`{-~\u2010-\u206f]+")


def is_syllable(word: str) -> bool:
    """A Vietnamese syllable: initial + vowel nucleus + final, at most one tone (sắc or nặng, and only they, before c, ch, p, t)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return False
    letters = _nfc("".join(c for c in decomposed if c not in _TONES))
    m = _SYLLABLE.match(letters)
    if not m:
        return False
    nucleus, final = m.group(2), m.group(3) or ""
    if nucleus not in _NUCLEI:
        return False
    if final in _STOP_FINALS and (not tones or tones[0] not in ("\u0301", "\u0323")):
        return False
    return True


# Frequent marked syllables of administrative writing: they break ties between two readings that
# both look like syllables ("Uỷ ban nhân dân" in Windows-1258 read as TCVN3 gives "Uyề ban nhõn dõn").
_COMMON = frozenset(
    """của và các có được trong người không này cho với đã là một những nhân dân công văn số ngày
    tháng năm quyết định về việc sở uỷ ủy tỉnh huyện xã thực hiện cộng hòa hoà hội chủ nghĩa việt
    độc lập tự hạnh phúc khoa học nghệ kính gửi giám đốc phó chức nội vụ tài chính đầu tư giáo dục
    đào tạo tế y văn hóa hoá thể thao du lịch môi trường giao thông vận xây dựng nông phát triển
    thôn tư pháp thanh tra điều luật nghị thông báo cáo hướng dẫn kế hoạch đề án ký tên
    phòng chuyên viên trưởng đơn vị cơ quan liên quan nhà nước thành phố quận phường thị trấn
    giấy mời biên bản tờ trình đồng lưu điện tử đã ủy ban trên dưới đến từ theo để""".split()
)


def _score(text: str) -> float:
    """Share of the words with a letter outside ASCII that are syllables (frequent ones count double)."""
    words = _WORD.findall(text)
    marked = [w for w in words if not w.isascii()]
    if not marked:
        return 0.0
    good = sum(1 for w in marked if is_syllable(w))
    common = sum(1 for w in marked if w.lower() in _COMMON)
    return (good + common) / (2 * len(marked))


def explain(data: bytes) -> tuple[str, str]:
    """(encoding, why it was chosen, in Vietnamese)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "Văn bản bắt đầu bằng dấu BOM của UTF-8."
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "Văn bản bắt đầu bằng dấu BOM của UTF-16."
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A sample cut inside a letter, or a file cut short: UTF-8 up to its last bytes stays UTF-8
        # (reading it then names the cut byte).
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3 and not data[: exc.start].isascii():
            return "utf-8", "Văn bản đọc được theo UTF-8 (trừ vài byte cuối bị cắt giữa một chữ)."
    else:
        if text.isascii():
            return "utf-8", "Văn bản chỉ có ký tự ASCII (đọc như UTF-8)."
        nfd = " (dấu tách rời, đã chuẩn hóa NFC)" if unicodedata.normalize("NFC", text) != text else ""
        return "utf-8", f"Văn bản đọc được trọn vẹn theo UTF-8{nfd}."
    scores = {}
    for name in ("cp1258", "tcvn3", "vni"):
        try:
            text = _decode(data, name)
        except LegacyTextError:
            continue
        scores[name] = _score(text)
        if name == "tcvn3":  # VN3 text does not use the positions only VN1/VN2 fill
            extra = sum(data.count(b) for b in _TCVN_VN1_EXTRA_BYTES)
            scores[name] -= extra / (2 * max(1, len(_WORD.findall(text))))
    if not scores:
        return "cp1258", "Không bảng mã nào đọc trọn vẹn được; thử Windows-1258."
    order = ("tcvn3", "vni", "cp1258")  # ties: the commonest legacy encoding first
    best = max(scores, key=lambda n: (scores[n], -order.index(n)))
    detail = ", ".join(f"{n}: {scores[n]:.0%}" for n in order if n in scores)
    return best, (
        "Không phải UTF-8. Điểm tiếng Việt của từng cách đọc (từ có dấu là âm tiết hợp lệ, từ hành chính "
        f"thường gặp tính gấp đôi): {detail}; chọn {best}."
    )


def detect(data: bytes) -> str:
    """Best guess among utf-8 / utf-8-sig / utf-16 / cp1258 / tcvn3 / vni (`explain` says why)."""
    return explain(data)[0]


# --- streams: a legacy file read line by line, never whole -------------------------------------------


def read_lines(stream: BinaryIO, encoding: str | None = None, *, sample: int = 64 * 1024) -> tuple[str, Iterator[str]]:
    """(encoding, the file's lines as NFC text with their line ends), reading `stream` line by line.

    Without an encoding, the first `sample` bytes decide (`detect`). Every encoding here but
    UTF-16 writes a line feed as the single byte 0x0A and never inside a letter, so each line is
    decoded on its own; UTF-16 goes through Python's incremental decoder. An undecodable byte
    raises LegacyTextError naming its offset in the whole file.
    """
    head = stream.read(sample)
    if encoding is None:
        name = detect(head[: head.rfind(b"\n") + 1] or head if len(head) == sample else head)
    else:
        name = _canonical(encoding)

    def chunks() -> Iterator[bytes]:
        if head:
            yield head
        while block := stream.read(sample):
            yield block

    def utf16() -> Iterator[str]:
        if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _decode(head[:2], "utf-16")  # raises: no BOM
        decoder = codecs.getincrementaldecoder("utf-16")()
        pending, done = "", 0
        for block in chunks():
            try:
                pending += decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise _undecodable("utf-16", block, min(exc.start, len(block) - 1), done) from None
            *lines, pending = pending.split("\n")
            for line in lines:
                yield _nfc(line + "\n")
            done += len(block)
        pending += decoder.decode(b"", final=True)
        if pending:
            yield _nfc(pending)

    def lines() -> Iterator[str]:
        offset, rest, first = 0, b"", True
        for block in chunks():
            rest += block
            *complete, rest = rest.split(b"\n")
            for raw in complete:
                yield _decode_at(raw + b"\n", offset, first)
                offset += len(raw) + 1
                first = False
        if rest:
            yield _decode_at(rest, offset, first)

    def _decode_at(raw: bytes, offset: int, first: bool) -> str:
        if name == "utf-8-sig" and not first:
            raw_name = "utf-8"
        else:
            raw_name = name
        try:
            return _decode(raw, raw_name)
        except LegacyTextError as exc:
            if exc.offset is None:
                raise
            raise _undecodable(name, raw, exc.offset, offset) from None

    return name, (utf16() if name == "utf-16" else lines())

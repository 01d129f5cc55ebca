"""Legacy Vietnamese encodings to Unicode NFC: the tables against the published charts, round trips, detection."""

from __future__ import annotations

import codecs
import gzip
import io
import re
import unicodedata
from pathlib import Path

import pytest

from vpdt.core.errors import InvalidInput
from vpdt.core.legacy_text import (
    LegacyTextError,
    detect,
    explain,
    from_unicode,
    is_syllable,
    read_lines,
    to_unicode,
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


PHRASES = [
    "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Độc lập - Tự do - Hạnh phúc",
    "Ủy ban nhân dân tỉnh Kiên Giang",
    "Uỷ ban nhân dân huyện Phú Quốc",
    "Sở Khoa học và Công nghệ",
    "Quyết định về việc ban hành quy chế văn thư, lưu trữ",
    "Công văn số 11/SKHCN-CĐS ngày 05/03/2024 gửi các sở, ban, ngành",
    "Kính gửi: Giám đốc Sở Nội vụ; Chủ tịch Ủy ban nhân dân các huyện, thành phố",
    "Căn cứ Nghị định số 30/2020/NĐ-CP của Chính phủ về công tác văn thư",
    "Thông báo kết luận của Phó Chủ tịch thường trực về dự án đầu tư xây dựng trường học",
    "Tờ trình đề nghị phê duyệt kế hoạch chuyển đổi số năm 2024 của Sở Thông tin và Truyền thông",
    "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội quý I",
    "Giấy mời họp Ban chỉ đạo phòng chống thiên tai và tìm kiếm cứu nạn",
    "Hướng dẫn lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ quan",
    "Nơi nhận: Như trên; Lưu: VT, VP. KT. GIÁM ĐỐC, PHÓ GIÁM ĐỐC",
    "Người ký: Nguyễn Thị Mỹ Hạnh; Trưởng phòng Hành chính - Tổng hợp",
    "Đắk Lắk, Đà Nẵng, Bà Rịa - Vũng Tàu, Thừa Thiên Huế, Cà Mau, Rạch Giá",
    "khuyến khích, nghiêng ngả, khuỷu tay, ngoằn ngoèo, quyển sổ, ruộng vườn, bưởi, rượu, hươu",
    "Về việc “triển khai” thí điểm – năm 2024… (kèm theo 02 phụ lục)",
    "đ Đ ơ Ơ ư Ư ă Ă â Â ê Ê ô Ô",
]
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
EVERY_LETTER = [nfc(v + t) for v in VOWELS for t in TONES] + ["đ"]
EVERY_LETTER_TEXT = " ".join(EVERY_LETTER)
UPPER_PHRASES = [p.upper() for p in PHRASES] + [EVERY_LETTER_TEXT.upper()]


def toned_capital(text: str) -> bool:
    return any(c.isupper() and unicodedata.normalize("NFD", c)[1:2] in TONES[1:] for c in nfc(text))


# TCVN3 (VN3) has no capital with a tone mark: its corpus is what a .VnTime document could hold.
TCVN3_PHRASES = [p for p in PHRASES if not toned_capital(p)] + [EVERY_LETTER_TEXT, "ĐĂÂÊÔƠƯ QUY CHE"]


# --- the tables against the published charts -----------------------------------------------------

# (as the bytes show in a Latin-1 reader, the way they are seen in legacy documents) -> Unicode
TCVN3_SEEN = {
    "Céng hßa x· héi chñ nghÜa ViÖt Nam": "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "§éc lËp - Tù do - H¹nh phóc": "Độc lập - Tự do - Hạnh phúc",
    "Uû ban nh©n d©n": "Uỷ ban nhân dân",
    "Së Khoa häc vµ C«ng nghÖ": "Sở Khoa học và Công nghệ",
    "QuyÕt ®Þnh": "Quyết định",
    "C«ng v¨n": "Công văn",
    "Tr\xadêng Ng\xadêi Nhµ n\xadíc": "Trường Người Nhà nước",
    "KÝnh göi: Gi¸m ®èc": "Kính gửi: Giám đốc",
    "tØnh, huyÖn, x·": "tỉnh, huyện, xã",
    "¡ ¢ £ ¤ ¥ ¦ § ¨ © ª « ¬ \xad ®": "Ă Â Ê Ô Ơ Ư Đ ă â ê ô ơ ư đ",
}
VNI_SEEN = {
    "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam": "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Ñoäc laäp - Töï do - Haïnh phuùc": "Độc lập - Tự do - Hạnh phúc",
    "ÑOÄC LAÄP - TÖÏ DO - HAÏNH PHUÙC": "ĐỘC LẬP - TỰ DO - HẠNH PHÚC",
    "UÛy ban nhaân daân": "Ủy ban nhân dân",
    "Sôû Khoa hoïc vaø Coâng ngheä": "Sở Khoa học và Công nghệ",
    "Quyeát ñònh": "Quyết định",
    "Coâng vaên": "Công văn",
    "Tröôøng Ngöôøi Nhaø nöôùc": "Trường Người Nhà nước",
    "baèng, baét ñaàu, khaúng ñònh, Ñaø Naüng, naëng": "bằng, bắt đầu, khẳng định, Đà Nẵng, nặng",
    "chuaån bò, höôùng daãn, tænh, quyõ, Myõ, Hoà Chí Minh": "chuẩn bị, hướng dẫn, tỉnh, quỹ, Mỹ, Hồ Chí Minh",
}


@pytest.mark.parametrize(("seen", "text"), list(TCVN3_SEEN.items()))
def test_tcvn3_bytes_from_the_chart(seen, text):
    raw = seen.encode("latin-1")
    assert to_unicode(raw, "tcvn3") == (text, "tcvn3")
    assert from_unicode(text, "tcvn3") == raw


@pytest.mark.parametrize(("seen", "text"), list(VNI_SEEN.items()))
def test_vni_bytes_from_the_chart(seen, text):
    raw = seen.encode("latin-1")
    assert to_unicode(raw, "vni") == (text, "vni")
    assert from_unicode(text, "vni") == raw


def test_tcvn3_single_letters_from_the_chart():
    # A few positions of the TCVN 5712:1993 chart, byte by byte.
    chart = {0xA7: "Đ", 0xAE: "đ", 0xB5: "à", 0xB8: "á", 0xB9: "ạ", 0xBE: "ắ", 0xC6: "ặ", 0xCA: "ấ", 0xCB: "ậ",
             0xD5: "ế", 0xD6: "ệ", 0xDC: "ĩ", 0xDE: "ị", 0xE9: "ộ", 0xEB: "ở", 0xEE: "ợ", 0xF1: "ủ", 0xF9: "ự",
             0xFD: "ý", 0xFE: "ỵ"}
    for byte, letter in chart.items():
        assert to_unicode(bytes([byte]), "tcvn3")[0] == letter, hex(byte)


CHARMAP = Path("/usr/share/i18n/charmaps/TCVN5712-1.gz")


@pytest.mark.skipif(not CHARMAP.exists(), reason="glibc's TCVN5712-1 charmap is not installed")
def test_tcvn3_letters_agree_with_glibc_tcvn5712_charmap():
    """An independent copy of the standard: every letter position of 0xA1-0xFF matches glibc's table."""
    line = re.compile(r"^<U([0-9A-F]{4})>\s+/x([0-9a-f]{2})\s")
    glibc = {}
    for text in gzip.open(CHARMAP, "rt", encoding="ascii", errors="replace"):
        m = line.match(text)
        if m:
            glibc[int(m.group(2), 16)] = chr(int(m.group(1), 16))
    checked = 0
    for byte in range(0xA1, 0x100):
        ours = to_unicode(bytes([byte]), "tcvn3")[0]
        assert nfc(ours) == nfc(glibc[byte]), hex(byte)
        checked += 1
    assert checked == 95


# --- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", PHRASES + [EVERY_LETTER_TEXT] + UPPER_PHRASES)
def test_vni_round_trip(text):
    raw = from_unicode(text, "vni")
    assert to_unicode(raw, "vni") == (nfc(text), "vni")
    assert to_unicode(raw) == (nfc(text), "vni")  # and detected


def test_tcvn3_corpus_is_broad():
    assert len(TCVN3_PHRASES) >= 16
    assert set(EVERY_LETTER) <= set("".join(TCVN3_PHRASES))


@pytest.mark.parametrize("text", TCVN3_PHRASES)
def test_tcvn3_round_trip(text):
    raw = from_unicode(text, "tcvn3")
    assert to_unicode(raw, "tcvn3") == (nfc(text), "tcvn3")
    assert to_unicode(raw) == (nfc(text), "tcvn3")  # and detected


@pytest.mark.parametrize("text", PHRASES + [EVERY_LETTER_TEXT] + UPPER_PHRASES)
def test_cp1258_round_trip_and_detection(text):
    raw = from_unicode(text, "cp1258")
    assert to_unicode(raw, "cp1258") == (nfc(text), "cp1258")
    assert to_unicode(raw) == (nfc(text), "cp1258")


def test_cp1258_known_bytes():
    # ô (0xF4) then the combining dot below (0xF2); ư (0xFD); the grave 0xCC.
    assert to_unicode(b"C\xf4\xf2ng ho\xcca", "cp1258") == ("Cộng hòa", "cp1258")
    assert to_unicode(b"Tr\xfd\xf5\xccng", "cp1258") == ("Trường", "cp1258")


def test_tcvn3_capitals_with_a_tone_are_not_in_vn3():
    """VN3 has Đ Ă Â Ê Ô Ơ Ư but no toned capital: the encoder refuses, naming the position."""
    upper_plain = "ĐĂÂÊÔƠƯ QUYET DINH"
    assert to_unicode(from_unicode(upper_plain, "tcvn3"), "tcvn3")[0] == upper_plain
    with pytest.raises(LegacyTextError) as err:
        from_unicode("CỘNG HÒA", "tcvn3")
    assert err.value.offset == 1
    # What a .VnTimeH heading holds: the lower-case codes (the font drew them as capitals).
    assert to_unicode("CéNG HßA".encode("latin-1"), "tcvn3")[0] == "CộNG HòA"


def test_every_letter_has_its_own_code():
    for name in ("tcvn3", "vni"):
        letters = EVERY_LETTER + ([c.upper() for c in EVERY_LETTER] if name == "vni" else [])
        codes = [from_unicode(c, name) for c in letters]
        assert len(set(codes)) == len(codes), name


# --- utf-8, utf-16, NFD --------------------------------------------------------------------------------


def test_utf8_with_and_without_bom_and_utf16_and_nfd():
    text = PHRASES[0]
    assert to_unicode(text.encode("utf-8")) == (text, "utf-8")
    assert to_unicode(codecs.BOM_UTF8 + text.encode("utf-8")) == (text, "utf-8-sig")
    assert to_unicode(text.encode("utf-16")) == (text, "utf-16")
    assert to_unicode(text.encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""])) == (text, "utf-16")
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    decoded, enc = to_unicode(nfd.encode("utf-8"))
    assert (decoded, enc) == (text, "utf-8")
    assert "NFC" in explain(nfd.encode("utf-8"))[1]
    assert to_unicode(nfd) == (text, "unicode")


# --- detection -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258"])
def test_detection_on_a_document(encoding):
    raw = from_unicode("\n".join(TCVN3_PHRASES), encoding)
    assert detect(raw) == encoding
    assert encoding in explain(raw)[1]


def test_explicit_encoding_always_wins():
    raw = from_unicode("Cộng hòa xã hội chủ nghĩa Việt Nam", "tcvn3")
    assert detect(raw) == "tcvn3"
    text, used = to_unicode(raw, "cp1258")
    assert used == "cp1258" and text == nfc(raw.decode("cp1258"))
    assert to_unicode(b"plain", "VNI") == ("plain", "vni")  # names are case-insensitive
    assert to_unicode(b"plain", "windows-1258")[1] == "cp1258"
    assert to_unicode(bytearray(raw), "TCVN3_ABC") == ("Cộng hòa xã hội chủ nghĩa Việt Nam", "tcvn3")


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("reader", ["latin-1", "cp1252"])
def test_str_already_mis_decoded_by_excel(encoding, reader):
    text = "\n".join(TCVN3_PHRASES)
    garbled = from_unicode(text, encoding).decode(reader)
    assert to_unicode(garbled, encoding) == (text, encoding)
    assert to_unicode(garbled) == (text, encoding)  # and detected


def test_a_proper_unicode_str_is_kept():
    assert to_unicode("Quyết định") == ("Quyết định", "unicode")
    assert to_unicode("Cong van") == ("Cong van", "unicode")


def test_syllable_check():
    for word in ["nghiêng", "khuỷu", "quyết", "giữa", "gì", "Trường", "ngoằn", "Đắc", "hươu", "uỷ", "ủy", "tỉnh"]:
        assert is_syllable(word), word
    for word in ["ViÖt", "hßa", "Coäng", "cát̀", "nghx", "bcd", "ốc̣", "áp̀"]:
        assert not is_syllable(word), word
    assert not is_syllable("cảt")  # a stop final takes only sắc or nặng
    assert not is_syllable("bât")  # ... and never no tone


# --- errors ---------------------------------------------------------------------------------------------


def test_unknown_encoding_is_a_value_error_in_vietnamese():
    with pytest.raises(ValueError, match="không được hỗ trợ") as err:
        to_unicode(b"abc", "koi8-r")
    assert isinstance(err.value, InvalidInput)
    assert err.value.code == "LEGACY_ENCODING_UNKNOWN"
    with pytest.raises(ValueError):
        from_unicode("abc", "vps")


@pytest.mark.parametrize(
    ("raw", "encoding", "offset"),
    [
        (b"Quy\x81", "tcvn3", 3),  # 0x81: no character in TCVN3 (nor Windows-1252)
        (b"ab\xf8c", "vni", 2),  # a tone byte after a consonant
        (b"ok \xe7", "vni", 3),  # a byte VNI does not use
        ("Vi\xe1\xbb\x87t".encode("latin-1")[:4] + b"\xff", "utf-8", 2),
        (b"ab\x8a", "cp1258", 2),  # 0x8A is undefined in Windows-1258
    ],
)
def test_undecodable_bytes_name_their_offset(raw, encoding, offset):
    with pytest.raises(LegacyTextError) as err:
        to_unicode(raw, encoding)
    assert err.value.offset == offset
    assert f"vị trí {offset}" in err.value.message
    assert err.value.code == "LEGACY_TEXT_UNDECODABLE"


def test_utf16_needs_its_bom():
    with pytest.raises(LegacyTextError, match="BOM"):
        to_unicode("Việt".encode("utf-16-le"), "utf-16")


def test_str_with_real_unicode_cannot_be_legacy():
    with pytest.raises(LegacyTextError) as err:
        to_unicode("Quyết định", "tcvn3")
    assert err.value.offset == 3


# --- streams ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258", "utf-8", "utf-8-sig", "utf-16"])
def test_read_lines_streams_a_file_in_small_blocks(encoding):
    text = "".join(f"{i};{p}\r\n" for i, p in enumerate(TCVN3_PHRASES * 3))
    raw = text.encode(encoding) if encoding.startswith("utf") else from_unicode(text, encoding)
    stream = io.BytesIO(raw)
    name, lines = read_lines(stream, sample=7)  # blocks end inside letters, VNI pairs and UTF-16 units
    assert name == encoding
    got = list(lines)
    assert got == text.splitlines(keepends=True)
    # detection with a sample that holds whole lines
    name, lines = read_lines(io.BytesIO(raw), sample=200)
    assert name == encoding and "".join(lines) == text


def test_read_lines_names_the_offset_in_the_whole_file():
    good = from_unicode("Quyết định\n" * 50, "tcvn3")
    name, lines = read_lines(io.BytesIO(good + b"Quy\x81t\n"), "tcvn3", sample=16)
    with pytest.raises(LegacyTextError) as err:
        list(lines)
    assert err.value.offset == len(good) + 3
    assert f"vị trí {len(good) + 3}" in err.value.message


def test_utf8_cut_inside_a_letter_is_still_utf8():
    raw = "Quyết định Việt".encode()
    cut = len("Quyết định Vi".encode())
    assert detect(raw[: cut + 2]) == "utf-8"  # the sample ends inside "ệ"
    with pytest.raises(LegacyTextError) as err:
        to_unicode(raw[: cut + 2])
    assert err.value.offset == cut
    # but a TCVN3 "Phó" (one high byte at the end of ASCII) is not taken for cut UTF-8
    assert to_unicode(from_unicode("Phó", "tcvn3")) == ("Phó", "tcvn3")


def test_utf8_read_as_windows_1252_is_repaired():
    text = "Cộng hòa xã hội chủ nghĩa Việt Nam; Sở Khoa học và Công nghệ"
    for garbled in (text.encode("utf-8").decode("latin-1"), windows_1252(text.encode("utf-8"))):
        assert to_unicode(garbled) == (text, "utf-8")
        assert to_unicode(garbled, "utf-8") == (text, "utf-8")
    assert "™" in windows_1252(text.encode("utf-8"))  # "ộ" is E1 BB 99: 0x99 reads as ™


def windows_1252(raw: bytes) -> str:
    """What Windows (Excel) shows: Windows-1252, its five undefined bytes kept as U+0081... ."""
    out = []
    for b in raw:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def test_a_decoded_str_with_a_unicode_or_windows_1258_encoding_is_kept():
    # already text: NFC, whatever the mapping file says for a Unicode-capable encoding
    assert to_unicode("Cà phê Việt", "utf-8") == ("Cà phê Việt", "utf-8")
    python_cp1258 = b"C\xf4\xf2ng ho\xcca".decode("cp1258")  # Python leaves the tones combining
    assert python_cp1258 != "Cộng hòa"
    assert to_unicode(python_cp1258, "cp1258") == ("Cộng hòa", "cp1258")

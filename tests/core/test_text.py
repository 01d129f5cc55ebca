"""core.text.fold folds each character through a table; it must give what decomposing the whole
string gives (fold_by_decomposing), for every character and for mixed NFC/NFD Vietnamese."""

from __future__ import annotations

import random
import unicodedata

from vpdt.core.text import fold, fold_by_decomposing, unstorable

VIET = "Đđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"


def test_every_character_folds_as_decomposing_it():
    wrong = [hex(c) for c in range(0x110000) if fold(chr(c)) != fold_by_decomposing(chr(c))]
    assert wrong == []


def test_strings_fold_as_decomposing_them():
    rnd = random.Random(15)
    alphabet = (VIET + VIET.upper() + "abcXYZ09 \t\n\u00a0\u2003-/."
                "\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b\u0340İſﬁΣςй\u1100\uac00\u0f73\U0001d15e")
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))
        for form in (text, unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text)):
            assert fold(form) == fold_by_decomposing(form), repr(form)
    assert fold("  Quyết   định  ĐIỆN tử ") == "quyet dinh dien tu"
    assert fold(None) == fold("") == ""


def test_unstorable():
    assert unstorable("a\x00b") and unstorable("x\ud800") and unstorable("\udfff")
    assert not unstorable("Đồng Nai") and not unstorable("") and not unstorable("\U0001f600")

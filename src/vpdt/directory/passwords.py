"""The password policy, with its messages in Vietnamese (settings.AUTH_PASSWORD_VALIDATORS).

At least 12 characters, or a phrase of at least 4 words (easier to remember than a short
jumble, and longer); not a common password: Django's list of 20,000 plus a Vietnamese list
(`data/common-passwords-vi.txt`), compared without case, accents or spaces, and with the
digits and signs people add at the end taken off (matkhau123, anhyeuem@2024).
"""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from pathlib import Path

from django.conf import settings
from django.contrib.auth import password_validation as django_validation
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

VI_LIST = Path(__file__).resolve().parent / "data" / "common-passwords-vi.txt"
WORD = re.compile(r"[^\W\d_]{2,}|\d{2,}", re.UNICODE)


def _fold(text: str) -> str:
    """Lowercase, no accents (đ → d), letters and digits only."""
    text = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(django_validation.CommonPasswordValidator().DEFAULT_PASSWORD_LIST_PATH, "rt", encoding="utf-8") as f:
        words = {_fold(line.strip()) for line in f if line.strip()}
    for line in VI_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(_fold(line.strip()))
    words.discard("")
    return frozenset(words)


class LengthOrPassphraseValidator:
    def __init__(self, min_length: int = 12, min_words: int = 4):
        self.min_length, self.min_words = min_length, min_words

    def validate(self, password, user=None):
        if len(password) >= self.min_length or len(WORD.findall(password)) >= self.min_words:
            return
        raise ValidationError(self.get_error_message(), code="password_too_short",
                              params={"min_length": self.min_length, "min_words": self.min_words})

    def get_error_message(self):
        return _("Mật khẩu quá ngắn: cần ít nhất %(min_length)d ký tự, hoặc một câu gồm ít nhất "
                 "%(min_words)d từ (ví dụ: “mùa thu lá vàng rơi”).") % {
            "min_length": self.min_length, "min_words": self.min_words}

    def get_help_text(self):
        return _("Ít nhất %(min_length)d ký tự, hoặc một câu gồm ít nhất %(min_words)d từ.") % {
            "min_length": self.min_length, "min_words": self.min_words}


class CommonPasswordValidator:
    def validate(self, password, user=None):
        folded = _fold(password)
        common = common_passwords()
        stem = re.sub(r"\d+$", "", folded)
        if folded in common or (len(stem) >= 4 and stem in common):
            raise ValidationError(self.get_error_message(), code="password_too_common")

    def get_error_message(self):
        return _("Mật khẩu này quá phổ biến, dễ bị đoán ra. Hãy chọn mật khẩu khác.")

    def get_help_text(self):
        return _("Không dùng mật khẩu phổ biến (như matkhau123, 12345678).")


class UserAttributeSimilarityValidator(django_validation.UserAttributeSimilarityValidator):
    DEFAULT_USER_ATTRIBUTES = ("username", "full_name", "first_name", "last_name", "email")

    def get_error_message(self):
        return _("Mật khẩu quá giống thông tin cá nhân (%(verbose_name)s).")

    def get_help_text(self):
        return _("Mật khẩu không được giống tên đăng nhập, họ tên hay thư điện tử.")


class NumericPasswordValidator(django_validation.NumericPasswordValidator):
    def get_error_message(self):
        return _("Mật khẩu không được chỉ gồm chữ số.")

    def get_help_text(self):
        return _("Mật khẩu không được chỉ gồm chữ số.")


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's first configuration (Password Storage Cheat Sheet): 19 MiB of
    memory, 2 passes, 1 lane; settings.VPDT_ARGON2 changes them.

    Django's own parameters (100 MiB, 2 passes, 8 lanes) cost 240–340 ms of CPU per login on a
    2-core server and take both cores for the time of each: a morning's wave of logins then
    stalls every other request (docs/BENCHMARKS.md, "People at once"). OWASP's configurations
    are of equal strength against a GPU attacker; Keycloak's default is one of them (7 MiB, 5
    passes). The algorithm name stays "argon2": hashes made with other parameters still check,
    and Django re-hashes them with these at the person's next login (`must_update`)."""

    def __init__(self):
        params = settings.VPDT_ARGON2
        self.time_cost = params["time_cost"]
        self.memory_cost = params["memory_cost"]
        self.parallelism = params["parallelism"]

"""The password policy (Vietnamese messages), Argon2 with old hashes upgraded at login, the
password change and reset pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError

from tests import factories
from vpdt.directory.models import User
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "Secret#12345"


def refusals(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("password", ["password", "12345678", "matkhau123", "anhyeuem2024!", "Matkhau@123456"])
def test_common_and_vietnamese_common_passwords_are_refused_in_vietnamese(password):
    messages = refusals(password)
    assert messages, password
    assert any("quá phổ biến" in m or "quá ngắn" in m or "chỉ gồm chữ số" in m for m in messages), messages
    assert not any(re.search(r"\b(password|characters|common|too)\b", m) for m in messages), messages


def test_the_messages_name_the_rule():
    assert "Mật khẩu này quá phổ biến, dễ bị đoán ra. Hãy chọn mật khẩu khác." in refusals("matkhau123")
    short = refusals("Xk9#pq")
    assert any("ít nhất 12 ký tự" in m and "ít nhất 4 từ" in m for m in short), short


def test_twelve_characters_or_a_four_word_phrase_is_accepted():
    assert refusals("Tr@m-Nam-Tr0ng-Coi") == []
    assert refusals("v7Kq2#LmZp9x") == []  # 12 characters
    assert refusals("mùa thu lá vàng") == []  # a phrase of four words, shorter than 12 would not matter
    assert refusals("Ab1#Ab1#Ab1") != []  # 11 characters, one word


def test_a_password_like_the_persons_name_is_refused(db):
    agency = factories.agency()
    person = factories.person(agency, Role.SPECIALIST, username="nguyenthanhbinh")
    person.full_name = "Nguyễn Thanh Bình"
    assert any("quá giống thông tin cá nhân" in m for m in refusals("nguyenthanhbinh1", person))


def test_argon2_is_the_hasher_and_an_old_pbkdf2_hash_is_upgraded_at_login(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    agency = factories.agency()
    person = factories.person(agency, Role.SPECIALIST, username="cu")
    User.objects.filter(pk=person.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert User.objects.get(pk=person.pk).password.startswith("pbkdf2_sha256$")
    response = client.post("/dang-nhap/", {"username": "cu", "password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).password.startswith("argon2$argon2id$")
    # The upgrade is not a password change: the session just opened stays signed in.
    assert client.get("/tai-khoan/").status_code == 200


def test_argon2id_has_owasps_parameters_and_a_hash_with_djangos_is_redone_at_login(client, settings):
    """19 MiB, 2 passes, 1 lane (settings.VPDT_ARGON2); a hash made with Django's parameters
    (100 MiB, 8 lanes) still signs in and is re-hashed with these."""
    from argon2 import extract_parameters
    from django.contrib.auth.hashers import Argon2PasswordHasher

    settings.PASSWORD_HASHERS = ["vpdt.directory.passwords.Argon2idHasher"]
    person = factories.person(factories.agency(), Role.SPECIALIST, username="argon")
    django_default = Argon2PasswordHasher()
    User.objects.filter(pk=person.pk).update(password=django_default.encode(PASSWORD, django_default.salt()))
    before = extract_parameters(User.objects.get(pk=person.pk).password.removeprefix("argon2"))
    assert (before.memory_cost, before.parallelism) == (102400, 8)
    assert client.post("/dang-nhap/", {"username": "argon", "password": "sai mat khau 123"}).status_code == 200
    assert client.post("/dang-nhap/", {"username": "argon", "password": PASSWORD}).status_code == 302
    stored = User.objects.get(pk=person.pk).password
    assert stored.startswith("argon2$argon2id$")
    after = extract_parameters(stored.removeprefix("argon2"))
    assert (after.memory_cost, after.time_cost, after.parallelism, after.type.name) == (19456, 2, 1, "ID")
    assert client.get("/tai-khoan/").status_code == 200


def test_the_demo_password_still_signs_in(client, settings):
    """Demo accounts are created with their hash directly; the policy applies to changes only."""
    from vpdt.demo.province import PASSWORD as DEMO

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    person = factories.person(factories.agency(), Role.CLERK, username="demo.vanthu")
    User.objects.filter(pk=person.pk).update(password=make_password(DEMO))
    assert client.post("/dang-nhap/", {"username": "demo.vanthu", "password": DEMO}).status_code == 302


def test_changing_the_password_on_the_page_keeps_this_session(client):
    person = factories.person(factories.agency(), Role.SPECIALIST, username="doimk")
    client.force_login(person)
    refused = client.post("/tai-khoan/doi-mat-khau/", {"old_password": PASSWORD, "new_password1": "matkhau123",
                                                      "new_password2": "matkhau123"})
    assert refused.status_code == 200
    assert "Mật khẩu này quá phổ biến" in refused.content.decode()
    wrong = client.post("/tai-khoan/doi-mat-khau/", {"old_password": "khong-dung", "new_password1": "x",
                                                    "new_password2": "x"})
    assert "Mật khẩu hiện tại không đúng." in wrong.content.decode()
    done = client.post("/tai-khoan/doi-mat-khau/", {"old_password": PASSWORD, "new_password1": "sông Hồng đỏ nặng phù sa",
                                                   "new_password2": "sông Hồng đỏ nặng phù sa"}, follow=True)
    assert "Đã đổi mật khẩu" in done.content.decode()
    assert client.get("/tai-khoan/").status_code == 200  # still signed in here
    person.refresh_from_db()
    assert person.check_password("sông Hồng đỏ nặng phù sa")


def test_a_forgotten_password_is_reset_by_an_emailed_link(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = factories.person(factories.agency(), Role.SPECIALIST, username="quenmk")
    person.email = "quenmk@example.vn"
    person.save(update_fields=["email"])
    page = client.get("/dang-nhap/")
    assert "/quen-mat-khau/" in page.content.decode()
    sent = client.post("/quen-mat-khau/", {"email": "quenmk@example.vn"}, follow=True)
    assert "Đã gửi thư" in sent.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Đặt lại mật khẩu văn phòng điện tử"
    assert "Xin chào" in message.body
    link = re.search(r"https?://[^/]+(/dat-lai-mat-khau/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in form.content.decode()
    url = form.redirect_chain[-1][0]
    weak = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert "quá phổ biến" in weak.content.decode()
    done = client.post(url, {"new_password1": "Hà Nội mùa thu vàng", "new_password2": "Hà Nội mùa thu vàng"},
                       follow=True)
    assert "Đã đặt mật khẩu mới" in done.content.decode()
    assert client.post("/dang-nhap/", {"username": "quenmk", "password": "Hà Nội mùa thu vàng"}).status_code == 302
    # The link is used up.
    assert "không còn dùng được" in client.get(link, follow=True).content.decode()

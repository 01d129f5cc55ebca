"""Sessions: idle timeout and absolute length, the person's list of sessions with their end,
the timer's endpoints, and Secure cookies with HSTS behind HTTPS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from tests import factories
from vpdt.directory import accounts
from vpdt.directory.models import UserSession
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "Secret#12345"


@pytest.fixture
def person():
    return factories.person(factories.agency(), Role.SPECIALIST, username="chuyenvien")


def signed_in(username="chuyenvien", address="192.0.2.5", agent="Firefox thử") -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    assert client.post("/dang-nhap/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def age(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_idle_timeout_sends_the_next_request_to_the_login_and_back(person, settings):
    settings.VPDT_SESSION_IDLE_SECONDS = 5
    client = signed_in()
    assert client.get("/tai-khoan/").status_code == 200
    age(client, accounts.SESSION_SEEN, 6)
    response = client.get("/tai-khoan/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/dang-nhap/?next=/tai-khoan/%3Ftab%3D1"
    login_page = client.get(response["Location"])
    assert "lâu không hoạt động" in login_page.content.decode()
    assert "_auth_user_id" not in client.session
    assert not UserSession.objects.filter(user=person).exists()


def test_activity_keeps_the_session_but_the_pages_own_polling_does_not(person, settings):
    settings.VPDT_SESSION_IDLE_SECONDS = 50
    client = signed_in()
    age(client, accounts.SESSION_SEEN, 40)
    client.get("/phien/con-lai/", HTTP_X_VPDT_BACKGROUND="1")  # the timer asking: not activity
    assert time.time() - client.session[accounts.SESSION_SEEN] > 39
    remaining = client.get("/phien/con-lai/", HTTP_X_VPDT_BACKGROUND="1").json()["remaining"]
    assert 5 <= remaining <= 10
    assert client.get("/tai-khoan/").status_code == 200  # a page the person opens: activity
    assert time.time() - client.session[accounts.SESSION_SEEN] < 5
    age(client, accounts.SESSION_SEEN, 45)
    kept = client.post("/phien/giu/").json()  # "Tiếp tục làm việc"
    assert kept["remaining"] >= 49 and kept["idle"] == 50


def test_the_bell_refresh_after_expiry_sends_the_whole_page_to_the_login(person, settings):
    settings.VPDT_SESSION_IDLE_SECONDS = 5
    client = signed_in()
    age(client, accounts.SESSION_SEEN, 6)
    response = client.get("/phien/con-lai/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/van-ban-den/")
    assert response["HX-Redirect"] == "/dang-nhap/?next=/van-ban-den/"


def test_the_absolute_length_ends_even_an_active_session(person, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client = signed_in()
    age(client, accounts.SESSION_LOGIN_AT, 3601)
    assert client.get("/tai-khoan/").status_code == 302


def test_the_page_carries_the_timer_without_inline_script(person, settings):
    settings.VPDT_SESSION_IDLE_SECONDS = 1800
    page = signed_in().get("/tai-khoan/").content.decode()
    assert 'id="session-timer"' in page and 'data-idle="1800"' in page
    assert "web/session.js" in page
    assert "<script>" not in page.replace(" ", "")


def test_the_person_sees_their_sessions_and_ends_another(person):
    laptop = signed_in(address="192.0.2.5", agent="Firefox ở cơ quan")
    phone = signed_in(address="198.51.100.9", agent="Điện thoại Android")
    page = laptop.get("/tai-khoan/").content.decode()
    assert "Phiên đăng nhập và khóa API" in page
    assert "Firefox ở cơ quan" in page and "Điện thoại Android" in page and "198.51.100.9" in page
    other = UserSession.objects.get(user=person, user_agent="Điện thoại Android")
    laptop.post("/tai-khoan/", {"action": "end_session", "pk": other.pk})
    assert phone.get("/tai-khoan/").status_code == 302  # signed out
    assert laptop.get("/tai-khoan/").status_code == 200


def test_someone_elses_session_cannot_be_ended_from_ones_page(person):
    other = factories.person(person.agency, Role.SPECIALIST, username="nguoikhac")
    theirs = signed_in("nguoikhac")
    mine = signed_in()
    row = UserSession.objects.get(user=other)
    mine.post("/tai-khoan/", {"action": "end_session", "pk": row.pk})
    assert theirs.get("/tai-khoan/").status_code == 200


def test_a_password_change_ends_the_other_sessions(person):
    laptop = signed_in(agent="Firefox")
    phone = signed_in(agent="Android")
    laptop.post("/tai-khoan/doi-mat-khau/", {"old_password": PASSWORD, "new_password1": "trăng rằm tháng tám",
                                            "new_password2": "trăng rằm tháng tám"})
    assert phone.get("/tai-khoan/").status_code == 302
    assert laptop.get("/tai-khoan/").status_code == 200
    assert list(UserSession.objects.filter(user=person).values_list("user_agent", flat=True)) == ["Firefox"]


HTTPS_KEYS = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
              "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SECURE_PROXY_SSL_HEADER"]


def settings_with(env: dict) -> dict:
    """vpdt.settings as a fresh process with these variables reads them."""
    script = (f"import json, os; os.environ.update({env!r}); from vpdt import settings as s; "
              f"print(json.dumps({{k: getattr(s, k, None) for k in {HTTPS_KEYS!r}}}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if not k.startswith("VPDT_")})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_https_flag_turns_on_secure_cookies_hsts_and_the_redirect(tmp_path):
    on = settings_with({"VPDT_HTTPS": "1", "VPDT_DATA_DIR": str(tmp_path)})
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"] and on["SECURE_SSL_REDIRECT"]
    assert on["SECURE_HSTS_SECONDS"] == 31536000
    proxied = settings_with({"VPDT_PROXY_SSL_HEADER": "1", "VPDT_DATA_DIR": str(tmp_path)})
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["SESSION_COOKIE_SECURE"] and proxied["SECURE_HSTS_SECONDS"]
    off = settings_with({"VPDT_DATA_DIR": str(tmp_path)})
    assert not off["SESSION_COOKIE_SECURE"] and not off["SECURE_SSL_REDIRECT"] and off["SECURE_HSTS_SECONDS"] == 0
    assert off["SESSION_COOKIE_HTTPONLY"] and off["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_with_those_settings_the_answers_carry_them(person, settings, tmp_path):
    for key, value in settings_with({"VPDT_HTTPS": "1", "VPDT_DATA_DIR": str(tmp_path)}).items():
        setattr(settings, key, tuple(value) if isinstance(value, list) else value)
    client = Client()
    plain = client.get("/dang-nhap/")
    assert (plain.status_code, plain["Location"]) == (301, "https://testserver/dang-nhap/")
    page = client.get("/dang-nhap/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000"
    done = client.post("/dang-nhap/", {"username": "chuyenvien", "password": PASSWORD}, secure=True)
    assert done.status_code == 302
    cookie = done.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert page.cookies["csrftoken"]["secure"]


def test_without_the_flag_cookies_stay_usable_over_plain_http(person):
    client = Client()
    done = client.post("/dang-nhap/", {"username": "chuyenvien", "password": PASSWORD})
    cookie = done.cookies["sessionid"]
    assert not cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "Strict-Transport-Security" not in done

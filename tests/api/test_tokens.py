"""The API's ways in: the same lockout as the pages, tokens that can be revoked and that end
with a password change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from vpdt.directory.models import ApiToken
from vpdt.directory.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

PASSWORD = "Secret#12345"
OFFICE = "203.0.113.7"


@pytest.fixture
def people():
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN")
    admin = factories.person(agency, Role.AGENCY_ADMIN, username="quantri")
    return {"clerk": factories.clerk(agency, username="vanthu"),
            "colleague": factories.person(agency, Role.SPECIALIST, username="chuyenvien"), "admin": admin}


def ask_token(username, password, address=OFFICE):
    return Client(REMOTE_ADDR=address).post("/api/auth/token", {"username": username, "password": password},
                                            content_type="application/json")


def documents(token):
    return Client().get("/api/documents", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_ten_wrong_passwords_lock_the_account_not_a_colleague_behind_the_same_address(people):
    answers = [ask_token("vanthu", "sai") for _ in range(10)]
    assert [a.status_code for a in answers[:9]] == [401] * 9
    assert answers[9].status_code == 429
    refused = ask_token("vanthu", PASSWORD)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "TOO_MANY_ATTEMPTS"
    assert re.search(r"Thử lại sau 1[45] phút \(lúc \d\d/\d\d/\d{4} \d\d:\d\d\)", body["message"]), body
    assert int(refused["Retry-After"]) > 14 * 60
    assert ask_token("chuyenvien", PASSWORD).status_code == 200  # same address, another account
    # The agency admin unlocks them (on their page) and the right password works again.
    admin = Client()
    admin.force_login(people["admin"])
    admin.post("/tai-khoan/can-bo/", {"pk": people["clerk"].pk})
    assert ask_token("vanthu", PASSWORD).status_code == 200


def test_failures_on_the_page_and_on_the_api_add_up(people):
    web = Client(REMOTE_ADDR=OFFICE)
    for _ in range(5):
        web.post("/dang-nhap/", {"username": "vanthu", "password": "sai"})
    for _ in range(5):
        ask_token("vanthu", "sai")
    assert ask_token("vanthu", PASSWORD).status_code == 429
    assert web.post("/dang-nhap/", {"username": "vanthu", "password": PASSWORD}).status_code == 429


def test_a_success_forgets_the_earlier_failures(people):
    for _ in range(9):
        ask_token("vanthu", "sai")
    assert ask_token("vanthu", PASSWORD).status_code == 200
    for _ in range(9):
        ask_token("vanthu", "sai")
    assert ask_token("vanthu", PASSWORD).status_code == 200


def test_a_revoked_token_is_refused(people):
    token = ask_token("vanthu", PASSWORD).json()["token"]
    assert documents(token).status_code == 200
    page = Client()
    page.force_login(people["clerk"])
    row = ApiToken.objects.get(user=people["clerk"])
    assert row.last_used_at is not None
    assert "Khóa API" in page.get("/tai-khoan/").content.decode()
    page.post("/tai-khoan/", {"action": "revoke_token", "pk": row.pk})
    assert documents(token).status_code == 401
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_a_token_made_on_the_page_works_and_is_shown_once(people):
    page = Client()
    page.force_login(people["clerk"])
    made = page.post("/tai-khoan/", {"action": "create_token", "name": "Phần mềm kế toán", "days": "30"})
    token = re.search(r'data-testid="new-token">([^<]+)<', made.content.decode()).group(1)
    assert documents(token).status_code == 200
    row = ApiToken.objects.get(user=people["clerk"])
    assert row.name == "Phần mềm kế toán"
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    assert token not in page.get("/tai-khoan/").content.decode()
    refused = page.post("/tai-khoan/", {"action": "create_token", "name": "", "days": "400"})
    assert "Đặt tên gợi nhớ" in refused.content.decode() and "1–365" in refused.content.decode()


def test_one_cannot_revoke_someone_elses_token(people):
    token = ask_token("chuyenvien", PASSWORD).json()["token"]
    page = Client()
    page.force_login(people["clerk"])
    row = ApiToken.objects.get(user=people["colleague"])
    answer = page.post("/tai-khoan/", {"action": "revoke_token", "pk": row.pk}, follow=True)
    assert "Không được thu hồi khóa API của người khác." in answer.content.decode()
    assert documents(token).status_code == 200


def test_a_password_change_ends_every_token(people):
    first = ask_token("vanthu", PASSWORD).json()["token"]
    second = ask_token("vanthu", PASSWORD).json()["token"]
    colleague = ask_token("chuyenvien", PASSWORD).json()["token"]
    person = people["clerk"]
    person.set_password("một mật khẩu mới đủ dài")
    person.save()
    assert documents(first).status_code == 401
    assert documents(second).status_code == 401
    assert documents(colleague).status_code == 200
    new = ask_token("vanthu", "một mật khẩu mới đủ dài").json()["token"]
    assert documents(new).status_code == 200


def test_an_expired_token_is_refused(people):
    token = ask_token("vanthu", PASSWORD).json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert documents(token).status_code == 401


def test_the_second_factor_holds_for_the_api_as_for_the_pages(people, settings):
    """A person who must have a second factor gets no token by password alone."""
    from tests.second_factor import code_now, device_of

    settings.VPDT_MFA_REQUIRED_FOR = "admins,signers"
    admin = people["admin"]
    admin.set_password(PASSWORD)
    admin.save()
    r = ask_token("quantri", PASSWORD)
    assert r.status_code == 403 and r.json()["code"] == "MFA_NOT_ENROLLED"
    assert "xác thực hai bước" in r.json()["message"]
    device = device_of(admin)
    r = ask_token("quantri", PASSWORD)
    assert r.status_code == 401 and r.json()["code"] == "OTP_REQUIRED"
    wrong = f"{(int(code_now(device)) + 1) % 1000000:06d}"
    r = Client(REMOTE_ADDR=OFFICE).post("/api/auth/token", {"username": "quantri", "password": PASSWORD,
                                                            "otp": wrong}, content_type="application/json")
    assert r.status_code == 401 and r.json()["code"] == "OTP_INVALID"
    assert not ApiToken.objects.filter(user=admin).exists()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    r = Client(REMOTE_ADDR=OFFICE).post("/api/auth/token", {"username": "quantri", "password": PASSWORD,
                                                            "otp": code_now(device)}, content_type="application/json")
    assert r.status_code == 200 and documents(r.json()["token"]).status_code == 200
    # A person the policy leaves free and who has no device still uses the password alone.
    clerk = people["clerk"]
    clerk.set_password(PASSWORD)
    clerk.save()
    assert ask_token("vanthu", PASSWORD).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["vanthu\x00", "van\ud800thu"])
def test_a_name_no_database_keeps_is_refused_before_the_lockout_records_it(client, username):
    """A NUL or a lone surrogate in the name: 401 as any wrong name, nothing recorded (on
    PostgreSQL the lockout's record of the failed attempt used to fail with a 500)."""
    import json

    body = json.dumps({"username": username, "password": "x"}, ensure_ascii=True)
    response = client.post("/api/auth/token", body, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "INVALID_CREDENTIALS"

"""One lockout policy on every way in: the login page and /admin/ (the API's token: tests/api/test_tokens.py).

Failures count per account (and per account + address), never per address alone: a whole
office behind one NAT address must not be locked out by one person's mistakes.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.test import Client
from django.utils import timezone

from tests import factories
from vpdt.directory import accounts
from vpdt.directory.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

PASSWORD = "Secret#12345"
OFFICE = "203.0.113.7"  # one NAT address for the whole office


@pytest.fixture
def office():
    agency = factories.agency(code="000.00.13.H90", abbreviation="SKHCN")
    other = factories.agency(code="000.00.03.H90", abbreviation="STC")
    people = {
        "clerk": factories.clerk(agency, username="vanthu"),
        "colleague": factories.person(agency, Role.SPECIALIST, username="chuyenvien"),
        "admin": factories.person(agency, Role.AGENCY_ADMIN, username="quantri"),
        "stranger_admin": factories.person(other, Role.AGENCY_ADMIN, username="quantrikhac"),
    }
    for user in (people["admin"], people["stranger_admin"]):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return people


def client_at(address: str = OFFICE) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT="Mozilla/5.0 (thử nghiệm)")


def login(client: Client, username: str, password: str, url: str = "/dang-nhap/"):
    return client.post(url, {"username": username, "password": password})


def fail_ten_times(client, username, url="/dang-nhap/"):
    answers = [login(client, username, "sai-mat-khau", url) for _ in range(10)]
    assert [a.status_code for a in answers[:9]] == [200] * 9
    return answers[-1]


def test_ten_wrong_passwords_lock_the_account_not_a_colleague_at_the_same_address(office, settings):
    assert settings.VPDT_LOGIN_FAILURE_LIMIT == 10
    client = client_at()
    tenth = fail_ten_times(client, "vanthu")
    assert tenth.status_code == 429
    # The right password is refused now, with the Vietnamese message saying when to retry.
    refused = login(client, "vanthu", PASSWORD)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Tài khoản tạm khóa do đăng nhập sai nhiều lần" in text
    assert re.search(r"Thử lại sau 1[45] phút \(lúc \d\d/\d\d/\d{4} \d\d:\d\d\)", text), text
    assert int(refused["Retry-After"]) > 14 * 60
    assert "_auth_user_id" not in client.session
    # Another account, from the very same address, signs in.
    other = client_at()
    assert login(other, "chuyenvien", PASSWORD).status_code == 302
    assert int(other.session["_auth_user_id"]) == office["colleague"].pk
    # A different case of the username is the same account.
    assert login(client_at("198.51.100.2"), "VanThu", PASSWORD).status_code == 429


def test_the_agency_admin_unlocks_their_person_and_the_right_password_works(office):
    client = client_at()
    fail_ten_times(client, "vanthu")
    admin = client_at("192.0.2.10")
    admin.force_login(office["admin"])
    page = admin.get("/tai-khoan/can-bo/")
    assert page.status_code == 200
    assert "vanthu" in page.content.decode() and "khóa đến" in page.content.decode()
    # An admin of another agency can neither see nor unlock them.
    stranger = client_at("192.0.2.11")
    stranger.force_login(office["stranger_admin"])
    assert "vanthu" not in stranger.get("/tai-khoan/can-bo/").content.decode()
    stranger.post("/tai-khoan/can-bo/", {"pk": office["clerk"].pk})
    assert login(client, "vanthu", PASSWORD).status_code == 429
    # Their own agency's admin can.
    done = admin.post("/tai-khoan/can-bo/", {"pk": office["clerk"].pk}, follow=True)
    assert "Đã mở khóa đăng nhập" in done.content.decode()
    assert login(client, "vanthu", PASSWORD).status_code == 302
    from vpdt.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="auth.unlock", object_id=str(office["clerk"].pk)).exists()


def test_a_person_may_not_open_the_admins_page(office):
    client = client_at()
    client.force_login(office["colleague"])
    assert client.get("/tai-khoan/can-bo/").status_code == 403


def test_the_address_alone_never_locks(office):
    """Nine failures for each of three accounts from one address: no one is locked."""
    client = client_at()
    for username in ("vanthu", "chuyenvien", "quantri"):
        for _ in range(9):
            assert login(client, username, "sai-mat-khau").status_code == 200
    for username in ("vanthu", "chuyenvien", "quantri"):
        assert login(client_at(), username, PASSWORD).status_code == 302


def test_failures_from_several_addresses_add_up_for_the_account(office):
    for i in range(10):
        login(client_at(f"198.51.100.{i + 1}"), "vanthu", "sai-mat-khau")
    assert login(client_at("198.51.100.99"), "vanthu", PASSWORD).status_code == 429


def test_the_admin_site_login_follows_the_same_policy_and_the_admin_action_unlocks(office, settings):
    client = client_at()
    tenth = fail_ten_times(client, "quantri", url="/admin/login/")
    assert tenth.status_code == 429
    refused = login(client, "quantri", PASSWORD, url="/admin/login/")
    assert refused.status_code == 429
    assert "Thử lại sau" in refused.content.decode()
    # Failures on /admin/ lock the login page too: one count per account.
    assert login(client_at(), "quantri", PASSWORD).status_code == 429
    # The platform admin unlocks them with the action of the people's list.
    root = factories.person(factories.agency(), username="root")
    root.is_staff = root.is_superuser = True
    root.save()
    boss = client_at("192.0.2.1")
    boss.force_login(root)
    done = boss.post("/admin/directory/user/", {"action": "unlock_login", "_selected_action": [office["admin"].pk]},
                     follow=True)
    assert done.status_code == 200
    assert "Đã mở khóa đăng nhập cho 1 người" in done.content.decode()
    assert login(client, "quantri", PASSWORD, url="/admin/login/").status_code == 302


def test_each_new_lockout_the_same_day_lasts_twice_as_long(office, settings):
    client = client_at()
    fail_ten_times(client, "vanthu")
    first = accounts.lockout_of("vanthu")
    assert timedelta(minutes=14) < first.until - timezone.now() <= timedelta(minutes=15)
    # The first lockout runs out (its attempts expire) ...
    AccessAttemptExpiration.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert login(client, "vanthu", PASSWORD).status_code == 302
    client.logout()
    # ... and ten more failures lock for 30 minutes, then 60.
    fail_ten_times(client, "vanthu")
    second = accounts.lockout_of("vanthu")
    assert timedelta(minutes=29) < second.until - timezone.now() <= timedelta(minutes=30)
    assert "Thử lại sau 30 phút" in login(client, "vanthu", PASSWORD).content.decode()
    settings.VPDT_LOGIN_COOLOFF_MAX_MINUTES = 45
    accounts.unlock(office["admin"], office["clerk"])
    fail_ten_times(client, "vanthu")
    third = accounts.lockout_of("vanthu")
    assert timedelta(minutes=44) < third.until - timezone.now() <= timedelta(minutes=45)  # the ceiling


def test_unlock_command(office, capsys):
    from django.core.management import call_command

    fail_ten_times(client_at(), "vanthu")
    call_command("unlock_login", "vanthu")
    assert "vanthu: đã mở khóa" in capsys.readouterr().out
    assert login(client_at(), "vanthu", PASSWORD).status_code == 302


def test_the_login_history_shows_successes_and_failures_to_the_person_and_their_admin(office):
    client = client_at()
    login(client, "vanthu", "sai-mat-khau")
    assert login(client, "vanthu", PASSWORD).status_code == 302
    page = client.get("/tai-khoan/").content.decode()
    history = page[page.index('data-testid="login-history"'):]
    assert history.count("thành công") == 1 and history.count("sai mật khẩu") == 1
    assert OFFICE in history and "Mozilla/5.0 (thử nghiệm)" in history
    admin = client_at("192.0.2.10")
    admin.force_login(office["admin"])
    page = admin.get("/tai-khoan/can-bo/").content.decode()
    assert "vanthu" in page and "sai mật khẩu" in page

"""Single sign-on walked in a real browser against a real OpenID Connect provider.

The provider (tests/oidc_provider: django-oauth-toolkit with OIDC) runs in its own process;
chromium goes from vpdt's login page to the provider's login form and back, as a person of a
province with single sign-on would.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories, oidc_provider
from vpdt.core.models import AuditEntry
from vpdt.directory.models import ExternalIdentity
from vpdt.directory.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROVIDER_PEOPLE = [
    {"username": "tran.thi.mai", "password": "MotCua#2026", "first_name": "Mai", "last_name": "Trần Thị",
     "email": "mai@motcua.example.vn"},
    {"username": "khach.la", "password": "MotCua#2026", "first_name": "Lạ", "last_name": "Khách",
     "email": "khach@motcua.example.vn"},
]


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    started = oidc_provider.start(tmp_path_factory.mktemp("oidc-provider"), users=PROVIDER_PEOPLE,
                                  redirect_uri=f"{live_server.url}/dang-nhap/mot-cua/xac-thuc/")
    yield started
    started.stop()


@pytest.fixture
def sso(settings, provider):
    settings.VPDT_OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                                        "vpdt.directory.sso.ProvinceSSOBackend"]
    return provider


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="vi-VN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _sign_in_at_provider(page, username: str):
    page.goto("/dang-nhap/")
    page.get_by_role("link", name="Đăng nhập bằng tài khoản một cửa của tỉnh").click()
    expect(page.get_by_role("heading", name="Cổng đăng nhập một cửa của tỉnh (thử nghiệm)")).to_be_visible()
    page.get_by_label("Tài khoản một cửa").fill(username)
    page.get_by_label("Mật khẩu một cửa").fill("MotCua#2026")
    page.get_by_role("button", name="Xác thực").click()


def test_single_sign_on_lands_in_vpdt_as_the_mapped_person(sso, page, shot):
    agency = factories.agency(abbreviation="SNV", name="Sở Nội vụ")
    person = factories.person(agency, Role.SPECIALIST, username="tran.thi.mai")
    person.full_name = "Trần Thị Mai"
    person.save()

    page.goto("/dang-nhap/")
    shot(page, "dang-nhap-mot-cua")
    _sign_in_at_provider(page, "tran.thi.mai")

    expect(page.get_by_test_id("who")).to_contain_text("Trần Thị Mai")
    link = ExternalIdentity.objects.get(user=person)
    assert (link.issuer, link.matched_by) == (sso.issuer, "preferred_username")
    assert AuditEntry.objects.filter(action="sso.link", object_id=str(link.pk), actor_id=person.pk).exists()

    # Signed out and in again: the stored link finds the person, no second link.
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("link", name="Đăng nhập bằng tài khoản một cửa của tỉnh")).to_be_visible()
    page.get_by_role("link", name="Đăng nhập bằng tài khoản một cửa của tỉnh").click()
    # The provider remembers its own session: straight back to vpdt, signed in.
    expect(page.get_by_test_id("who")).to_contain_text("Trần Thị Mai")
    assert ExternalIdentity.objects.filter(user=person).count() == 1


def test_an_identity_nobody_here_matches_is_refused_in_vietnamese(sso, page, shot):
    factories.person(factories.agency(), Role.SPECIALIST, username="someone.else")

    _sign_in_at_provider(page, "khach.la")

    expect(page.get_by_role("alert")).to_contain_text("Tài khoản chưa được cấp quyền trong hệ thống")
    assert "/dang-nhap/" in page.url
    shot(page, "dang-nhap-mot-cua-tu-choi", full_page=False)
    expect(page.get_by_test_id("who")).to_have_count(0)
    assert not ExternalIdentity.objects.exists()
    refusal = AuditEntry.objects.get(action="sso.refuse")
    assert refusal.detail["code"] == "SSO_UNKNOWN_IDENTITY" and refusal.detail["value"] == "khach.la"

"""The agency admin's "Tài khoản hệ thống" page (issue 18): create a system account, issue it a
scoped token shown once, the token works within its scope, revoke it, stop the account; another
agency's admin never sees it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests import factories
from vpdt.directory.models import ApiToken, SystemAccount
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db

URL = "/quan-tri/tai-khoan-he-thong/"


@pytest.fixture
def admins():
    a = factories.agency("000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    b = factories.agency("000.00.03.H90", abbreviation="STC", name="Sở Tài chính")
    return a, factories.person(a, Role.AGENCY_ADMIN, username="qt_a"), factories.person(b, Role.AGENCY_ADMIN,
                                                                                            username="qt_b")


def as_(user):
    client = Client()
    client.force_login(user)
    return client


def test_create_issue_use_revoke_and_stop(admins):
    agency, admin, _ = admins
    page = as_(admin)
    form = page.get(URL).content.decode()
    assert f'<input type="hidden" name="agency" value="{agency.pk}">' in form  # one agency: not asked
    made = page.post(URL, {"action": "create", "agency": agency.pk, "name": "Cổng dịch vụ công", "role": "clerk",
                           "description": "Nhận hồ sơ trực tuyến"}, follow=True)
    assert "Đã tạo tài khoản hệ thống Cổng dịch vụ công." in made.content.decode()
    account = SystemAccount.objects.get()
    assert account.user.agency == agency and account.user.has_role(Role.CLERK, agency)
    assert not account.user.has_usable_password()
    issued = page.post(URL, {"action": "issue", "pk": account.pk, "name": "máy chủ cổng", "days": "30",
                             "scopes": ["documents:read", "documents:write"]})
    token = re.search(r'data-testid="new-token">([^<]+)<', issued.content.decode()).group(1)
    assert Client().get("/api/documents", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert Client().get("/api/notifications", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403
    listed = page.get(URL).content.decode()
    assert token not in listed and "máy chủ cổng" in listed and "Tiếp nhận, vào sổ văn bản đến" in listed
    row = ApiToken.objects.get(user=account.user)
    assert row.scopes == ["documents:read", "documents:write"] and row.issued_by == admin
    page.post(URL, {"action": "revoke", "pk": account.pk, "token": row.pk})
    assert Client().get("/api/documents", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    page.post(URL, {"action": "deactivate", "pk": account.pk})
    account.user.refresh_from_db()
    assert not account.user.is_active
    assert "đã ngừng" in page.get(URL).content.decode()


def test_refusals_are_shown_and_change_nothing(admins):
    agency, admin, _ = admins
    page = as_(admin)
    refused = page.post(URL, {"action": "create", "agency": agency.pk, "name": "", "role": "leader"})
    assert "Đặt tên cho tài khoản hệ thống." in refused.content.decode()
    assert not SystemAccount.objects.exists()
    page.post(URL, {"action": "create", "agency": agency.pk, "name": "Phần mềm", "role": "specialist"})
    account = SystemAccount.objects.get()
    refused = page.post(URL, {"action": "issue", "pk": account.pk, "days": "400"}).content.decode()
    assert "Chọn ít nhất một phạm vi." in refused and "Thời hạn từ 1 đến 365 ngày." in refused
    assert not ApiToken.objects.exists()


def test_another_agencys_admin_neither_sees_nor_touches_it(admins):
    agency, admin, other = admins
    as_(admin).post(URL, {"action": "create", "agency": agency.pk, "name": "Cổng dịch vụ công", "role": "clerk"})
    account = SystemAccount.objects.get()
    page = as_(other)
    assert "Cổng dịch vụ công" not in page.get(URL).content.decode()
    assert page.post(URL, {"action": "issue", "pk": account.pk, "scopes": ["documents:read"],
                           "days": "1"}).status_code == 404
    assert page.post(URL, {"action": "deactivate", "pk": account.pk}).status_code == 404
    assert page.post(URL, {"action": "create", "agency": agency.pk, "name": "x", "role": "clerk"}).status_code == 200
    assert SystemAccount.objects.count() == 1
    account.user.refresh_from_db()
    assert account.user.is_active and not ApiToken.objects.exists()
    # a person without the admin role gets the refusal page
    clerk = factories.clerk(agency)
    assert as_(clerk).get(URL).status_code == 403

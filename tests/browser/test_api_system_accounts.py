"""The agency admin at phone width (issue 18): creates a system account for the public-service
portal, issues it a token that receives incoming documents, and the portal uses it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "hub"])]


def test_the_admin_gives_the_portal_a_token_at_phone_width(people, shot):
    page = people.login("skhcn.quantri", width=390, height=844)
    page.goto("/quan-tri/tai-khoan-he-thong/")
    page.get_by_label("Tên hệ thống").fill("Cổng dịch vụ công tỉnh")
    page.get_by_label("Vai trò").select_option(label="Văn thư")
    page.get_by_role("button", name="Tạo tài khoản").click()
    page.get_by_text("Đã tạo tài khoản hệ thống Cổng dịch vụ công tỉnh.").wait_for()
    page.get_by_text("Cấp khóa API").click()
    page.get_by_label("Tên gợi nhớ").fill("máy chủ cổng")
    page.get_by_label("Đọc văn bản").check()
    page.get_by_label("Tiếp nhận, vào sổ văn bản đến").check()
    page.get_by_role("button", name="Cấp khóa").click()
    token = page.get_by_test_id("new-token").inner_text().strip()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    shot(page, "api-system-accounts-phone")
    answer = Client().post("/api/documents/incoming", HTTP_AUTHORIZATION=f"Bearer {token}", data={
        "metadata": json.dumps({"subject": "Hồ sơ từ cổng dịch vụ công", "issuer_name": "Công dân Nguyễn Văn A"}),
        "files": [_pdf()]})
    assert answer.status_code == 201, answer.content
    page.reload()
    assert "máy chủ cổng" in page.content() and "Thu hồi" in page.content()


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("don.pdf", factories.pdf_bytes("đơn"), content_type="application/pdf")

"""The session timer in a real browser: the warning before the idle timeout, "Tiếp tục làm
việc" keeping the session, and at the end the login that returns to the page with what was
typed filled back in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from vpdt.directory.roles import Role

# No serialized_rollback: restoring a serialized database after another transactional test's
# flush collides on content types; the test makes its own person and the suite's autouse
# fixture seeds the document types again.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_idle_warning_keeps_the_session_or_keeps_the_typing(browser, live_server, settings):
    settings.VPDT_SESSION_IDLE_SECONDS = 6  # the warning shows 5 s before the end
    factories.person(factories.agency(), Role.SPECIALIST, username="hen.gio")
    context = browser.new_context(locale="vi-VN", base_url=live_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/dang-nhap/?next=/tai-khoan/")
        page.get_by_label("Tên đăng nhập").fill("hen.gio")
        page.get_by_label("Mật khẩu").fill("Secret#12345")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page).to_have_url(re.compile(r"/tai-khoan/$"))
        page.get_by_label("Tên gợi nhớ").fill("Phần mềm kế toán")
        warning = page.get_by_role("alertdialog")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("Phiên làm việc sắp kết thúc")
        # Staying: the warning goes away and the session goes on.
        page.get_by_role("button", name="Tiếp tục làm việc").click()
        expect(warning).to_be_hidden()
        # Not answering: the page goes to the login, which comes back here with the typing.
        expect(page).to_have_url(re.compile(r"/dang-nhap/\?next=(%2F|/)tai-khoan"), timeout=20_000)
        expect(page.get_by_role("alert").filter(has_text="lâu không hoạt động")).to_be_visible()
        page.get_by_label("Tên đăng nhập").fill("hen.gio")
        page.get_by_label("Mật khẩu").fill("Secret#12345")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page).to_have_url(re.compile(r"/tai-khoan/$"))
        expect(page.get_by_label("Tên gợi nhớ")).to_have_value("Phần mềm kế toán")
        expect(page.get_by_role("status").filter(has_text="Đã điền lại")).to_be_visible()
    finally:
        context.close()

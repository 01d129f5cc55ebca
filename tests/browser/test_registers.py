"""The clerk's walk at year end, on a desktop and on a phone (390 px): "Sổ văn bản" from the menu,
a book downloaded as PDF, then "Khóa sổ": refused until the box is ticked, then closed."""

from __future__ import annotations

import pytest

from tests.browser.conftest import People
from tests.records import conftest as registers_year
from tests.records.conftest import seal

# The registers' year and the seal's CA (tests/records/conftest.py), as fixtures of this module.
book_world = registers_year.book_world
register_ca = registers_year.register_ca

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crowd(browser, live_server, book_world, register_ca, settings):
    from vpdt.demo.province import PASSWORD

    settings.VPDT_MFA_REQUIRED_FOR = "admins,signers"
    book_world.clerk.username = "vanthu.so"
    book_world.clerk.set_password(PASSWORD)
    book_world.clerk.save()
    seal(book_world, register_ca)
    people = People(browser, live_server.url)
    yield people
    people.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_clerk_downloads_a_book_and_closes_the_year(crowd, book_world, width):
    w = book_world
    page = crowd.login("vanthu.so", width=width, height=860)
    if width < 992:  # the menu is folded on a phone
        page.get_by_role("button", name="Menu").click()
    page.get_by_test_id("registers-link").click()
    page.wait_for_url("**/so-van-ban/")
    row = page.get_by_test_id(f"register-{w.out_register.pk}")
    assert "Sổ văn bản đi chung" in row.inner_text() and "Đang mở" in row.inner_text()

    with page.expect_download() as download:
        page.get_by_test_id(f"pdf-{w.out_register.pk}-di").click()
    assert download.value.suggested_filename == "so-dang-ky-van-ban-di-chung-2025.pdf"
    with open(download.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    page.get_by_test_id(f"close-{w.out_register.pk}").click()
    page.get_by_test_id("confirm-close").click()
    assert "Đánh dấu ô xác nhận trước khi khóa sổ." in page.get_by_test_id("field-error").inner_text()
    page.get_by_label("Tôi xác nhận khóa sổ này; sau khi khóa, sổ không còn thay đổi.").check()
    page.get_by_test_id("confirm-close").click()
    page.wait_for_url("**/so-van-ban/?nam=2025", timeout=60_000)
    assert "Đã khóa sổ" in page.get_by_test_id(f"register-{w.out_register.pk}").inner_text()
    assert page.get_by_test_id(f"close-{w.out_register.pk}").count() == 0
    assert "bản PDF đã được ký số của cơ quan" in page.get_by_role("alert").first.inner_text()

"""The top menu at the widths of office screens: nothing runs off the edge, "Đăng xuất" is whole
and on one line, the bar stays two lines at most; below 1200 px the menu folds behind its
button. A leader's menu is the longest (delegation, one-stop shop, reports); a clerk's has
"Tiếp nhận văn bản"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

WIDTHS = [1200, 1280, 1366, 1440, 1920]


@pytest.mark.parametrize("username", ["skhcn.lanhdao", "stc.vanthu"])
def test_the_menu_fits_every_desktop_width(people, username):
    page = people.login(username, width=WIDTHS[0])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/")
        logout = page.get_by_role("button", name="Đăng xuất")
        expect(logout).to_be_visible()
        box = logout.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
        assert box["height"] < 40, (width, box)  # one line: the words are not squeezed apart
        account = page.get_by_test_id("account-link").bounding_box()
        assert account["height"] < 45, (width, account)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        bar = page.locator("nav.navbar").bounding_box()
        assert bar["height"] <= 110, (width, bar)  # at most two lines (the name beside it wrapped a word a line)
    page.set_viewport_size({"width": 1024, "height": 800})
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_hidden()

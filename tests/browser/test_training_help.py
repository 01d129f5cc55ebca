"""Training by level of use, in the browser: the page's help for the person's role (collapsible,
dismissable, remembered) and the short guided first walk, offered after the first sign-in, at
desktop and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]


def test_the_clerk_reads_the_pages_help_and_walks_the_first_tour(people, shot):
    clerk = people.login("skhcn.vanthu")
    panel = clerk.get_by_test_id("help-panel")
    expect(panel).to_contain_text("Hướng dẫn cho Văn thư")
    expect(panel).to_contain_text("Trang này dùng để xem việc đang chờ văn thư")
    expect(panel).to_contain_text("Bước tiếp theo")
    offer = clerk.get_by_test_id("walk-offer")
    expect(offer).to_contain_text("Đi một vòng hướng dẫn ngắn dành cho Văn thư (5 bước).")
    shot(clerk, "11-huong-dan-trang", full_page=False)

    offer.get_by_role("button", name="Bắt đầu hướng dẫn").click()
    expect(offer).to_be_hidden()
    card = clerk.get_by_test_id("walk-card")
    walk = [("Công việc của tôi", "Công việc"), ("Tiếp nhận văn bản", "Tiếp nhận văn bản"),
            ("Văn bản đến", "Văn bản đến"), ("Chuông thông báo", None), ("Trợ giúp", "Trợ giúp")]
    for i, (title, highlighted) in enumerate(walk, start=1):
        expect(card).to_contain_text(f"Bước {i}/5")
        expect(card).to_contain_text(title)
        target = clerk.locator(".walk-target")
        expect(target).to_have_count(1)
        if highlighted:
            expect(target).to_contain_text(highlighted)
        else:
            expect(target).to_have_attribute("data-testid", "bell")
        if i == 2:
            shot(clerk, "12-vong-huong-dan", full_page=False)
        card.get_by_role("button", name="Xong" if i == len(walk) else "Tiếp").click()
    expect(card).to_have_count(0)
    expect(clerk.locator(".walk-target")).to_have_count(0)
    clerk.reload()
    expect(clerk.get_by_test_id("help-panel")).to_be_visible()
    expect(clerk.get_by_test_id("walk-offer")).to_be_hidden()  # offered once

    # The help menu starts the walk again at any time.
    clerk.get_by_test_id("help-menu").click()
    clerk.get_by_role("button", name="Đi một vòng hướng dẫn").click()
    expect(card).to_contain_text("Bước 1/5")
    clerk.keyboard.press("Escape")
    expect(card).to_have_count(0)

    # The panel folds and stays folded; dismissed, it stays away until the help menu shows it.
    clerk.goto("/van-ban-den/tiep-nhan/")
    panel = clerk.get_by_test_id("help-panel")
    expect(panel).to_contain_text("Trang này dùng để tiếp nhận văn bản giấy")
    panel.locator("summary").click()
    expect(panel.get_by_text("Bước tiếp theo")).to_be_hidden()
    clerk.reload()
    expect(panel).to_be_visible()
    expect(panel.get_by_text("Bước tiếp theo")).to_be_hidden()
    panel.get_by_role("button", name="Ẩn hướng dẫn trang này").click()
    expect(panel).to_be_hidden()
    clerk.reload()
    expect(panel).to_be_hidden()
    clerk.goto("/van-ban-den/")
    expect(clerk.get_by_test_id("help-panel")).to_be_visible()  # remembered per page
    clerk.goto("/van-ban-den/tiep-nhan/")
    expect(panel).to_be_hidden()
    clerk.get_by_test_id("help-menu").click()
    clerk.get_by_role("button", name="Hướng dẫn trang này", exact=True).click()
    expect(panel).to_be_visible()
    expect(panel.get_by_text("Bước tiếp theo")).to_be_visible()


def test_the_leader_walks_the_tour_on_a_phone(people, shot):
    leader = people.login("skhcn.lanhdao", width=390, height=844)
    expect(leader.get_by_test_id("help-panel")).to_contain_text("Hướng dẫn cho Lãnh đạo cơ quan")
    offer = leader.get_by_test_id("walk-offer")
    expect(offer).to_contain_text("(6 bước)")
    offer.get_by_role("button", name="Bắt đầu hướng dẫn").click()
    card = leader.get_by_test_id("walk-card")
    expect(card).to_contain_text("Bước 1/6")
    expect(card).to_have_class(re.compile("walk-card-bottom"))  # across the bottom of a phone
    # The menu is folded on a phone: the walk points at its button.
    expect(leader.locator(".walk-target")).to_have_class(re.compile("navbar-toggler"))
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(leader, "13-dien-thoai-huong-dan", full_page=False)
    for _ in range(4):
        card.get_by_role("button", name="Tiếp").click()
    expect(card).to_contain_text("Bước 5/6")
    expect(card).to_contain_text("Chuông thông báo")
    expect(leader.locator(".walk-target")).to_have_class(re.compile("nav-bell"))  # the phone's bell
    card.get_by_role("button", name="Kết thúc hướng dẫn").click()
    expect(card).to_have_count(0)
    leader.reload()
    expect(leader.get_by_test_id("walk-offer")).to_be_hidden()

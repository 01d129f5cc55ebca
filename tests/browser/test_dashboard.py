"""The dashboard and the why view in a real browser (issue 14, Done when), at desktop width and
on a 390 px phone: the director's home page shows the counters and their agency's charts drawn by
the self-hosted Chart.js under the strict CSP; the platform admin opens the why view and sees the
demo's weak agency (Ủy ban nhân dân huyện Hòa An, vpdt.reports.demo) ranked first with its signals."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from vpdt.directory.models import User
from vpdt.workflow import queues

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

WEAK = "Ủy ban nhân dân huyện Hòa An"
WIDTHS = [(1280, 860), (390, 844)]


@pytest.fixture
def story(demo):
    """The demo's usage story (six weeks of good and poor use), which the `demo` fixture leaves out."""
    from vpdt.reports import demo as usage_story

    usage_story.extend_demo({})


def csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_the_directors_home_page_shows_the_counters_and_the_charts(story, people, shot):
    director = User.objects.get(username="skhcn.lanhdao")
    waiting = queues.get("waiting", director).count()
    for width, height in WIDTHS:
        page = people.login("skhcn.lanhdao", width=width, height=height)
        errors = csp_errors(page)
        page.goto("/")
        card = page.get_by_test_id("counter-waiting")
        expect(card).to_be_visible()
        expect(card).to_contain_text(str(waiting))
        expect(card).to_contain_text("Chờ xử lý")
        for key in ("overdue", "due_soon", "approval"):
            expect(page.get_by_test_id(f"counter-{key}")).to_be_visible()
        expect(page.get_by_test_id("tab-waiting").locator("[data-count]")).to_have_text(str(waiting))
        charts = page.get_by_test_id("charts")
        expect(charts).to_have_attribute("data-rendered", "true")
        canvases = charts.locator('canvas[data-rendered="true"]')
        expect(canvases).to_have_count(2)
        box = canvases.first.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, box
        assert box["width"] <= width
        # the figures are there for a screen reader too
        expect(charts.locator("table").first).to_contain_text("Văn bản đến")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide  # nothing sticks out
        shot(page, f"bao-cao-trang-chu-lanh-dao-{width}", full_page=width > 400)
        assert errors == []
        # a card leads to its list
        page.get_by_test_id("counter-overdue").click()
        expect(page).to_have_url(re.compile(r"/viec/overdue/$"))
        expect(page.get_by_test_id("tab-overdue")).to_have_attribute("aria-current", "page")


def test_the_platform_admin_sees_the_weak_agency_ranked_with_its_signals(story, people, shot):
    for width, height in WIDTHS:
        page = people.login("admin", width=width, height=height)
        errors = csp_errors(page)
        page.goto("/")
        expect(page.locator('[data-charts] canvas[data-chart="agencies"][data-rendered="true"]')).to_have_count(1)
        if width > 400:
            page.get_by_test_id("reports-link").click()
        else:  # on a phone the menu folds behind its button
            page.get_by_role("button", name="Menu").click()
            page.get_by_test_id("reports-link").click()
        expect(page.get_by_role("heading", name="Vì sao: đánh giá sử dụng văn phòng điện tử")).to_be_visible()
        first = page.get_by_test_id("ranked-item").first
        expect(first).to_contain_text(WEAK)
        expect(first).to_contain_text("vào sổ từ bản giấy")
        expect(first).to_contain_text("trung vị tỉnh")
        shot(page, f"bao-cao-vi-sao-{width}", full_page=width > 400)
        # the table sorts on the server: by the paper share, the weakest last ascending, first descending
        table = page.get_by_test_id("metrics-table")
        table.locator('a[data-sort="paper_share"]').click()
        expect(page).to_have_url(re.compile(r"sort=paper_share&dir=desc"))
        expect(table.locator("tbody tr").first.locator("th")).to_have_text(WEAK)
        assert errors == []


def _holding(held: list):
    """A route handler that keeps each request waiting in `held`."""
    def hold(route):
        held.append(route)
    return hold


def test_the_list_below_the_charts_does_not_move_when_they_arrive(demo, people):
    """The charts are drawn after the page (their figures fetched by web/charts.js). Their room is
    kept meanwhile: a person clicking a document of the list as they arrive must not have the row
    jump away under the click (a browser test clicked the card above it this way)."""
    for username, (width, height) in [(u, w) for u in ("skhcn.lanhdao", "admin") for w in WIDTHS]:
        page = people.login(username, width=width, height=height)  # the agency's charts; the province's
        held: list = []
        page.route("**/bao-cao/bieu-do/**", _holding(held))  # the figures wait until released below
        page.goto("/")
        tabs = page.get_by_test_id("tab-waiting")
        expect(tabs).to_be_visible()
        page.wait_for_function("() => document.querySelector('[data-charts-loading]') !== null")
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the charts' figures were not asked for"
        before = tabs.bounding_box()["y"]
        held[0].continue_()
        expect(page.get_by_test_id("charts")).to_have_attribute("data-rendered", "true")
        after = tabs.bounding_box()["y"]
        assert abs(after - before) <= 16, (username, width, before, after)  # under a line, not 300-1,100 px

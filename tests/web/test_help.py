"""Training by level of use: each main page tells the person, for their role, what it is for and
the next step; each role has a short guided first walk whose steps point at what is on the page."""

from __future__ import annotations

import html
import json
import re

import pytest
from lxml import html as lxml_html

from vpdt.web import help as catalogue

pytestmark = pytest.mark.django_db


def _panel(page: str) -> str:
    match = re.search(r'<aside class="help-panel.*?</aside>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))) if match else ""


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("who", "url", "says"), [
    ("clerk", "/", "Hướng dẫn cho Văn thư Trang này dùng để xem việc đang chờ văn thư"),
    ("clerk", "/van-ban-den/tiep-nhan/", "Trang này dùng để tiếp nhận văn bản giấy"),
    ("clerk", "/van-ban-den/", "văn bản “Đã đến, chờ vào sổ” cần bạn vào sổ"),
    ("leader", "/", "Hướng dẫn cho Lãnh đạo cơ quan Trang này dùng để xem văn bản đến chờ ý kiến chỉ đạo"),
    ("head", "/", "Hướng dẫn cho Lãnh đạo phòng/đơn vị Trang này dùng để xem văn bản giao cho đơn vị của bạn"),
    ("spec", "/", "Hướng dẫn cho Chuyên viên Trang này dùng để xem văn bản được giao cho bạn"),
    ("spec", "/van-ban-di/du-thao/", "Trang này dùng để soạn văn bản đi"),
    ("spec", "/thong-bao/", "việc cần xử lý ở trên, tin để biết ở dưới"),
    ("leader", "/uy-quyen/", "Trang này dùng để ủy quyền xử lý công việc"),
    ("admin", "/quan-tri/", "Hướng dẫn cho Quản trị đơn vị Trang này dùng để quản trị cơ quan"),
])
def test_each_main_page_says_what_it_is_for_and_the_next_step_for_the_role(world, login, who, url, says):
    page = login(getattr(world, who)).get(url).content.decode()
    panel = _words(_panel(page))
    assert says in panel
    assert "Bước tiếp theo" in panel


def test_the_help_follows_the_language(world, login):
    c = login(world.clerk)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    panel = _words(_panel(c.get("/van-ban-den/tiep-nhan/").content.decode()))
    assert "Help for Clerk" in panel and "This page is for receiving paper documents" in panel
    assert "Next steps" in panel
    c.post("/i18n/setlang/", {"language": "vi", "next": "/"})


def _matches(tree, selector: str) -> bool:
    link = re.fullmatch(r'#nav \.nav-link\[href="([^"]+)"\]', selector)
    if link:
        return bool(tree.xpath(f'//*[@id="nav"]//a[contains(@class, "nav-link")][@href="{link.group(1)}"]'))
    testid = re.fullmatch(r'\[data-testid="([^"]+)"\]', selector)
    if testid:
        return bool(tree.xpath(f'//*[@data-testid="{testid.group(1)}"]'))
    cls = re.fullmatch(r"\.([\w-]+)", selector)
    if cls:
        return bool(tree.xpath(f'//*[contains(concat(" ", @class, " "), " {cls.group(1)} ")]'))
    raise AssertionError(f"selector the test does not know: {selector}")


@pytest.mark.parametrize("who", ["clerk", "leader", "head", "spec", "admin"])
def test_each_role_has_a_short_walk_over_what_its_home_page_shows(world, login, who):
    page = login(getattr(world, who)).get("/").content.decode()
    tree = lxml_html.fromstring(page)
    steps = json.loads(tree.xpath('//script[@id="walk-steps"]')[0].text)
    assert 3 <= len(steps) <= 6
    for step in steps:
        assert step["title"] and step["text"]
        # The desktop element of each step is on the page (the phone falls back to the menu button).
        assert _matches(tree, step["selectors"][0]), (who, step)
    assert tree.xpath('//*[@data-testid="walk-offer"]')  # offered on the home page
    assert tree.xpath('//*[@data-testid="help-menu"]')


def test_the_walk_is_offered_on_the_home_page_only(world, login):
    page = login(world.clerk).get("/van-ban-den/").content.decode()
    assert 'data-testid="walk-offer"' not in page and 'id="walk-steps"' in page


def test_every_role_of_the_catalogue_has_help_on_the_home_page():
    for role in catalogue.ROLE_ORDER:
        assert role in catalogue.PAGES["home"]

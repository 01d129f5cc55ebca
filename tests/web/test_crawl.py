"""No page a person can reach shows an internal code, an English sentence in Vietnamese mode, or an
unstyled error page (issue 13, "Done when" #2).

For every demo role, the test client signs in and walks every same-origin page it can reach by
links from the home page (GET only, a bounded number per role), then fails on:
- a string of an internal form (`word.word`, such as `signing.sign_person` or `document.release`)
  in the visible text, but for the allow-listed kinds below, each with its reason;
- an English UI sentence in Vietnamese mode (Django's default messages, a page left untranslated);
- an error page (status >= 400) outside the site's frame or without a way back.
"""

from __future__ import annotations

import html
import re
import time
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

pytestmark = pytest.mark.django_db

ROLES = {
    "văn thư": "skhcn.vanthu",
    "chuyên viên": "skhcn.chuyenvien2a",
    "lãnh đạo phòng": "skhcn.truongphong2",
    "lãnh đạo cơ quan": "skhcn.lanhdao",
    "quản trị đơn vị": "skhcn.quantri",
    "cán bộ lưu trữ": "skhcn.luutru",
    "quản trị hệ thống": "admin",
    "văn thư cấp xã": "phumy.vanthu",
}
MAX_PAGES = 45  # per role
# Not crawled, with the reason: leaving or changing the session, file bodies (not pages),
# systems' endpoints, the hub (another deployable), Django's own admin site (its own frame and
# Django's Vietnamese), and language switching (a POST).
SKIP = (
    re.compile(r"^/dang-xuat/"),  # signs out
    re.compile(r"^/tep/"),  # a file's bytes
    re.compile(r"^/phien-ban/"),  # a draft version's bytes
    re.compile(r"^/phien/"),  # the session timer's JSON
    re.compile(r"^/api/"),  # JSON for systems
    re.compile(r"^/hub/"),  # the hub, a separate deployable
    re.compile(r"^/admin/"),  # Django's admin site
    re.compile(r"^/static/"),
    re.compile(r"^/i18n/"),
    re.compile(r"^/thong-bao/\d+/"),  # opening a notification marks it read and redirects to its document
    re.compile(r"[?&]download="),  # a download
)
INTERNAL = re.compile(r"\b[a-z][a-z_]*\.[a-z_]+(?:\.[a-z_]+)*\b")
# snake_case words (no Vietnamese or English sentence has them) and the roles' codes as written
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ROLE_CODES = re.compile(r"\b(?:clerk|leader|unit_head|specialist|agency_admin|platform_admin)\b")
# Allowed look-alikes, with their reason:
FILE_NAME = re.compile(r"\.(pdf|docx?|xlsx?|odt|ods|xml|zip|png|jpe?g|p12|pem|crt|txt|csv|json)$")  # file names people uploaded
DOMAIN = re.compile(r"\.(vn|com|org|net|gov|local|test|example)$")  # host names in e-mails and addresses
EMAIL_OR_URL = re.compile(r"[\w.+-]+@[\w.-]+|https?://\S+")  # e-mail addresses and links people read as such
# English UI sentences (Django's defaults and common phrases): Vietnamese has none of these words.
ENGLISH = re.compile(r"\b(?:the|this|that|your|you|please|is|are|was|were|field|required|enter|valid|select|"
                     r"not found|forbidden|failed|error|server|page|request)\b", re.IGNORECASE)


def visible_text(page: str) -> str:
    """What the person reads: no script, no style, no tags, no attributes; entities decoded."""
    page = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def internal_codes(text: str, usernames: set[str]) -> list[str]:
    text = EMAIL_OR_URL.sub(" ", text)
    found = []
    for token in INTERNAL.findall(text):
        if FILE_NAME.search(token) or DOMAIN.search(token):
            continue
        if token in usernames:  # a login name: what the person types to sign in, shown to admins
            continue
        found.append(token)
    words = INTERNAL.sub(" ", text)  # dotted tokens judged above (file names, login names, codes)
    found += SNAKE.findall(words) + ROLE_CODES.findall(words)
    return found


def english_sentences(text: str) -> list[str]:
    """Windows of text with two or more English words close together (one alone may be a name)."""
    hits = []
    for m in ENGLISH.finditer(text):
        window = text[max(0, m.start() - 40): m.end() + 40]
        if len({w.lower() for w in ENGLISH.findall(window)}) >= 2:
            hits.append(window.strip())
    return hits


def is_framed_error(page: str) -> bool:
    """A styled error page: the site's frame (its stylesheet, <main>), the error box and a way back."""
    return ('data-testid="error-page"' in page and 'id="main"' in page and "vpdt.css" in page
            and 'href="/"' in page)


def links(page: str, base: str) -> list[str]:
    out = []
    for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', page):
        href = html.unescape(href)
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver"):
            continue  # another origin
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def crawl(client, usernames: set[str], *, limit: int = MAX_PAGES) -> tuple[list[str], list[str]]:
    """Walks from the home page; returns (pages seen, problems found)."""
    seen, problems = [], []
    queue, queued = deque(["/"]), {"/"}
    while queue and len(seen) < limit:
        url = queue.popleft()
        response = client.get(url, follow=True)
        seen.append(url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        final = response.request["PATH_INFO"]
        if response.status_code >= 400 and not is_framed_error(page):
            problems.append(f"{url}: unstyled error page {response.status_code}")
        text = visible_text(page)
        for code in internal_codes(text, usernames):
            problems.append(f"{url}: internal code “{code}”")
        for sentence in english_sentences(text):
            problems.append(f"{url}: English in Vietnamese mode “{sentence}”")
        for link in links(page, final):
            if link not in queued and not any(p.search(link) for p in SKIP):
                queued.add(link)
                queue.append(link)
    return seen, problems


def sign_in(client, user) -> None:
    """Signed in, the second factor answered (the demo's leaders and admins have one)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from vpdt.directory import mfa

    client.force_login(user)
    device = mfa.totp_device(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def province(settings, tmp_path, monkeypatch, blob_dir):
    """The demo province (its workflow part: the signing part signs every released document,
    slow, and the interconnection needs the hub's database)."""
    monkeypatch.setattr("vpdt.demo.loader.EXTENSIONS", ["vpdt.workflow.demo", "vpdt.archive.demo"])
    from vpdt.demo.loader import load_demo

    load_demo()
    from vpdt.directory.models import User

    return set(User.objects.values_list("username", flat=True))


def test_every_reachable_page_of_every_role_tells_a_person_in_vietnamese(province, client):
    from vpdt.directory.models import User

    started = time.monotonic()
    problems, counts = [], {}
    for role, username in ROLES.items():
        client.logout()
        sign_in(client, User.objects.get(username=username))
        client.cookies["django_language"] = "vi"
        seen, found = crawl(client, province)
        counts[role] = len(seen)
        problems += [f"[{role}] {p}" for p in found]
    elapsed = time.monotonic() - started
    print(f"crawled {sum(counts.values())} pages in {elapsed:.1f} s: {counts}")
    assert all(n >= 8 for n in counts.values()), counts  # each role reaches its pages
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("lang,heading", [("vi", "Không tìm thấy trang"), ("en", "Page not found")])
def test_error_pages_are_inside_the_frame_with_a_way_back(db, lang, heading):
    """404, 403 and the CSRF refusal, signed in and anonymous, in both languages."""
    from django.test import Client

    from tests import factories
    from vpdt.directory.roles import Role

    anonymous = Client(enforce_csrf_checks=True)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(factories.person(factories.agency(), Role.SPECIALIST, username="chuyenvien.loi"))
    for c in (anonymous, signed_in):
        c.cookies["django_language"] = lang
        r = c.get("/khong-co-trang-nay/")
        assert r.status_code == 404 and is_framed_error(r.content.decode()) and heading in r.content.decode()
        r = c.post("/dang-nhap/", {"username": "x", "password": "y"})  # no CSRF token
        assert r.status_code == 403 and is_framed_error(r.content.decode())
        assert not english_sentences(visible_text(r.content.decode())) or lang == "en"
    r = signed_in.get("/van-ban-den/tiep-nhan/")  # a specialist does not receive documents
    page = r.content.decode()
    assert r.status_code == 403 and is_framed_error(page)
    assert 'data-testid="who"' in page  # the signed-in frame: the person's name and menu
    if lang == "vi":
        assert "Chỉ văn thư tiếp nhận văn bản đến" in page


def test_the_crawl_finds_what_it_looks_for():
    """The detectors themselves: a code, an English sentence, an unframed error page."""
    text = visible_text('<p>Đã ký: signing.sign_person</p><p title="x.y">tệp ban-quet.pdf, a@b.vn</p>'
                        '<script>var a = b.c;</script>')
    assert internal_codes(text, set()) == ["signing.sign_person"]
    assert internal_codes("đăng nhập skhcn.vanthu", {"skhcn.vanthu"}) == []
    assert internal_codes("Vai trò: +leader, unit_head", set()) == ["unit_head", "leader", "unit_head"]
    assert internal_codes("tệp bao_cao.pdf", set()) == []
    assert english_sentences("This field is required.") and not english_sentences("Trường này là bắt buộc.")
    assert not is_framed_error("<h1>Forbidden</h1>")


def test_the_server_error_page_is_inside_the_frame_too(db):
    """500 renders without the request (its frame must not query a broken database), still styled."""
    from django.test import RequestFactory
    from django.utils import translation

    from vpdt.web.views import errors

    with translation.override("vi"):
        response = errors.server_error(RequestFactory().get("/van-ban/1/"))
    page = response.content.decode()
    assert response.status_code == 500 and is_framed_error(page) and "Lỗi hệ thống" in page

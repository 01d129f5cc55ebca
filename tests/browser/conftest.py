"""Browser tests: Playwright (python) driving Debian's chromium, headless, against live_server.

Never downloads a browser: without /usr/bin/chromium the tests are skipped LOUDLY.
Screenshots of the main screens go to a temporary folder; with VPDT_UPDATE_SCREENSHOTS=1
they replace the ones in docs/screenshots/ used by the user guide (so a test run does not
dirty the working tree).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls of the test
# itself (looking up demo accounts) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("VPDT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("VPDT_UPDATE_SCREENSHOTS")
         else Path(tempfile.gettempdir()) / "vpdt-screenshots")


def _missing_reason() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM}: install Debian's chromium (make system-deps)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "python package playwright is not installed (pip install -e '.[dev]')"
    return None


# Module scope: Playwright's sync API keeps an event loop running in this thread while the
# browser is open; tests after the walks (pyHanko's asyncio.run) must not inherit it.
@pytest.fixture(scope="module")
def browser():
    reason = _missing_reason()
    if reason:
        banner = "!" * 78
        print(f"\n{banner}\n!! BROWSER TESTS SKIPPED: {reason}\n{banner}")
        pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as the pages' own actions (15 s), not Playwright's 5 s: on a
    # loaded two-core CI machine a heavy page (the why view over the whole province) can take
    # longer than 5 s to arrive, and a wait that times out early is a failure of the test, not
    # of the page.
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    """The demo province in the live server's database, blobs in a temporary directory.

    The workflow and interconnection parts of the demo run (every agency is a system on the
    hub embedded in the live server; the walks declare the hub's database, so it is emptied
    after each); the signing part is left out to keep the walks short.
    """
    monkeypatch.setattr("vpdt.demo.loader.EXTENSIONS", ["vpdt.workflow.demo", "vpdt.demo.interconnection"])
    settings.HUB_DATA_DIR = str(tmp_path / "hub")
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "blobs")}}}
    from vpdt.demo.loader import load_demo
    from vpdt.records.models import DocumentType
    from vpdt.records.seed import seed_document_types

    if not DocumentType.objects.exists():  # a transactional test before this one flushed the seed data
        seed_document_types(DocumentType)
    load_demo()
    return True


class People:
    """Opens a page per person, logging in through the login page like a person would."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.contexts = []

    def login(self, username: str, *, width: int = 1280, height: int = 860):
        from vpdt.demo.province import PASSWORD

        # reduced_motion: Bootstrap then opens the folded phone menu at once instead of over
        # 350 ms, so a click is never aimed at a link the opening menu still clips (a race the
        # whole-suite runs hit on phone-width walks; people see the same menu either way).
        context = self.browser.new_context(locale="vi-VN", viewport={"width": width, "height": height},
                                           reduced_motion="reduce",
                                           base_url=self.base_url)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(lambda url: "/dang-nhap/" not in url)
        self.second_factor(page, username)
        return page

    @staticmethod
    def second_factor(page, username: str) -> None:
        """Answers the second factor like the person would: on the enrolment page, the code of the
        secret it shows (then past the recovery codes); on the code page, their app's code now."""
        import base64

        from django_otp.oath import totp

        from tests.second_factor import one_time_code
        from vpdt.directory.models import User

        if "/xac-thuc-hai-buoc/dang-ky/" in page.url:
            secret = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
            page.get_by_label("Mã xác thực").fill(f"{totp(base64.b32decode(secret)):06d}")
            page.get_by_role("button", name="Xác nhận").click()
            page.get_by_role("link", name="Tôi đã lưu mã, tiếp tục").click()
        elif "/xac-thuc-hai-buoc/" in page.url:
            page.get_by_label("Mã xác thực").fill(one_time_code(User.objects.get(username=username)))
            page.get_by_role("button", name="Tiếp tục").click()
        page.wait_for_url(lambda url: "/xac-thuc-hai-buoc/" not in url)

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser, live_server, demo, settings):
    # The production policy (the rest of the suite turns it off): leaders and administrators
    # answer their second factor at every sign-in (People.second_factor).
    settings.VPDT_MFA_REQUIRED_FOR = "admins,signers"
    crowd = People(browser, live_server.url)
    yield crowd
    crowd.close()


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True):
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keep a screenshot of every open page (in the temporary directory) to see why."""
    outcome = yield
    report = outcome.get_result()
    crowd = item.funcargs.get("people") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and crowd is not None:
        import tempfile

        for i, context in enumerate(crowd.contexts):
            for j, page in enumerate(context.pages):
                path = Path(tempfile.gettempdir()) / f"vpdt-browser-failure-{item.name}-{i}-{j}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    print(f"screenshot of the failing page: {path} ({page.url})")
                except Exception:  # noqa: BLE001 - best effort only
                    pass

"""The archive officer's walk (issue 19): a specialist asks to read an archived dossier; the
archive officer opens "Lưu trữ cơ quan" from the menu, sees the dossier in the holdings and the
request, approves it; the specialist reads the document and the archive's log names them.
On a desktop and on a phone (390 px). The archive officer is made here (the demo has none)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.conftest import People
from vpdt.archive.models import Dossier, DossierItem, DossierState
from vpdt.directory.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Archive:
    def __init__(self):
        from vpdt.demo.province import PASSWORD

        self.agency = factories.agency(name="Sở Nội vụ thử")
        self.archivist = factories.person(self.agency, Role.ARCHIVIST, username="luutru.snv")
        self.specialist = factories.person(self.agency, Role.SPECIALIST, username="chuyenvien.snv")
        for user in (self.archivist, self.specialist):
            user.set_password(PASSWORD)
            user.save()
        self.dossier = Dossier.objects.create(
            agency=self.agency, code=f"{self.agency.code}.2024.01.TCCB", title="Hồ sơ tuyển dụng công chức năm 2024",
            year=2024, retention_years=20, state=DossierState.ARCHIVED, start_date=dt.date(2024, 1, 5),
            end_date=dt.date(2024, 12, 20), archived_at=timezone.now())
        self.document = factories.document(self.agency, subject="Quyết định công nhận kết quả tuyển dụng")
        DossierItem.objects.create(dossier=self.dossier, document=self.document, order=1)


@pytest.fixture
def archive(transactional_db):
    return Archive()


@pytest.fixture
def crowd(browser, live_server, archive, settings):
    settings.VPDT_MFA_REQUIRED_FOR = "admins,signers"
    people = People(browser, live_server.url)
    yield people
    people.close()


def _menu(page, width):
    if width < 992:  # the menu is folded on a phone
        page.get_by_role("button", name="Menu").click()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_archivist_sees_the_holdings_and_approves_a_reader(crowd, archive, width, shot):
    a = archive
    reader = crowd.login("chuyenvien.snv", width=width)
    _menu(reader, width)
    assert reader.get_by_test_id("archive-keep-link").count() == 0  # the menu entry is the archive's
    reader.goto("/luu-tru/doc/")
    reader.get_by_label("Mục đích đọc").fill("Đối chiếu kết quả tuyển dụng")
    reader.get_by_test_id(f"ask-{a.dossier.pk}").click()
    assert "chờ cán bộ lưu trữ duyệt" in reader.get_by_role("alert").first.inner_text()

    page = crowd.login("luutru.snv", width=width)
    _menu(page, width)
    page.get_by_test_id("archive-menu").click()
    page.get_by_test_id("archive-keep-link").click()
    page.wait_for_url("**/luu-tru/")
    held = page.get_by_test_id(f"held-{a.dossier.pk}").inner_text()
    assert a.dossier.code in held and "20 năm" in held and "Hồ sơ tuyển dụng" in held
    request = page.get_by_test_id("reading-requests").get_by_role("row").nth(1)
    assert "Đối chiếu kết quả tuyển dụng" in request.inner_text()
    if width == 1280:
        shot(page, "archive-keep")
    request.get_by_role("button", name="Cho đọc", exact=True).click()
    assert "Đã cho đọc hồ sơ" in page.get_by_role("alert").first.inner_text()
    assert "Chưa có ai đọc hồ sơ lưu trữ." in page.get_by_test_id("reading-log").inner_text()

    reader.goto("/luu-tru/doc/")
    reader.get_by_role("link", name="Đọc", exact=True).click()
    reader.get_by_test_id(f"open-{a.document.pk}").click()
    assert reader.get_by_test_id("read-subject").inner_text() == a.document.subject

    page.reload()
    log = page.get_by_test_id("reading-log").inner_text()
    assert a.specialist.get_full_name() in log and a.dossier.code in log

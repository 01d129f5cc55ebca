"""Nộp lưu in the browser: the clerk of the demo's Sở KH&CN prepares the transfer list of last
year's closed dossiers (the one due ticked for them, another ticked by hand) and sends it; the
archive officer (a person the test adds: the demo has none yet), on a phone, returns one dossier
with a reason, accepts the other, accepts the transfer and downloads the signed package, which
verifies offline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

CODE = "000.00.13.H90"


@pytest.fixture
def archive_world(demo, tmp_path_factory):
    from types import SimpleNamespace

    from vpdt.archive.models import Dossier, DossierItem, DossierState
    from vpdt.directory.models import Agency, User
    from vpdt.directory.roles import Role
    from vpdt.records.models import Document
    from vpdt.signing import pki
    from vpdt.signing import services as signing

    agency = Agency.objects.get(code=CODE)
    ca = pki.make_demo_ca(tmp_path_factory.mktemp("archive-seal"), agencies=[(CODE, agency.name)])
    signing.store_software_key(agency=agency, pkcs12=ca.agencies[CODE].read_bytes(), password=ca.password)
    archivist = User.objects.get(username="skhcn.luutru")  # the demo's archive officer
    assert archivist.has_role(Role.ARCHIVIST, agency)
    clerk = User.objects.get(username="skhcn.vanthu")
    docs = list(Document.objects.filter(agency=agency, attachments__isnull=False).distinct().order_by("id")[:3])
    assert len(docs) == 3
    year = timezone.localdate().year - 1
    made = []
    for n, (notation, due, its_docs) in enumerate([("01.VP", dt.date(year + 1, 1, 1), docs[:2]),
                                                   ("02.CDS", dt.date(year + 5, 1, 1), docs[2:])], start=1):
        d = Dossier.objects.create(
            agency=agency, code=f"{CODE}.{year}.{notation}", title=f"Hồ sơ thử nộp lưu số {n}", year=year,
            owner=clerk, retention_years=10, state=DossierState.CLOSED, start_date=dt.date(year, 1, 2),
            end_date=dt.date(year, 12, 30), sheets=8, pages=15, closing_note="Đủ văn bản", closed_by=clerk,
            closed_at=timezone.now(), transfer_due=due)
        for order, doc in enumerate(its_docs, start=1):
            DossierItem.objects.create(dossier=d, document=doc, order=order, added_by=clerk)
        made.append(d)
    return SimpleNamespace(agency=agency, archivist=archivist, due=made[0], later=made[1], year=year)


def test_the_clerk_prepares_the_transfer_and_the_archivist_accepts_it(people, archive_world, tmp_path):
    from vpdt.archive import verify
    from vpdt.archive.models import Dossier, DossierState, TransferList

    w = archive_world
    clerk = people.login("skhcn.vanthu")
    clerk.get_by_test_id("archive-menu").click()
    clerk.get_by_test_id("transfers-link").click()
    clerk.wait_for_url("**/ho-so/nop-luu/")
    clerk.get_by_test_id("transfer-prepare").click()
    assert clerk.get_by_test_id(f"pick-{w.due.pk}").is_checked()  # due: ticked for the clerk
    assert not clerk.get_by_test_id(f"pick-{w.later.pk}").is_checked()
    assert "Đến hạn" in clerk.get_by_test_id("transfer-candidates").inner_text()
    clerk.get_by_test_id(f"pick-{w.later.pk}").check()
    clerk.get_by_test_id("prepare-submit").click()
    clerk.wait_for_url("**/ho-so/nop-luu/*/")
    assert "Đã lập mục lục hồ sơ nộp lưu năm" in clerk.get_by_role("alert").first.inner_text()
    items = clerk.get_by_test_id("transfer-items").inner_text()
    assert w.due.code in items and w.later.code in items
    clerk.get_by_test_id("transfer-submit").click()
    assert "Chờ lưu trữ tiếp nhận" in clerk.get_by_test_id("transfer-state").inner_text()
    transfer = TransferList.objects.get(agency=w.agency)
    assert set(Dossier.objects.filter(pk__in=[w.due.pk, w.later.pk]).values_list("state", flat=True)) == {
        DossierState.TRANSFERRING}

    phone = people.login("skhcn.luutru", width=390, height=844)
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_test_id("archive-menu").click()
    phone.get_by_test_id("transfers-link").click()
    phone.get_by_test_id(f"inbox-{transfer.pk}").click()
    first, second = list(transfer.items.order_by("order"))
    by_dossier = {first.dossier_id: first, second.dossier_id: second}
    keep, back = by_dossier[w.due.pk], by_dossier[w.later.pk]
    assert phone.get_by_test_id("transfer-accept").is_disabled()  # not until every dossier is decided
    phone.get_by_test_id(f"accept-{keep.pk}").click()
    assert "Đã nhận" in phone.get_by_test_id(f"item-state-{keep.pk}").inner_text()
    phone.get_by_test_id(f"item-{back.pk}").get_by_text("Trả lại").first.click()
    phone.get_by_label("Lý do trả lại").fill("Thiếu mục lục văn bản trong hồ sơ")
    phone.get_by_test_id(f"return-{back.pk}").click()
    assert "Trả lại" in phone.get_by_test_id(f"item-state-{back.pk}").inner_text()
    assert "Thiếu mục lục văn bản trong hồ sơ" in phone.get_by_test_id(f"item-{back.pk}").inner_text()
    phone.get_by_test_id("transfer-accept").click()
    phone.get_by_test_id("transfer-download").wait_for(timeout=60_000)
    assert "Lưu trữ đã tiếp nhận" in phone.get_by_test_id("transfer-state").inner_text()
    with phone.expect_download() as download:
        phone.get_by_test_id("transfer-download").click()
    assert download.value.suggested_filename.endswith(".zip")
    path = tmp_path / "goi.zip"
    download.value.save_as(path)
    report = verify.verify(str(path))
    assert report.ok, report.problems
    w.due.refresh_from_db()
    w.later.refresh_from_db()
    assert w.due.state == DossierState.ARCHIVED and w.later.state == DossierState.CLOSED

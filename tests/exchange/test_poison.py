"""One bad package never stops an agency's incoming interconnection (issue 11).

A zip bomb is refused while inflating with the spool bounded; a package that cannot be
taken in is quarantined with its reason, acknowledged `fail` (the hub stops offering it) and
the packages behind it arrive; the agency admin (page) and the platform staff (Django admin)
retry or discard it, audited.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest
from django.urls import reverse

from tests import factories
from tests.edxml.bombs import bomb, package_with_zip, zip_bytes
from tests.edxml.factories import header as edxml_header
from vpdt import edxml
from vpdt.core import blobs
from vpdt.core.models import AuditEntry, Blob
from vpdt.directory.roles import Role
from vpdt.exchange import clients, inbox, quarantine
from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage
from vpdt.records.choices import Direction
from vpdt.records.models import Attachment, Document

from .conftest import RECEIVER, SENDER, THIRD, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])
MiB = 1 << 20


def _header(number: str, subject: str):
    return edxml_header(
        from_=edxml.Organization(SENDER, organ_name="Văn phòng UBND tỉnh Bình Sơn"),
        to=[edxml.Organization(RECEIVER, organ_name="Sở Nội vụ tỉnh Bình Sơn")],
        document_id=f"{SENDER},2026/03/01,{number}/UBND-VP", code=edxml.Code(number, "UBND-VP"),
        promulgation=edxml.PromulgationInfo("Bình Sơn", dt.date(2026, 3, 1)), subject=subject)


def _poison(path, number="99", subject="Báo cáo số liệu (gói tin độc)") -> str:
    """A package the hub takes (a zip about 20 times smaller than its 4 MiB, under the hub's
    bounds) but over a receiver whose files may be 1 MB: its total bound refuses it."""
    package_with_zip(path, zip_bytes({"so-lieu.csv": (4 * MiB, 3 * 1024)}), hdr=_header(number, subject))
    return str(path)


def _connection(agency) -> HubConnection:
    return HubConnection.objects.get(agencies=agency)


def _keep_db_open() -> None:
    """The test client reconnects close_old_connections after each request; the in-process hub
    (conftest.wsgi_hub) must not close the test databases: disconnect it again."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def _spool_bytes() -> int:
    total = 0
    for directory in (inbox._spool_dir(), blobs._spool_dir()):
        for entry in os.scandir(directory):
            try:
                total += entry.stat().st_size
            except FileNotFoundError:
                pass
    return total


def test_a_zip_bomb_is_refused_while_streaming_and_the_spool_stays_bounded(province, tmp_path):
    b = province[RECEIVER][0]
    zipped = bomb(64 * MiB)  # 64 MiB of zeros, ~64 KB zipped: unbounded, the spool would reach 64 MiB
    path = tmp_path / "bomb.edxml"
    package_with_zip(path, zipped, hdr=_header("98", "Bom nén"))
    blobs_before = set(Blob.objects.values_list("sha256", flat=True))
    peak, stop = [0], threading.Event()

    def measure():
        while not stop.is_set():
            peak[0] = max(peak[0], _spool_bytes())
            time.sleep(0.001)

    sampler = threading.Thread(target=measure)
    sampler.start()
    try:
        item = inbox.ingest_file(_connection(b), "bomb-1", str(path), to_code=RECEIVER, from_code=SENDER)
    finally:
        stop.set()
        sampler.join()
    assert item.outcome == InboxItem.QUARANTINED and item.reason_code == "EDXML_ZIP_BOMB"
    assert "bom nén" in item.detail
    # The bound: at most 100 times the zip came out (ratio), and none of it reached the disk.
    assert peak[0] <= 100 * len(zipped), peak[0]
    assert peak[0] < 2 * len(zipped) + 64 * 1024  # only the decoded zip itself was ever spooled
    # Nothing half-stored: the spools are empty, no document, no attachment, one new blob (the kept package).
    assert _spool_bytes() == 0
    assert not Document.objects.filter(agency=b, direction=Direction.INCOMING).exists()
    assert not Attachment.objects.exists()
    assert set(Blob.objects.values_list("sha256", flat=True)) - blobs_before == {item.package.sha256}
    assert item.package_sha256 == item.package.sha256 and item.package_size == path.stat().st_size


def test_a_poison_package_then_three_normal_ones_through_the_hub(province, tmp_path, client):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    b.max_upload_mb = 1
    b.save()
    sender = clients.shared(_connection(a))
    poison_doc_id = sender.send_edoc(_poison(tmp_path / "p.edxml"), from_code=SENDER, to=[RECEIVER])
    subjects = [f"Về việc số {i} sau gói tin độc" for i in range(3)]
    for subject in subjects:
        released(a, clerk, [b], subject=subject)
    run_exchange()

    # The three arrived; the poison is quarantined with its reason, kept and acknowledged `fail`.
    incoming = Document.objects.filter(agency=b, direction=Direction.INCOMING)
    assert sorted(incoming.values_list("subject", flat=True)) == sorted(subjects)
    item = InboxItem.objects.get(agency=b, outcome=InboxItem.QUARANTINED)
    assert item.reason_code == "EDXML_ZIP_BOMB" and item.from_code == SENDER
    assert item.package_id is not None and item.acknowledged_at is not None
    from vpdt.hub.models import Delivery

    assert Delivery.objects.using("hub").get(doc_id=item.hub_doc_id).state == Delivery.FAIL
    sent = sender.get_sent_edoc_list(poison_doc_id)
    assert [d["sendStatus"] for d in sent] == ["fail"]  # the sender learns it failed
    # The hub no longer offers it: polling again fetches nothing and records nothing.
    assert clients.shared(_connection(b)).get_received_edoc_list() == []
    count = InboxItem.objects.count()
    run_exchange()
    assert InboxItem.objects.count() == count and InboxItem.objects.get(pk=item.pk).attempts == 1

    # The agency admin sees it, in Vietnamese; a clerk may not; another agency's admin sees none of it.
    admin = factories.person(b, Role.AGENCY_ADMIN)
    client.force_login(admin)
    page = client.get(reverse("workflow:quarantine")).content.decode()
    assert "Gói tin bị cách ly" in page and "EDXML_ZIP_BOMB" in page and "bom nén" in page
    assert "Văn phòng UBND tỉnh Bình Sơn" in page and SENDER in page and item.hub_doc_id in page
    assert "Thử lại" in page and "Bỏ" in page
    assert reverse("workflow:quarantine") in client.get(reverse("workflow:home")).content.decode()  # menu link
    client.force_login(province[RECEIVER][1])
    assert client.get(reverse("workflow:quarantine")).status_code == 403
    client.force_login(factories.person(province[THIRD][0], Role.AGENCY_ADMIN))
    other = client.get(reverse("workflow:quarantine")).content.decode()
    assert "Không có gói tin nào bị cách ly" in other and item.hub_doc_id not in other
    assert client.post(reverse("workflow:quarantine"), {"item": item.pk, "action": "discard"}).status_code == 302
    assert InboxItem.objects.get(pk=item.pk).outcome == InboxItem.QUARANTINED  # not theirs: untouched

    # The platform staff see it in the Django admin.
    staff = factories.person(b)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    listing = client.get("/admin/exchange/inboxitem/?outcome__exact=quarantined").content.decode()
    assert "EDXML_ZIP_BOMB" in listing and "Bị cách ly" in listing

    # Retry, once the agency takes larger files: the document arrives, status 01 goes back, audited.
    b.max_upload_mb = 10
    b.save()
    client.force_login(admin)
    answer = client.post(reverse("workflow:quarantine"), {"item": item.pk, "action": "retry"}, follow=True)
    assert "Đã tiếp nhận lại gói tin." in answer.content.decode()
    item.refresh_from_db()
    assert item.outcome == InboxItem.STORED and item.resolved_by == admin and item.document is not None
    assert item.document.subject == "Báo cáo số liệu (gói tin độc)"
    assert item.document.attachments.get().blob.size == 4 * MiB
    assert OutboxMessage.objects.filter(document=item.document, status_code="01").exists()
    retried = AuditEntry.objects.get(action="exchange.quarantine_retried", object_id=str(item.pk))
    assert retried.actor_id == admin.pk and retried.detail["outcome"] == InboxItem.STORED
    assert AuditEntry.objects.filter(action="exchange.quarantined", object_id=str(item.pk)).exists()

    # Discard, by the platform staff through the Django admin action.
    b.max_upload_mb = 1
    b.save()
    _keep_db_open()
    sender.send_edoc(_poison(tmp_path / "p2.edxml", "100", "Gói tin độc thứ hai"), from_code=SENDER, to=[RECEIVER])
    run_exchange()
    second = InboxItem.objects.get(outcome=InboxItem.QUARANTINED)
    client.force_login(staff)
    client.post("/admin/exchange/inboxitem/", {"action": "discard_quarantined", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.outcome == InboxItem.DISCARDED and second.resolved_by == staff
    assert AuditEntry.objects.get(action="exchange.quarantine_discarded", object_id=str(second.pk)).actor_id == staff.pk
    client.force_login(admin)
    assert second.hub_doc_id not in client.get(reverse("workflow:quarantine")).content.decode()


def test_the_hub_refuses_a_bomb_at_once_within_the_same_bounds(province, tmp_path):
    from vpdt.vxp.client import VxpRemoteError

    a = province[SENDER][0]
    path = tmp_path / "bomb.edxml"
    package_with_zip(path, bomb(64 * MiB), hdr=_header("97", "Bom nén gửi lên trục"))
    started = time.monotonic()
    with pytest.raises(VxpRemoteError) as err:
        clients.shared(_connection(a)).send_edoc(str(path), from_code=SENDER, to=[RECEIVER])
    assert err.value.code == "203" and "EDXML_ZIP_BOMB" in err.value.description
    assert time.monotonic() - started < 5  # stopped at 100 times the zip, not after 64 MiB


def test_unreadable_xml_is_quarantined_and_a_package_too_large_to_keep_keeps_its_head(province, tmp_path, settings):
    b = province[RECEIVER][0]
    garbage = tmp_path / "x.edxml"
    garbage.write_bytes(b"<edXML><oops" + b"x" * 200_000)
    item = inbox.ingest_file(_connection(b), "bad-1", str(garbage), to_code=RECEIVER)
    assert item.outcome == InboxItem.QUARANTINED and item.reason_code.startswith("EDXML_")
    assert item.package is not None and item.agency == b
    settings.EXCHANGE_QUARANTINE_KEEP_MB = 0  # keep nothing whole: the head and the SHA-256 only
    big = inbox.ingest_file(_connection(b), "bad-2", str(garbage), to_code=RECEIVER)
    assert big.package is None and big.package_head.size == quarantine.HEAD_BYTES
    assert big.package_size == garbage.stat().st_size and len(big.package_sha256) == 64
    admin = factories.person(b, Role.AGENCY_ADMIN)
    with pytest.raises(Exception) as err:
        quarantine.retry(admin, big)
    assert getattr(err.value, "code", "") == "EXCHANGE_QUARANTINE_NOT_KEPT"
    # A retry that fails again stays quarantined, counted.
    again = quarantine.retry(admin, item)
    assert again.outcome == InboxItem.QUARANTINED and again.attempts == 2


def test_a_package_the_hub_cannot_hand_over_is_quarantined_and_the_next_flows(province):
    from vpdt.hub import services as hub
    from vpdt.hub.models import Delivery

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b], subject="Văn bản mà trục đã mất nội dung")
    from vpdt.exchange import outbox

    outbox.send_pending()
    lost = Delivery.objects.using("hub").get(to_code=RECEIVER)
    assert hub.store().delete(lost.package.sha256)  # removed at the hub (retention, a disk lost)
    released(a, clerk, [b], subject="Văn bản gửi sau")
    run_exchange()
    assert list(Document.objects.filter(agency=b, direction=Direction.INCOMING).values_list("subject", flat=True)) \
        == ["Văn bản gửi sau"]
    item = InboxItem.objects.get(hub_doc_id=lost.doc_id)
    assert item.outcome == InboxItem.QUARANTINED and item.reason_code == "VXP_303"
    assert item.package is None and item.from_code == SENDER
    assert Delivery.objects.using("hub").get(pk=lost.pk).state == Delivery.FAIL

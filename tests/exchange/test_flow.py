"""Release → outbox → hub → inbox → incoming document → statuses back, through the embedded hub."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests import factories
from vpdt.core import blobs
from vpdt.exchange import inbox, outbox, services
from vpdt.exchange.errors import PackageWriteFailed, SecretDocument
from vpdt.exchange.models import InboxItem, OutboxMessage, StatusEvent
from vpdt.records import services as records
from vpdt.records.choices import DeliveryState, Direction, Source, State
from vpdt.records.models import Document, Recipient

from .conftest import RECEIVER, SENDER, THIRD, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def _incoming(agency):
    return Document.objects.filter(agency=agency, direction=Direction.INCOMING)


def test_release_writes_one_outbox_row_per_agency_recipient(province):
    (a, clerk), (b, _), (c, _) = province[SENDER], province[RECEIVER], province[THIRD]
    doc = released(a, clerk, [b, c])
    rows = OutboxMessage.objects.filter(document=doc)
    assert sorted(rows.values_list("to_code", flat=True)) == [RECEIVER, THIRD]
    assert {r.package_id for r in rows} == {rows[0].package_id}  # one package, To lists both
    assert all(r.state == OutboxMessage.PENDING for r in rows)
    doc.refresh_from_db()
    assert doc.edxml_document_id == f"{SENDER},2026/03/02,01/UBND-VP"


def test_secret_document_never_travels_and_the_release_fails(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    with pytest.raises(SecretDocument) as err:
        released(a, clerk, [b], secrecy=1)
    assert err.value.code == "EXCHANGE_SECRET_DOCUMENT"
    assert not OutboxMessage.objects.exists()
    assert not Document.objects.filter(state=State.RELEASED).exists()  # rolled back with the release


def test_package_that_cannot_be_written_fails_the_release(province, monkeypatch):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("vpdt.edxml.write_package", broken)
    with pytest.raises(PackageWriteFailed):
        released(a, clerk, [b])
    assert not OutboxMessage.objects.exists()
    assert not Recipient.objects.exists()


def test_released_document_arrives_as_received_and_status_01_comes_back(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b], subject="Về việc báo cáo tình hình thực hiện", urgency=2)
    run_exchange()
    incoming = _incoming(b).get()
    assert incoming.state == State.RECEIVED and incoming.source == Source.ELECTRONIC
    assert incoming.edxml_document_id == doc.edxml_document_id
    assert (incoming.issuer_code, incoming.number, incoming.notation) == (SENDER, 1, "UBND-VP")
    assert incoming.subject == "Về việc báo cáo tình hình thực hiện" and incoming.urgency == 2
    att = incoming.attachments.get()
    assert att.blob_id == doc.attachments.get().blob_id  # same bytes
    item = InboxItem.objects.get(document=incoming)
    assert item.signature_present and item.signature_valid
    assert item.acknowledged_at is not None
    recipient = doc.recipients.get()
    assert (recipient.state, recipient.status_code) == (DeliveryState.DELIVERED, "01")
    history = services.delivery_history(doc)
    assert [e["code"] for e in history[0]["events"]] == ["01"]


def test_each_step_at_the_receiver_sends_its_status(province):
    (a, clerk), (b, b_clerk) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    run_exchange()
    incoming = _incoming(b).get()
    records.register_incoming(b_clerk, incoming)
    with transaction.atomic():
        for state in (State.ASSIGNED, State.IN_PROGRESS, State.COMPLETED):
            records.set_state(incoming, state, b_clerk, f"test.{state}")
    run_exchange()
    recipient = doc.recipients.get()
    assert recipient.state == DeliveryState.COMPLETED and recipient.status_code == "06"
    codes = [e.status_code for e in StatusEvent.objects.filter(recipient=recipient).order_by("id")]
    assert codes == ["01", "03", "04", "05", "06"]


def test_returned_document_sends_02_with_the_reason(province):
    (a, clerk), (b, b_clerk) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    run_exchange()
    records.return_incoming(b_clerk, _incoming(b).get(), "Gửi nhầm cơ quan")
    run_exchange()
    recipient = doc.recipients.get()
    assert recipient.state == DeliveryState.REJECTED
    event = StatusEvent.objects.get(recipient=recipient, status_code="02")
    assert event.description == "Gửi nhầm cơ quan"


def test_duplicate_document_id_is_dropped_and_acknowledged(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b])
    outbox.send_pending()
    message = OutboxMessage.objects.get(message_type="edoc")
    connection = b.hub_connections.get()
    with outbox.package_path(message.package) as path:
        first = inbox.ingest_file(connection, "hub-doc-1", path, to_code=RECEIVER)
        second = inbox.ingest_file(connection, "hub-doc-2", path, to_code=RECEIVER)
        again = inbox.ingest_file(connection, "hub-doc-1", path, to_code=RECEIVER)
    assert first.outcome == InboxItem.STORED and second.outcome == InboxItem.DUPLICATE
    assert again.pk == first.pk
    assert _incoming(b).count() == 1
    assert OutboxMessage.objects.filter(message_type="status", agency=b).count() == 1  # one 01


def test_paper_registration_and_electronic_copy_are_one_record(province):
    (a, clerk), (b, b_clerk) = province[SENDER], province[RECEIVER]
    import datetime as dt

    paper = records.receive_incoming(b_clerk, b, {
        "document_type": "CV", "subject": "Bản giấy nhận trong lúc mất mạng", "number": 1, "notation": "UBND-VP",
        "issued_date": dt.date(2026, 3, 2), "issuer_code": SENDER, "issuer_name": a.name})
    records.register_incoming(b_clerk, paper)
    doc = released(a, clerk, [b])
    run_exchange()
    assert _incoming(b).count() == 1
    paper.refresh_from_db()
    assert paper.edxml_document_id == doc.edxml_document_id
    assert paper.attachments.count() == 1
    assert paper.incoming_number is not None
    recipient = doc.recipients.get()
    # 01 on arrival, then 03: the paper copy was already registered
    assert recipient.status_code == "03" and recipient.state == DeliveryState.ACCEPTED


def test_hub_unreachable_leaves_messages_pending_with_backoff_then_flows(province, settings):
    from vpdt.exchange import connections

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    settings.EXCHANGE_RETRY_BASE_SECONDS = 60
    import httpx

    def down(request):
        raise httpx.ConnectError("connection refused")

    working = connections.transport_factory
    connections.transport_factory = lambda c: httpx.MockTransport(down)
    docs = [released(a, clerk, [b]) for _ in range(3)]
    assert outbox.send_pending() == 0
    rows = OutboxMessage.objects.order_by("id")
    assert rows[0].attempts == 1 and "ConnectError" in rows[0].last_error and rows[0].next_attempt_at
    assert all(r.state == OutboxMessage.PENDING for r in rows)
    assert [r.attempts for r in rows[1:]] == [0, 0]  # the order is kept: the others wait behind the first
    connection = a.hub_connections.get()
    connection.refresh_from_db()
    assert connection.failures == 1 and connection.retry_at is not None
    assert outbox.send_pending() == 0  # in back-off: nothing tried
    connection.refresh_from_db()
    assert connection.failures == 1
    # the network comes back
    connections.transport_factory = working
    settings.EXCHANGE_RETRY_BASE_SECONDS = 0
    type(connection).objects.update(retry_at=None)
    OutboxMessage.objects.update(next_attempt_at=None)
    run_exchange()
    assert _incoming(b).count() == 3
    assert all(d.recipients.get().state == DeliveryState.DELIVERED for d in docs)


def test_hub_refusal_marks_the_message_failed_and_retry_requeues_it(province):
    (a, clerk), _ = province[SENDER], None
    stranger = factories.agency(code="000.00.77.H90", name="Cơ quan chưa có trên trục")
    doc = released(a, clerk, [stranger])
    outbox.send_pending()
    message = OutboxMessage.objects.get(document=doc)
    assert message.state == OutboxMessage.FAILED and "205" in message.last_error
    assert doc.recipients.get().state == DeliveryState.FAILED
    services.retry(clerk, message)
    message.refresh_from_db()
    assert message.state == OutboxMessage.PENDING


def test_not_interconnected_and_internal_recipients_do_not_travel(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    b.interconnected = False
    b.save()
    released(a, clerk, [b])
    assert not OutboxMessage.objects.exists()


def test_revoke_marks_the_receivers_copy_recalled(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    run_exchange()
    with transaction.atomic():
        records.set_state(doc, State.RECALLED, clerk, "document.recall", {"reason": "Ban hành sai thẩm quyền"})
    assert OutboxMessage.objects.filter(document=doc, business_type=1).count() == 1
    run_exchange()
    assert _incoming(b).get().state == State.RECALLED


def test_replace_marks_the_copy_replaced(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    run_exchange()
    with transaction.atomic():
        records.set_state(doc, State.REPLACED, clerk, "document.replace", {"reason": "Thay bằng văn bản mới"})
    run_exchange()
    assert _incoming(b).get().state == State.REPLACED


def test_update_changes_the_copy(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    run_exchange()
    Document.objects.filter(pk=doc.pk).update(subject="Về việc triển khai (cập nhật hạn)")
    doc.refresh_from_db()
    services.send_update(clerk, doc, "Sửa trích yếu")
    run_exchange()
    assert _incoming(b).get().subject == "Về việc triển khai (cập nhật hạn)"


@pytest.mark.parametrize("accept", [True, False])
def test_take_back_request_answered(province, accept):
    (a, clerk), (b, b_clerk) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    run_exchange()
    services.request_take_back(clerk, doc, "Phát hành nhầm")
    run_exchange()
    incoming = _incoming(b).get()
    assert services.pending_take_back(incoming).reason == "Phát hành nhầm"
    services.answer_take_back(b_clerk, incoming, accept)
    run_exchange()
    incoming.refresh_from_db()
    recipient = doc.recipients.get()
    if accept:
        assert incoming.state == State.RECALLED
        assert (recipient.status_code, recipient.state) == ("15", DeliveryState.RECALLED)
    else:
        assert incoming.state == State.RECEIVED
        assert recipient.status_code == "16" and recipient.state == DeliveryState.DELIVERED
    assert doc.take_back_requests.get().answer == ("15" if accept else "16")


def test_worker_killed_after_storing_before_acknowledging(province, monkeypatch):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    outbox.send_pending()
    real = inbox.acknowledge

    def crash(client, item, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(inbox, "acknowledge", crash)
    with pytest.raises(SystemExit):
        inbox.poll_all()
    assert _incoming(b).count() == 1  # stored, not acknowledged
    monkeypatch.setattr(inbox, "acknowledge", real)
    run_exchange()
    assert _incoming(b).count() == 1
    assert InboxItem.objects.filter(agency=b).count() == 1
    assert InboxItem.objects.get(agency=b).acknowledged_at is not None
    assert doc.recipients.get().status_code == "01"
    assert StatusEvent.objects.filter(recipient__document=doc, status_code="01").count() == 1


def test_same_package_sent_twice_is_delivered_once(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    doc = released(a, clerk, [b])
    outbox.send_pending()
    message = OutboxMessage.objects.get(document=doc)
    first = message.hub_doc_id
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.PENDING)  # as if the answer was lost
    outbox.send_pending()
    message.refresh_from_db()
    assert message.hub_doc_id == first
    run_exchange()
    assert _incoming(b).count() == 1
    assert InboxItem.objects.filter(agency=b, message_type="edoc").count() == 1


def test_delivery_history_for_the_document_page(province):
    (a, clerk), (b, _), (c, _) = province[SENDER], province[RECEIVER], province[THIRD]
    doc = released(a, clerk, [b, c])
    assert [h["state"] for h in services.delivery_history(doc)] == ["pending", "pending"]
    run_exchange()
    history = services.delivery_history(doc)
    assert {h["code"] for h in history} == {RECEIVER, THIRD}
    assert all(h["status_code"] == "01" and h["outbox"]["state"] == "sent" for h in history)


def test_a_received_attachment_leaves_no_temporary_copy_behind(province):
    """Each decoded attachment is spooled, stored in the blob store, and its spool file removed
    at once (not at the next start of the process): a province's exchange must not fill the disk."""
    import os

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b])
    outbox.send_pending()
    message = OutboxMessage.objects.get(message_type="edoc")
    connection = b.hub_connections.get()
    def spooled():
        return {name for folder in (inbox._spool_dir(), blobs._spool_dir()) for name in os.listdir(folder)}

    before = spooled()
    with outbox.package_path(message.package) as path:
        item = inbox.ingest_file(connection, "hub-doc-9", path, to_code=RECEIVER)
    assert item.outcome == InboxItem.STORED and item.document.attachments.count() == 1
    assert spooled() - before == set()


def test_a_received_package_and_its_file_are_moved_into_the_store_not_copied(province, settings, tmp_path,
                                                                           monkeypatch):
    """The download and each decoded file are written once, straight into the blob store's
    spool, then moved into place; so is the status package written back. Every temporary file
    the poll makes is one the store keeps (the same inodes), and none is left behind. Before,
    each went to a temporary file of its own and was copied into the spool: six files, three
    copies."""
    import os
    import tempfile

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b])
    outbox.send_pending()
    # The receiver's store starts empty, as on another e-office: what it receives is new to it.
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "receiver-blobs")}}}
    made = {}
    mkstemp = tempfile.mkstemp

    def counted(*args, **kwargs):
        fd, path = mkstemp(*args, **kwargs)
        made[os.fstat(fd).st_ino] = os.path.basename(path)
        return fd, path

    monkeypatch.setattr(tempfile, "mkstemp", counted)
    assert inbox.poll(b.hub_connections.get()) == 1
    monkeypatch.undo()
    item = InboxItem.objects.get(message_type="edoc", connection=b.hub_connections.get())
    status = OutboxMessage.objects.get(message_type="status", agency=b)
    kept = [item.package, item.document.attachments.get().blob, status.package]
    assert sorted(made) == sorted(os.stat(blobs.local_path(blob)).st_ino for blob in kept), made
    assert os.listdir(blobs._spool_dir()) == [] and os.listdir(inbox._spool_dir()) == []

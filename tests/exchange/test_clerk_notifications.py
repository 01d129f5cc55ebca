"""The receiving clerk is told what the interconnection did: an arrival, a recall, an update,
a replacement, in the bell and by e-mail; nobody else of the agency, and nobody twice."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from tests import factories
from vpdt.directory.roles import Role
from vpdt.exchange import services
from vpdt.exchange.models import InboxItem
from vpdt.records import services as records
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.workflow import notifications
from vpdt.workflow.models import Notification

from .conftest import RECEIVER, SENDER, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def _incoming(agency):
    return Document.objects.filter(agency=agency, direction=Direction.INCOMING)


def _bell(user):
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", "message"))


@pytest.fixture
def receiving(province):
    """The receiving agency's second clerk (with an e-mail address) and a specialist who is no clerk."""
    agency, clerk = province[RECEIVER]
    second = factories.person(agency, Role.CLERK)
    second.email = "vanthu2@snv.binhson.vn"
    second.save()
    specialist = factories.person(agency, Role.SPECIALIST)
    return agency, [clerk, second], specialist


def test_an_arrival_notifies_every_clerk_of_the_receiving_agency_and_no_one_else(province, receiving):
    (sender, sender_clerk) = province[SENDER]
    agency, clerks, specialist = receiving
    doc = released(sender, sender_clerk, [agency], subject="Về việc kiểm tra công tác văn thư năm 2026", urgency=1)
    run_exchange()
    incoming = _incoming(agency).get()
    for clerk in clerks:
        [(kind, text)] = _bell(clerk)
        assert kind == "exchange_arrived"
        assert text.startswith("Khẩn – Văn bản mới đến qua liên thông, chờ vào sổ: ")
        assert doc.code in text and "Về việc kiểm tra công tác văn thư năm 2026" in text
        assert "Văn phòng UBND tỉnh Bình Sơn" in text  # who sent it
        assert Notification.objects.get(user=clerk).document_id == incoming.pk
    assert not Notification.objects.filter(user=specialist).exists()
    assert not Notification.objects.filter(user=sender_clerk).exists()  # the sender's clerk is not told


def test_the_arrival_is_mailed_to_the_clerk_with_a_link_to_the_document(province, receiving, settings):
    settings.VPDT_SITE_URL = "https://vpdt.binhson.gov.vn"
    (sender, sender_clerk) = province[SENDER]
    agency, clerks, _ = receiving
    released(sender, sender_clerk, [agency], subject="Về việc báo cáo số liệu quý IV")
    run_exchange()
    mail.outbox.clear()
    assert notifications.deliver_emails() == 1  # the clerk with an address
    [message] = mail.outbox
    assert message.to == ["vanthu2@snv.binhson.vn"]
    assert "Văn bản mới đến qua liên thông" in message.subject
    assert f"https://vpdt.binhson.gov.vn/van-ban/{_incoming(agency).get().pk}/" in message.body
    assert notifications.deliver_emails() == 0  # mailed once


def test_a_recall_tells_the_clerks_with_the_senders_reason(province, receiving):
    (sender, sender_clerk) = province[SENDER]
    agency, clerks, _ = receiving
    doc = released(sender, sender_clerk, [agency])
    run_exchange()
    with transaction.atomic():
        records.set_state(doc, State.RECALLED, sender_clerk, "document.recall", {"reason": "Ban hành sai thẩm quyền"})
    run_exchange()
    assert _incoming(agency).get().state == State.RECALLED
    for clerk in clerks:
        kind, text = _bell(clerk)[-1]
        assert kind == "exchange_recalled"
        assert text.startswith("Cơ quan gửi đã thu hồi văn bản: ")
        assert text.endswith("Lý do: Ban hành sai thẩm quyền")


def test_an_update_tells_the_clerks(province, receiving):
    (sender, sender_clerk) = province[SENDER]
    agency, clerks, _ = receiving
    doc = released(sender, sender_clerk, [agency])
    run_exchange()
    Document.objects.filter(pk=doc.pk).update(subject="Về việc triển khai (cập nhật hạn)")
    doc.refresh_from_db()
    services.send_update(sender_clerk, doc, "Sửa trích yếu")
    run_exchange()
    kind, text = _bell(clerks[0])[-1]
    assert kind == "exchange_updated"
    assert "Cơ quan gửi đã cập nhật văn bản" in text and "Về việc triển khai (cập nhật hạn)" in text


def test_a_replacement_tells_the_clerks(province, receiving):
    (sender, sender_clerk) = province[SENDER]
    agency, clerks, _ = receiving
    doc = released(sender, sender_clerk, [agency])
    run_exchange()
    with transaction.atomic():
        records.set_state(doc, State.REPLACED, sender_clerk, "document.replace", {"reason": "Thay bằng văn bản mới"})
    run_exchange()
    kind, text = _bell(clerks[0])[-1]
    assert kind == "exchange_replaced"
    assert "Cơ quan gửi đã thay thế văn bản" in text and text.endswith("Lý do: Thay bằng văn bản mới")


def test_a_package_taken_in_again_notifies_nobody_twice(province, receiving):
    from vpdt.workflow import arrivals

    (sender, sender_clerk) = province[SENDER]
    agency, clerks, _ = receiving
    released(sender, sender_clerk, [agency])
    run_exchange()
    item = InboxItem.objects.get(agency=agency, message_type="edoc")
    incoming = _incoming(agency).get()
    # Announced again (what a package handled twice would do): the unique (person, key) skips
    # every row, without breaking the transaction.
    arrivals.on_package_handled(InboxItem, item=item, agency=agency, event="arrived", documents=[incoming])
    assert Notification.objects.filter(user__in=clerks).count() == 2
    assert arrivals.on_package_handled(InboxItem, item=item, agency=agency, event="updated",
                                       documents=[incoming]) == 2  # another event: told once more
    assert arrivals.on_package_handled(InboxItem, item=item, agency=agency, event="updated",
                                       documents=[incoming]) == 0  # that one asks first: nobody twice
    assert Notification.objects.filter(user__in=clerks).count() == 4


def test_the_electronic_copy_of_a_paper_registration_is_announced_not_duplicated(province, receiving):
    (sender, sender_clerk) = province[SENDER]
    agency, clerks, _ = receiving
    import datetime as dt

    paper = records.receive_incoming(clerks[0], agency, {
        "document_type": "CV", "subject": "Về việc triển khai văn phòng điện tử", "issuer_code": SENDER,
        "issuer_name": "Văn phòng UBND tỉnh Bình Sơn", "number": 1, "notation": "UBND-VP",
        "issued_date": dt.date(2026, 3, 2)})
    records.register_incoming(clerks[0], paper)
    released(sender, sender_clerk, [agency])
    run_exchange()
    assert _incoming(agency).get() == paper
    kind, text = _bell(clerks[0])[-1]
    assert kind == "exchange_reconciled"
    assert "Đã nhận bản điện tử của văn bản đã vào sổ từ bản giấy" in text

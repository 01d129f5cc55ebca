"""The statuses the e-office sends carry what the national SDK's peers read: a Description
for every status (01, 03-06 included) and StaffInfo, also for the automatic 01 on receipt."""

from __future__ import annotations

import pytest
from django.db import transaction

from vpdt import edxml
from vpdt.exchange import outbox, statuses
from vpdt.exchange.models import OutboxMessage
from vpdt.records import services as records
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document

from .conftest import RECEIVER, SENDER, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def _sent_statuses(agency) -> dict[str, edxml.StatusPackage]:
    out = {}
    for message in OutboxMessage.objects.filter(agency=agency, message_type=OutboxMessage.STATUS).order_by("id"):
        with outbox.package_path(message.package) as path:
            out[message.status_code] = edxml.read_package(path, attachment_sink=None, strict=True,
                                                          verify_signature=False)
    return out


def test_every_status_goes_out_with_its_description_and_staff(province):
    (a, clerk), (b, b_clerk) = province[SENDER], province[RECEIVER]
    b.email, b.phone = "snv@binhson.gov.vn", "0276 3822 000"
    b.save()
    released(a, clerk, [b])
    run_exchange()
    incoming = Document.objects.get(agency=b, direction=Direction.INCOMING)
    records.register_incoming(b_clerk, incoming)
    with transaction.atomic():
        for state in (State.ASSIGNED, State.IN_PROGRESS, State.COMPLETED):
            records.set_state(incoming, state, b_clerk, f"test.{state}")
    run_exchange()
    sent = _sent_statuses(b)
    assert set(sent) == {"01", "03", "04", "05", "06"}
    for code, status in sent.items():
        assert status.description and status.description.startswith(statuses.DESCRIPTIONS[code]), (code, status)
        assert status.staff is not None and status.staff.staff and status.staff.department, code
    receipt = sent["01"].staff  # nobody acted: the agency's clerical office reports it
    assert (receipt.department, receipt.email, receipt.mobile) == ("Văn thư", "snv@binhson.gov.vn", "0276 3822 000")
    assert receipt.staff == f"Văn thư {b.name}"
    assert sent["03"].staff.staff == (b_clerk.get_full_name() or b_clerk.get_username())


def test_a_reason_is_the_description_itself():
    assert statuses.describe("02", "Gửi nhầm cơ quan") == "Gửi nhầm cơ quan"
    assert statuses.describe("05", "Chuyển phòng Tổ chức") == "Đang xử lý: Chuyển phòng Tổ chức"
    assert statuses.describe("06") == statuses.DESCRIPTIONS["06"]
    assert statuses.describe("01", "Đã đến") == statuses.DESCRIPTIONS["01"]  # not said twice

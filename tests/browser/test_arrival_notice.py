"""An arrival notified to the receiving clerk: Sở KH&CN releases a document to Sở Tài chính over
the province hub; Sở Tài chính's clerk sees it in the bell, at desktop and on a phone, what needs
them first, opens it from there; when the sender recalls it, the bell says so too."""

from __future__ import annotations

import io
import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests import factories
from vpdt.demo import pdf

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

SUBJECT = "Về việc báo cáo tình hình sử dụng kinh phí chuyển đổi số năm 2026"


def _release_from_skhcn_to_stc():
    """What Sở KH&CN's clerk does on the document page (walked in test_daily_work): number and release."""
    from vpdt.directory.models import Agency, User
    from vpdt.records.choices import State
    from vpdt.records.models import Attachment
    from vpdt.records.services import add_attachment
    from vpdt.workflow import services as workflow

    skhcn, stc = Agency.objects.get(code="000.00.13.H90"), Agency.objects.get(code="000.00.03.H90")
    clerk = User.objects.get(username="skhcn.vanthu")
    document = factories.document(skhcn, state=State.APPROVED, subject=SUBJECT, notation="SKHCN-KHTC",
                                  signer_name="Nguyễn Văn An", signer_position="Giám đốc", place="Bình Sơn")
    data = pdf.document_pdf(agency="SỞ KHOA HỌC VÀ CÔNG NGHỆ", code="…/SKHCN-KHTC", date_text="Bình Sơn, 2026",
                            title="CÔNG VĂN", subject=SUBJECT, body="Đề nghị Sở Tài chính tổng hợp.",
                            signer_title="GIÁM ĐỐC", signer_name="Nguyễn Văn An")
    add_attachment(None, document, io.BytesIO(data), "cong-van.pdf", content_type="application/pdf",
                   kind=Attachment.Kind.MAIN)
    document = workflow.issue_number(clerk, document)
    with transaction.atomic():
        workflow.set_recipients(clerk, document, agencies=[stc])
        workflow.release(clerk, document)
    return clerk, document


def _interconnect(rounds: int = 3) -> None:
    from vpdt.core import tasks

    for _ in range(rounds):
        tasks.run_once()


def test_an_arrival_notified_to_the_receiving_clerk(people, shot, live_server, settings):
    settings.VPDT_SITE_URL = live_server.url  # the demo's agencies reach the hub embedded in it
    sender_clerk, sent = _release_from_skhcn_to_stc()
    _interconnect()

    clerk = people.login("stc.vanthu")
    bell = clerk.get_by_test_id("bell")
    expect(bell).to_have_attribute("aria-label", re.compile(r"Thông báo \(\d+\)"))
    bell.click()
    expect(clerk.get_by_role("heading", name="Thông báo", exact=True)).to_be_visible()
    waiting = clerk.get_by_test_id("notifications-action")
    notice = waiting.get_by_test_id("notification").filter(has_text=SUBJECT)
    expect(notice).to_contain_text("Văn bản mới đến qua liên thông, chờ vào sổ")
    expect(notice).to_contain_text(sent.code)
    expect(notice).to_contain_text("Sở Khoa học và Công nghệ tỉnh Bình Sơn")
    expect(notice).to_contain_text("Mới")
    expect(waiting.get_by_test_id("action-unread")).to_contain_text("chưa đọc")
    # What needs the clerk comes first: the arrival is the first line of the bell.
    expect(waiting.get_by_test_id("notification").first).to_contain_text(SUBJECT)
    shot(clerk, "09-thong-bao-van-ban-den")
    notice.click()
    expect(clerk.get_by_test_id("subject")).to_contain_text(SUBJECT)
    expect(clerk.get_by_test_id("state")).to_have_text("Đã đến, chờ vào sổ")

    # On a phone the bell sits beside the menu button; the arrival is there, now read.
    phone = people.login("stc.vanthu", width=390, height=844)
    phone_bell = phone.locator("a.nav-bell:visible")
    expect(phone_bell).to_be_visible()
    phone_bell.click()
    notice = phone.get_by_test_id("notifications-action").get_by_test_id("notification").filter(has_text=SUBJECT)
    expect(notice).to_be_visible()
    expect(notice).not_to_contain_text("Mới")
    shot(phone, "10-dien-thoai-thong-bao", full_page=False)

    # The sender recalls it: the clerk's bell tells them, with the reason, for information.
    from vpdt.records import services as records
    from vpdt.records.choices import State

    with transaction.atomic():
        records.set_state(sent, State.RECALLED, sender_clerk, "document.recall", {"reason": "Sai số liệu"})
    _interconnect()
    phone.reload()
    recalled = phone.get_by_test_id("notifications-info").get_by_test_id("notification").filter(has_text=SUBJECT)
    expect(recalled).to_contain_text("Cơ quan gửi đã thu hồi văn bản")
    expect(recalled).to_contain_text("Lý do: Sai số liệu")

"""What the screens say is true, walked in a real browser at desktop and at phone width (issue 13).

The clerk's note reaches the director; the unit head's hint says the unit's real deadline and a
validation error keeps the chosen handler, the ticked co-handler and the typed instructions; the
specialist sees their own deadline; completing names the silent co-handler "Không xử lý"; the
clerk marks a paper copy sent and prints the envelope list; the timeline names every step.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect

from vpdt.demo import pdf
from vpdt.directory.models import Unit, User
from vpdt.records import services as records
from vpdt.records.choices import DeliveryState, RecipientKind, State
from vpdt.records.models import Document, DocumentType, Recipient
from vpdt.workflow import holidays, services
from vpdt.workflow.delegation import today

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def _incoming(subject: str) -> Document:
    clerk = User.objects.get(username="skhcn.vanthu")
    doc = services.receive_paper(clerk, clerk.agency, {
        "document_type": DocumentType.objects.get(code="CV"), "subject": subject, "issuer_name": "Bộ Nội vụ",
        "issuer_code": "000.00.00.G14", "number": 77, "notation": "BNV-VP", "issued_date": dt.date(2026, 3, 2)},
        scan=io.BytesIO(pdf.document_pdf(agency="BỘ NỘI VỤ", code="77/BNV-VP", date_text="Hà Nội, ngày 02/03/2026",
                                         title="CÔNG VĂN", subject=subject, body="Đề nghị rà soát.",
                                         signer_title="KT. BỘ TRƯỞNG", signer_name="Nguyễn Văn An")),
        scan_name="ban-quet.pdf")
    return services.register(clerk, doc, confirm_duplicate=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_handling_screens_tell_the_truth_and_keep_the_chosen_handler(people, shot, width):
    subject = f"Về việc rà soát hạ tầng số ({width} px)"
    doc = _incoming(subject)
    clerk = people.login("skhcn.vanthu", width=width)
    clerk.goto(f"/van-ban/{doc.pk}/")
    clerk.locator("#submit-note").fill("Đề nghị giao Phòng Chuyển đổi số")
    clerk.get_by_role("button", name="Trình", exact=True).click()
    expect(clerk.get_by_test_id("state")).to_have_text("Chờ lãnh đạo cho ý kiến")

    leader = people.login("skhcn.lanhdao", width=width)
    leader.goto(f"/van-ban/{doc.pk}/")
    expect(leader.get_by_test_id("submission-note")).to_contain_text("Đề nghị giao Phòng Chuyển đổi số")
    leader_user = User.objects.get(username="skhcn.lanhdao")
    agency = leader_user.agency
    unit_due = holidays.add_working_days(today(), 6)
    services.assign(leader_user, doc, main=Unit.objects.get(agency=agency, abbreviation="CĐS"),
                    co=[Unit.objects.get(agency=agency, abbreviation="BCVT")], deadline=unit_due,
                    instructions="Phòng CĐS chủ trì")

    head = people.login("skhcn.truongphong2", width=width)
    head.goto(f"/van-ban/{doc.pk}/phan-cong/")
    hint = head.get_by_test_id("deadline-hint")
    expect(hint).to_have_text(f"Không sau hạn của đơn vị: {unit_due:%d/%m/%Y} (còn 6 ngày làm việc).")
    specialist = User.objects.get(username="skhcn.chuyenvien2a")
    colleague = User.objects.get(username="skhcn.chuyenvien2b")
    # A slip: a deadline after the unit's. The error stands next to the deadline, and the chosen
    # handler, the ticked co-handler and the typed instructions are all still there.
    head.get_by_label("Cán bộ xử lý *").select_option(value=str(specialist.pk))
    head.get_by_role("group", name="Phối hợp").get_by_label(str(colleague)).check()
    head.get_by_label("Ý kiến chỉ đạo").fill("Đồng chí dự thảo báo cáo.")
    late = unit_due + dt.timedelta(days=10)
    head.get_by_label("Hạn xử lý").fill(f"{late:%d/%m/%Y}")
    head.get_by_role("button", name="Phân công").click()
    expect(head.locator("#deadline-error")).to_contain_text("không được sau hạn được giao")
    expect(head.get_by_label("Cán bộ xử lý *")).to_have_value(str(specialist.pk))
    expect(head.get_by_role("group", name="Phối hợp").get_by_label(str(colleague))).to_be_checked()
    expect(head.get_by_label("Ý kiến chỉ đạo")).to_have_value("Đồng chí dự thảo báo cáo.")
    shot(head, f"truth-giu-can-bo-xu-ly-{width}")
    own_due = holidays.add_working_days(today(), 3)
    head.get_by_label("Hạn xử lý").fill(f"{own_due:%d/%m/%Y}")
    head.get_by_role("button", name="Phân công").click()
    expect(head.get_by_test_id("state")).to_have_text("Đang xử lý")

    spec = people.login("skhcn.chuyenvien2a", width=width)
    row = spec.get_by_test_id("document-list").locator("tr", has_text=subject)
    expect(row.get_by_test_id("deadline")).to_contain_text(f"{own_due:%d/%m/%Y}")
    row.get_by_role("link", name=subject).click()
    expect(spec.get_by_test_id("own-deadline")).to_contain_text(f"Hạn xử lý của bạn: {own_due:%d/%m/%Y}")
    expect(spec.get_by_test_id("document-deadline")).to_contain_text(f"{unit_due:%d/%m/%Y}")
    spec.get_by_label("Kết quả xử lý").fill("Đã báo cáo")
    spec.get_by_role("button", name="Hoàn thành").click()
    expect(spec.get_by_test_id("state")).to_have_text("Hoàn thành")
    assignments = spec.get_by_test_id("assignments")
    expect(assignments).to_contain_text("Phòng Bưu chính, Viễn thông · Không xử lý")
    expect(assignments).not_to_contain_text("Phòng Bưu chính, Viễn thông · Đã xong")
    timeline = spec.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Ghi chú: Đề nghị giao Phòng Chuyển đổi số")
    expect(timeline).not_to_contain_text("document.")
    shot(spec, f"truth-khong-xu-ly-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_clerk_marks_a_paper_copy_sent_and_prints_the_envelopes(people, shot, width):
    clerk_user = User.objects.get(username="skhcn.vanthu")
    doc = (Document.objects.filter(agency=clerk_user.agency, state=State.RELEASED).order_by("id").first())
    records.import_recipients(clerk_user, doc, [Recipient(kind=RecipientKind.PAPER, name="Công an tỉnh Bình Sơn",
                                                          state=DeliveryState.PENDING)])
    clerk = people.login("skhcn.vanthu", width=width)
    clerk.goto(f"/van-ban/{doc.pk}/")
    recipients = clerk.get_by_test_id("recipients")
    paper = recipients.locator("li", has_text="Công an tỉnh Bình Sơn")
    expect(paper.get_by_test_id("recipient-state")).to_have_text("Chờ gửi")
    clerk.get_by_test_id("envelopes-link").click()
    expect(clerk.get_by_test_id("envelope").first).to_contain_text("Kính gửi: Công an tỉnh Bình Sơn")
    expect(clerk.get_by_test_id("envelope-list")).to_contain_text(doc.code)
    shot(clerk, f"truth-phong-bi-{width}")
    clerk.get_by_role("link", name="Về văn bản").click()
    paper = clerk.get_by_test_id("recipients").locator("li", has_text="Công an tỉnh Bình Sơn")
    paper.get_by_label("Hình thức gửi").select_option(label="Chuyển trực tiếp")
    paper.get_by_role("button", name="Đã gửi").click()
    expect(clerk.get_by_role("alert").filter(has_text="Đã ghi nhận gửi bản giấy")).to_be_visible()
    paper = clerk.get_by_test_id("recipients").locator("li", has_text="Công an tỉnh Bình Sơn")
    expect(paper.get_by_test_id("recipient-state")).to_have_text("Đã gửi")
    expect(clerk.get_by_test_id("timeline")).to_contain_text("Đã gửi bản giấy")
    expect(clerk.get_by_test_id("timeline")).to_contain_text("Hình thức gửi: Chuyển trực tiếp")


def test_a_direction_form_survives_an_expired_session_and_a_relogin(people, settings):
    """The session ends while the unit head is handing a document on: after signing in again the
    page comes back with the chosen handler, the ticked co-handler and the typed instructions."""
    from vpdt.demo.province import PASSWORD

    doc = _incoming("Về việc giữ nội dung khi hết phiên")
    leader = User.objects.get(username="skhcn.lanhdao")
    services.assign(leader, doc, main=Unit.objects.get(agency=leader.agency, abbreviation="CĐS"),
                    deadline=holidays.add_working_days(today(), 8))
    head = people.login("skhcn.truongphong2")
    settings.VPDT_SESSION_IDLE_SECONDS = 15  # this page's timer: it warns, then ends the session
    head.goto(f"/van-ban/{doc.pk}/phan-cong/")
    specialist = User.objects.get(username="skhcn.chuyenvien2a")
    colleague = User.objects.get(username="skhcn.chuyenvien2b")
    head.get_by_label("Cán bộ xử lý *").select_option(value=str(specialist.pk))
    head.get_by_role("group", name="Phối hợp").get_by_label(str(colleague)).check()
    head.get_by_label("Ý kiến chỉ đạo").fill("Đồng chí dự thảo, báo cáo trước hạn.")
    expect(head).to_have_url(re.compile(r"/dang-nhap/\?next="), timeout=30_000)
    head.get_by_label("Tên đăng nhập").fill("skhcn.truongphong2")
    head.get_by_label("Mật khẩu").fill(PASSWORD)
    head.get_by_role("button", name="Đăng nhập").click()
    expect(head).to_have_url(re.compile(rf"/van-ban/{doc.pk}/phan-cong/$"))
    expect(head.get_by_role("status").filter(has_text="Đã điền lại")).to_be_visible()
    expect(head.get_by_label("Cán bộ xử lý *")).to_have_value(str(specialist.pk))
    expect(head.get_by_role("group", name="Phối hợp").get_by_label(str(colleague))).to_be_checked()
    expect(head.get_by_label("Ý kiến chỉ đạo")).to_have_value("Đồng chí dự thảo, báo cáo trước hạn.")

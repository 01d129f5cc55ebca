"""The daily work walked in a real browser by the demo province's people, logging in as they would.

Incoming: the clerk registers a paper document, the director assigns it with a deadline to a
unit, the unit head hands it to a specialist, who gives an opinion and completes it.
Outgoing: a specialist drafts, the two-step chain approves (unit head, then the director
signs), the clerk numbers and releases it to two internal units, which see it arrive, and to
another agency of the province, whose delivery waits for the interconnection ("Chờ gửi").
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from vpdt.demo import pdf
from vpdt.directory.models import User

# serialized_rollback: the flush after each walk must give later tests back the seeded document types.
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

SUBJECT_IN = "Về việc kiểm tra công tác văn thư, lưu trữ năm 2026 tại các sở"
SUBJECT_OUT = "Về việc báo cáo kết quả triển khai văn phòng điện tử quý I"


def _pdf(subject: str, code: str) -> dict:
    data = pdf.document_pdf(agency="BỘ NỘI VỤ", code=code, date_text="Hà Nội, ngày 02/03/2026", title="CÔNG VĂN",
                            subject=subject, body="Đề nghị các cơ quan chuẩn bị hồ sơ, báo cáo theo đề cương.",
                            signer_title="KT. BỘ TRƯỞNG", signer_name="Nguyễn Văn An")
    return {"name": "ban-quet.pdf", "mimeType": "application/pdf", "buffer": data}


def _open_from_queue(page, subject: str):
    page.goto("/")
    link = page.get_by_role("link", name=subject)
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_test_id("subject")).to_contain_text(subject)


def test_incoming_paper_document_from_registration_to_completion(people, shot):
    clerk = people.login("skhcn.vanthu")
    clerk.get_by_role("link", name="Tiếp nhận văn bản").first.click()
    expect(clerk.get_by_role("heading", name="Tiếp nhận văn bản giấy")).to_be_visible()
    clerk.get_by_label("Bản quét (PDF)").set_input_files(_pdf(SUBJECT_IN, "15/BNV-VP"))
    clerk.get_by_label("Cơ quan ban hành *").fill("Bộ Nội vụ")
    clerk.get_by_label("Mã định danh").fill("000.00.00.G14")
    clerk.get_by_label("Số", exact=True).fill("15")
    clerk.get_by_label("Ký hiệu").fill("BNV-VP")
    clerk.get_by_label("Ngày ban hành").fill("02/03/2026")
    clerk.get_by_label("Độ khẩn").select_option(label="Khẩn")
    clerk.get_by_label("Trích yếu *").fill(SUBJECT_IN)
    clerk.get_by_role("button", name="Tiếp nhận").click()
    expect(clerk.get_by_role("alert").filter(has_text="Đã tiếp nhận và vào sổ, số đến")).to_be_visible()
    expect(clerk.get_by_test_id("state")).to_have_text("Đã vào sổ")
    expect(clerk.get_by_test_id("metadata")).to_contain_text("15/BNV-VP")
    director = User.objects.get(username="skhcn.lanhdao")
    clerk.get_by_label("Trình lãnh đạo").select_option(value=str(director.pk))
    clerk.get_by_role("button", name="Trình", exact=True).click()
    expect(clerk.get_by_test_id("state")).to_have_text("Chờ lãnh đạo cho ý kiến")

    leader = people.login("skhcn.lanhdao")
    expect(leader.get_by_role("heading", name="Công việc của tôi")).to_be_visible()
    row = leader.get_by_test_id("document-list").locator("tr", has_text=SUBJECT_IN)
    expect(row).to_contain_text("Khẩn")
    expect(row).to_have_class(re.compile("urgent-row"))
    shot(leader, "01-danh-sach-cho-xu-ly")
    row.get_by_role("link", name=SUBJECT_IN).click()
    leader.get_by_role("link", name="Phân công xử lý").click()
    # A slip first: no main handler and a past deadline. The page says why next to each field
    # and keeps the co-handler the director had ticked.
    co_handler = leader.get_by_role("group", name="Phối hợp").get_by_label("Phòng Bưu chính, Viễn thông")
    co_handler.check()
    leader.get_by_label("Hạn xử lý").fill("01/01/2020")
    leader.get_by_role("button", name="Phân công").click()
    expect(leader.locator("#main-error")).to_have_text("Cần chọn đơn vị hoặc cán bộ chủ trì.")
    expect(leader.locator("#deadline-error")).to_have_text("Hạn xử lý không được trước hôm nay.")
    expect(co_handler).to_be_checked()
    expect(leader.get_by_label("Hạn xử lý")).to_have_value("01/01/2020")
    shot(leader, "03b-phan-cong-loi")
    # Back to the document and a fresh form (the user guide's picture of it is an empty one).
    leader.get_by_role("link", name="Hủy").click()
    leader.get_by_role("link", name="Phân công xử lý").click()
    expect(leader.locator("#main-error")).to_have_count(0)
    leader.get_by_label("Chủ trì xử lý *").select_option(label="Phòng Chuyển đổi số")
    leader.get_by_role("group", name="Phối hợp").get_by_label("Phòng Bưu chính, Viễn thông").check()
    leader.get_by_label("Hạn xử lý").fill("")
    deadline = leader.evaluate("() => { const d = new Date(Date.now() + 20*864e5);"
                               " return [d.getDate(), d.getMonth()+1, d.getFullYear()]"
                               ".map((n, i) => i < 2 ? String(n).padStart(2, '0') : n).join('/'); }")
    leader.get_by_label("Hạn xử lý").fill(deadline)
    leader.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng Chuyển đổi số chủ trì, báo cáo trước hạn.")
    shot(leader, "03-phan-cong")
    leader.get_by_role("button", name="Phân công").click()
    expect(leader.get_by_role("alert").filter(has_text="Đã phân công xử lý")).to_be_visible()
    expect(leader.get_by_test_id("state")).to_have_text("Đã phân công")
    expect(leader.get_by_test_id("assignments")).to_contain_text("Phòng Chuyển đổi số")
    expect(leader.get_by_test_id("metadata")).to_be_visible()
    expect(leader.get_by_text(f"Hạn xử lý: {deadline}")).to_be_visible()

    head = people.login("skhcn.truongphong2")
    _open_from_queue(head, SUBJECT_IN)
    head.get_by_role("link", name="Giao cán bộ xử lý").click()
    specialist = User.objects.get(username="skhcn.chuyenvien2a")
    head.get_by_label("Cán bộ xử lý *").select_option(value=str(specialist.pk))
    head.get_by_label("Ý kiến chỉ đạo").fill("Đồng chí dự thảo báo cáo.")
    head.get_by_role("button", name="Phân công").click()
    expect(head.get_by_test_id("state")).to_have_text("Đang xử lý")
    expect(head.get_by_test_id("assignments")).to_contain_text(str(specialist))

    spec = people.login("skhcn.chuyenvien2a")
    _open_from_queue(spec, SUBJECT_IN)
    spec.get_by_label("Ý kiến xử lý").fill("Đã rà soát hồ sơ văn thư, đề xuất báo cáo theo đề cương.")
    spec.get_by_role("button", name="Gửi ý kiến").click()
    expect(spec.get_by_role("alert").filter(has_text="Đã ghi ý kiến")).to_be_visible()
    expect(spec.get_by_test_id("timeline")).to_contain_text("Đã rà soát hồ sơ văn thư")
    spec.get_by_label("Kết quả xử lý").fill("Đã báo cáo")
    spec.get_by_role("button", name="Hoàn thành").click()
    expect(spec.get_by_test_id("state")).to_have_text("Hoàn thành")
    timeline = spec.get_by_test_id("timeline")
    for step in ("Tiếp nhận văn bản", "Vào sổ văn bản đến", "Trình lãnh đạo", "Lãnh đạo phân công xử lý",
                 "Lãnh đạo đơn vị giao xử lý", "Cho ý kiến", "Hoàn thành xử lý"):
        expect(timeline).to_contain_text(step)
    expect(spec.locator("#pdf-pages canvas").first).to_be_visible()
    shot(spec, "02-trang-van-ban")
    phone = people.login("skhcn.chuyenvien2a", width=390, height=844)
    phone.goto(spec.url)
    expect(phone.locator("#pdf-pages canvas").first).to_be_visible()
    shot(phone, "07-dien-thoai-van-ban", full_page=False)
    phone.goto("/viec/following/")
    expect(phone.get_by_role("link", name=SUBJECT_IN)).to_be_visible()
    shot(phone, "06-dien-thoai-danh-sach", full_page=False)

    # The clerk looks it up by typing, without diacritics: the list answers in place (HTMX),
    # the page is not reloaded, and the address keeps the search for the back button.
    clerk.get_by_role("link", name="Văn bản đến").first.click()
    clerk.evaluate("() => { window.__notReloaded = true; }")
    clerk.get_by_label("Tìm nhanh").press_sequentially("kiem tra cong tac van thu", delay=20)
    listing = clerk.get_by_test_id("document-list")
    expect(listing.get_by_role("link", name=SUBJECT_IN)).to_be_visible()
    expect(clerk.get_by_test_id("count")).to_have_text("1 văn bản")
    expect(clerk).to_have_url(re.compile(r"/van-ban-den/\?q=kiem(\+|%20)tra(\+|%20)cong(\+|%20)tac(\+|%20)van(\+|%20)thu(&|$)"))
    assert clerk.evaluate("() => window.__notReloaded") is True
    clerk.get_by_label("Trạng thái").select_option(label="Đã vào sổ")
    expect(listing).to_contain_text("Không có văn bản nào.")
    assert clerk.evaluate("() => window.__notReloaded") is True


def _interconnect(rounds: int = 3) -> None:
    """What the worker does in the background: send the outbox, poll the hub, send statuses."""
    from vpdt.core import tasks

    for _ in range(rounds):
        tasks.run_once()


def test_outgoing_draft_approval_numbering_and_release(people, shot, live_server, settings):
    settings.VPDT_SITE_URL = live_server.url  # the demo's agencies reach the hub embedded in it
    spec = people.login("skhcn.chuyenvien2a")
    spec.get_by_role("link", name="Soạn dự thảo").first.click()
    spec.get_by_label("Trích yếu *").fill(SUBJECT_OUT)
    spec.get_by_label("Tệp dự thảo (.docx hoặc .pdf) *").set_input_files(
        {**_pdf(SUBJECT_OUT, "…/SKHCN-CĐS"), "name": "du-thao-bao-cao.pdf"})
    spec.get_by_label("Văn phòng Sở").check()
    spec.get_by_label("Phòng Bưu chính, Viễn thông").check()
    spec.get_by_label("Cơ quan khác (liên thông)").press_sequentially("tai chinh")  # the picker (web/picker.js)
    spec.get_by_role("option", name="Sở Tài chính tỉnh Bình Sơn").click()
    shot(spec, "04-soan-du-thao")
    spec.get_by_role("button", name="Lưu và trình duyệt").click()
    expect(spec.get_by_role("alert").filter(has_text="Đã lưu dự thảo và trình duyệt")).to_be_visible()
    expect(spec.get_by_test_id("state")).to_have_text("Chờ duyệt")
    expect(spec.get_by_test_id("reviews")).to_contain_text("Lãnh đạo phòng duyệt nội dung")

    head = people.login("skhcn.truongphong2")
    _open_from_queue(head, SUBJECT_OUT)
    head.get_by_role("button", name="Duyệt", exact=True).click()
    expect(head.get_by_role("alert").filter(has_text="Đã duyệt.")).to_be_visible()
    expect(head.get_by_test_id("state")).to_have_text("Chờ duyệt")

    leader = people.login("skhcn.lanhdao")
    _open_from_queue(leader, SUBJECT_OUT)
    expect(leader.locator("#pdf-pages canvas").first).to_be_visible()
    shot(leader, "05-duyet-ky")
    leader.get_by_label("Ý kiến duyệt").fill("Đồng ý ban hành.")
    leader.get_by_role("button", name="Duyệt ký").click()
    expect(leader.get_by_test_id("what-is-signed")).to_contain_text(SUBJECT_OUT)  # what will be signed
    leader.get_by_role("button", name="Xác nhận duyệt ký").click()
    expect(leader.get_by_test_id("state")).to_have_text("Đã duyệt, chờ phát hành")

    clerk = people.login("skhcn.vanthu")
    _open_from_queue(clerk, SUBJECT_OUT)
    clerk.get_by_role("button", name="Kiểm tra thể thức, cấp số").click()
    expect(clerk.get_by_role("alert").filter(has_text=re.compile(r"Đã cấp số \d+/SKHCN-CĐS"))).to_be_visible()
    clerk.get_by_label("Xác nhận phát hành tới mọi nơi nhận").check()
    clerk.get_by_role("button", name="Phát hành").click()
    expect(clerk.get_by_test_id("state")).to_have_text("Đã phát hành")
    recipients = clerk.get_by_test_id("recipients")
    expect(recipients.locator("li", has_text="Văn phòng Sở")).to_contain_text("Đã đến")
    expect(recipients.locator("li", has_text="Phòng Bưu chính, Viễn thông")).to_contain_text("Đã đến")
    expect(recipients.locator("li", has_text="Sở Tài chính tỉnh Bình Sơn")).to_contain_text("Chờ gửi")
    shot(clerk, "08-phat-hanh")

    for username in ("skhcn.truongphong1", "skhcn.truongphong3"):
        unit_head = people.login(username)
        expect(unit_head.get_by_role("link", name="Thông báo (1)").or_(
            unit_head.locator("[data-testid=bell]"))).to_be_visible()
        _open_from_queue(unit_head, SUBJECT_OUT)
        unit_head.get_by_role("button", name="Xác nhận đã nhận").click()
        expect(unit_head.get_by_role("alert").filter(has_text="Đã xác nhận nhận văn bản")).to_be_visible()
        expect(unit_head.get_by_test_id("recipients")).to_contain_text("Đã tiếp nhận")

    # Through the province hub, the other agency receives it ("đã đến") and registers it;
    # the sender sees each step as that receiver's status.
    _interconnect()
    stc = people.login("stc.vanthu")
    _open_from_queue(stc, SUBJECT_OUT)
    expect(stc.get_by_test_id("state")).to_have_text("Đã đến, chờ vào sổ")
    expect(stc.get_by_test_id("metadata")).to_contain_text("Sở Khoa học và Công nghệ tỉnh Bình Sơn")
    stc.get_by_role("button", name="Vào sổ", exact=True).click()
    expect(stc.get_by_test_id("state")).to_have_text("Đã vào sổ")
    _interconnect()
    clerk.reload()
    expect(clerk.get_by_test_id("recipients").locator("li", has_text="Sở Tài chính tỉnh Bình Sơn")).to_contain_text(
        "Đã tiếp nhận")

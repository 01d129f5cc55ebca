"""Working faster (issue 13), walked in a real browser at desktop and phone width: a reply drafted
from an incoming document; three documents directed at once with a canned direction; unread
rows, a column sort, a saved filter; files dropped on a draft with a progress bar."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from vpdt.demo import pdf
from vpdt.directory.models import Agency, User
from vpdt.records.choices import State
from vpdt.records.models import Document, DocumentType
from vpdt.workflow import services

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

SKHCN, STC = "000.00.13.H90", "000.00.03.H90"
WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def _login(people, username: str, width: int):
    return people.login(username, width=width, height=844 if width < 500 else 860)


def _arrived(subject: str, number: int, *, directed_to=None) -> Document:
    """A document of Sở Tài chính arrives at Sở KH&CN, registered and submitted to the director
    (and directed to `directed_to` when given), through the services the clerk's pages call."""
    agency, stc = Agency.objects.get(code=SKHCN), Agency.objects.get(code=STC)
    clerk, leader = User.objects.get(username="skhcn.vanthu"), User.objects.get(username="skhcn.lanhdao")
    doc = services.receive_paper(clerk, agency, {
        "document_type": DocumentType.objects.get(code="CV"), "subject": subject, "issuer_name": stc.name,
        "issuer_code": stc.code, "number": number, "notation": "STC-QLNS", "issued_date": dt.date(2026, 3, 2)})
    services.register(clerk, doc, confirm_duplicate=True)
    services.submit_to_leader(clerk, doc, leader=leader)
    if directed_to is not None:
        services.assign(leader, doc, main=directed_to)
    return doc


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reply_is_drafted_from_the_incoming_document_and_linked_to_it(people, shot, width):
    subject = "Về việc đề nghị báo cáo dự toán kinh phí chuyển đổi số năm 2027"
    spec = User.objects.get(username="skhcn.chuyenvien2a")
    incoming = _arrived(subject, 77, directed_to=spec)
    page = _login(people, "skhcn.chuyenvien2a", width)
    page.goto(f"/van-ban/{incoming.pk}/")
    page.get_by_role("button", name="Soạn văn bản trả lời").click()
    expect(page.get_by_role("alert").filter(has_text="Đã tạo dự thảo văn bản trả lời")).to_be_visible()
    expect(page.get_by_test_id("subject")).to_have_text(
        "V/v trả lời Công văn số 77/STC-QLNS ngày 02/03/2026 của Sở Tài chính tỉnh Bình Sơn")
    expect(page.get_by_test_id("state")).to_have_text("Dự thảo")
    expect(page.get_by_test_id("recipients")).to_contain_text("Sở Tài chính tỉnh Bình Sơn")
    expect(page.get_by_test_id("response-for")).to_contain_text("77/STC-QLNS")
    expect(page.get_by_label("Tải lên tệp dự thảo (.docx, .pdf)")).to_be_visible()
    shot(page, f"13-tra-loi-{width}", full_page=width > 500)
    # The incoming document names its reply, one click away.
    page.get_by_test_id("response-for").get_by_role("link").click()
    expect(page.get_by_test_id("subject")).to_contain_text(subject)
    expect(page.get_by_test_id("answered-by")).to_contain_text("V/v trả lời Công văn số 77/STC-QLNS")


@pytest.mark.parametrize("width", WIDTHS)
def test_three_documents_directed_at_once_with_a_canned_direction(people, shot, width):
    from vpdt.demo.directions import extend_demo

    extend_demo({})  # the demo's canned directions (the browser walks load the demo without them)
    subjects = [f"Về việc góp ý dự thảo kế hoạch số hóa hồ sơ, đợt {i}" for i in (1, 2, 3)]
    docs = [_arrived(s, 80 + i) for i, s in enumerate(subjects)]
    leader = _login(people, "skhcn.lanhdao", width)
    listing = leader.get_by_test_id("document-list")
    for s in subjects:
        listing.locator("tr", has_text=s).get_by_role("checkbox").check()
    shot(leader, f"14-chon-nhieu-van-ban-{width}", full_page=width > 500)
    leader.get_by_test_id("bulk-actions").get_by_role("button", name="Phân công xử lý").click()
    expect(leader.get_by_role("heading", name="Phân công xử lý 3 văn bản")).to_be_visible()
    for s in subjects:
        expect(leader.get_by_test_id("bulk-documents")).to_contain_text(s)
    leader.get_by_label("Chủ trì xử lý *").select_option(label="Phòng Chuyển đổi số")
    leader.get_by_test_id("direction-texts").get_by_role(
        "button", name="Giao Phòng … chủ trì tham mưu, báo cáo trước ngày …").click()
    expect(leader.get_by_label("Ý kiến chỉ đạo")).to_have_value("Giao Phòng … chủ trì tham mưu, báo cáo trước ngày ….")
    leader.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng Chuyển đổi số chủ trì tham mưu, báo cáo trước ngày 30/12.")
    shot(leader, f"15-phan-cong-nhieu-{width}", full_page=width > 500)
    leader.get_by_role("button", name="Phân công", exact=True).click()
    expect(leader.get_by_role("alert").filter(has_text="Đã phân công xử lý 3 văn bản.")).to_be_visible()
    for doc in docs:
        doc.refresh_from_db()
        assert doc.state == State.ASSIGNED
        assert doc.assignments.get().instructions.startswith("Giao Phòng Chuyển đổi số chủ trì")
    for s in subjects:  # directed: no longer waiting for this leader
        expect(leader.get_by_test_id("document-list")).not_to_contain_text(s)


def test_unread_rows_a_sorted_column_and_a_saved_filter(people, shot):
    for i, s in enumerate(["Về việc Bê tông hóa đường nội bộ", "Về việc An toàn thông tin", "Về việc Cấp chứng thư số"]):
        _arrived(s, 90 + i)
    clerk = _login(people, "skhcn.vanthu", 1280)
    clerk.get_by_role("link", name="Văn bản đến").first.click()
    clerk.get_by_label("Tìm nhanh").press_sequentially("ve viec", delay=10)
    expect(clerk).to_have_url(re.compile(r"q=ve(\+|%20)viec"))  # the search as you type has answered
    listing = clerk.get_by_test_id("document-list")
    row = listing.locator("tr", has_text="Về việc An toàn thông tin")
    expect(row).to_have_class(re.compile("unread-row"))
    expect(row.get_by_test_id("unread-marker")).to_have_count(1)
    expect(clerk.get_by_test_id("unread-count")).to_contain_text("chưa đọc")
    # The header sorts in place, both ways, and the filters' "Sắp xếp" follows.
    clerk.get_by_role("link", name="Trích yếu").click()
    expect(clerk).to_have_url(re.compile(r"sort=subject"))
    expect(clerk.get_by_label("Sắp xếp")).to_have_value("subject")
    subjects = listing.get_by_role("link", name=re.compile("^Về việc (An|Bê|Cấp)"))
    expect(subjects).to_have_text(["Về việc An toàn thông tin", "Về việc Bê tông hóa đường nội bộ",
                                   "Về việc Cấp chứng thư số"])
    clerk.get_by_role("link", name="Trích yếu").click()
    expect(clerk).to_have_url(re.compile(r"sort=-subject"))
    expect(subjects.first).to_have_text("Về việc Cấp chứng thư số")
    # The filter set under a name: a quick link back to it.
    clerk.get_by_text("Lưu bộ lọc đang dùng").click()
    clerk.get_by_placeholder("Tên bộ lọc, ví dụ: Khẩn chờ xử lý").fill("Về việc, Z–A")
    clerk.get_by_role("button", name="Lưu bộ lọc").click()
    expect(clerk.get_by_role("alert").filter(has_text="Đã lưu bộ lọc “Về việc, Z–A”.")).to_be_visible()
    shot(clerk, "16-bo-loc-da-luu")
    clerk.get_by_role("link", name="Văn bản đến").first.click()
    clerk.get_by_test_id("saved-filters").get_by_role("link", name="Về việc, Z–A").click()
    expect(clerk).to_have_url(re.compile(r"q=ve(\+|%20)viec&sort=-subject"))
    # Opened once, a document is read.
    clerk.get_by_role("link", name="Về việc An toàn thông tin").click()
    clerk.go_back()
    clerk.reload()
    expect(clerk.get_by_test_id("document-list").locator("tr", has_text="Về việc An toàn thông tin")) \
        .not_to_have_class(re.compile("unread-row"))


def test_files_dropped_on_a_draft_are_sent_with_a_progress_bar_and_a_refused_one_is_named(people, shot):
    import io

    spec = User.objects.get(username="skhcn.chuyenvien2a")
    data = pdf.document_pdf(agency="SỞ KHOA HỌC VÀ CÔNG NGHỆ", code="…/SKHCN-CĐS", date_text="Bình Sơn, ngày …",
                            title="CÔNG VĂN", subject="Dự thảo", body="Nội dung.", signer_title="GIÁM ĐỐC",
                            signer_name="…")
    draft = services.create_draft(spec, {"document_type": DocumentType.objects.get(code="CV"),
                                         "subject": "Về việc phụ lục kèm theo dự thảo"},
                                  file=io.BytesIO(data), filename="du-thao.pdf")
    page = _login(people, "skhcn.chuyenvien2a", 1280)
    page.goto(f"/van-ban/{draft.pk}/")
    form = page.get_by_test_id("upload-attach")
    page.evaluate("""() => {
        const bar = document.querySelector('[data-testid=upload-attach] [data-upload-progress]');
        new MutationObserver(() => { if (!bar.hidden) sessionStorage.setItem('progress', bar.value); })
            .observe(bar, {attributes: true});
    }""")
    transfer = page.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const f of files) dt.items.add(new File([new Uint8Array(f.data)], f.name, {type: f.type}));
        return dt;
    }""", [{"name": "phu-luc-1.pdf", "type": "application/pdf", "data": list(data)},
           {"name": "phu-luc-2.pdf", "type": "application/pdf", "data": list(data)},
           {"name": "cai-dat.exe", "type": "application/octet-stream", "data": list(b"MZ" + b"\0" * 500)}])
    form.locator("[data-drop-zone]").dispatch_event("drop", {"dataTransfer": transfer})
    expect(form.locator("[data-upload-list] li")).to_have_count(3)
    expect(form.locator("[data-upload-list]")).to_contain_text("cai-dat.exe")
    shot(page, "17-keo-tha-tep")
    form.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_role("alert").filter(has_text="Đã lưu 2 tệp.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Tệp “cai-dat.exe” không được lưu")).to_be_visible()
    expect(page.get_by_test_id("attachments")).to_contain_text("phu-luc-2.pdf")
    assert page.evaluate("() => sessionStorage.getItem('progress')") == "100"
    assert sorted(draft.attachments.values_list("name", flat=True)) == ["phu-luc-1.pdf", "phu-luc-2.pdf"]

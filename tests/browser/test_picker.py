"""Picking recipients in a real browser (issue 13, Done when): a specialist types "tai chinh",
Sở Tài chính appears under its level of the tree and is chosen as a chip, and the draft saves
with it; on a phone (390 px: no Ctrl hint, big touch targets) and at desktop (with the keyboard).
The leader then asks a person, found by typing, to co-handle an incoming document."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from vpdt.demo import pdf
from vpdt.directory.models import FavouriteAgency, RecipientGroup
from vpdt.records.models import Document, Recipient
from vpdt.workflow.models import Assignment

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

STC = "Sở Tài chính tỉnh Bình Sơn"


def _file(subject: str) -> dict:
    data = pdf.document_pdf(agency="SỞ KHOA HỌC VÀ CÔNG NGHỆ", code="…/SKHCN-CĐS", date_text="Bình Sơn",
                            title="CÔNG VĂN", subject=subject, body="Đề nghị Sở Tài chính phối hợp.",
                            signer_title="GIÁM ĐỐC", signer_name="")
    return {"name": "du-thao.pdf", "mimeType": "application/pdf", "buffer": data}


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_picking_a_recipient_by_typing_tai_chinh(people, shot, width):
    from vpdt.demo import recipients as demo_groups

    demo_groups.extend_demo({})  # the browser walks' demo leaves the groups out: the picker offers them
    subject = f"Về việc phối hợp lập dự toán ngân sách ({width} px)"
    spec = people.login("skhcn.chuyenvien2a", width=width)
    spec.goto("/van-ban-di/du-thao/")
    spec.get_by_label("Trích yếu *").fill(subject)
    spec.get_by_label("Tệp dự thảo (.docx hoặc .pdf) *").set_input_files(_file(subject))
    search = spec.get_by_label("Cơ quan khác (liên thông)")
    expect(search).to_have_attribute("role", "combobox")
    expect(spec.get_by_text("Giữ Ctrl (hoặc ⌘) để chọn nhiều.")).to_be_hidden()  # no Ctrl hint once searchable
    search.press_sequentially("tai chinh")
    option = spec.get_by_role("option", name=STC)
    expect(option).to_be_visible()
    expect(spec.get_by_role("listbox").get_by_text("Sở, ban, ngành, cấp huyện")).to_be_visible()
    if width < 576:
        assert option.bounding_box()["height"] >= 44  # a thumb's target
        shot(spec, "13-chon-noi-nhan-dien-thoai", full_page=False)
        option.click()
    else:
        search.press("Enter")  # the first match is active: the keyboard alone chooses it
    chip = spec.get_by_test_id("picker-chip").filter(has_text=STC)
    expect(chip).to_be_visible()
    expect(search).to_have_value("")
    wanted = {"000.00.03.H90"}
    if width >= 576:
        # A province-wide group is one entry: it becomes each of its agencies when the draft is saved.
        search.press_sequentially("cac so")
        expect(spec.get_by_role("listbox").get_by_text("Nhóm dùng chung toàn tỉnh")).to_be_visible()
        spec.get_by_role("option", name="Các sở, ban, ngành").click()
        expect(spec.get_by_test_id("picker-chip").filter(has_text="Nhóm: Các sở, ban, ngành")).to_be_visible()
        shot(spec, "13-chon-noi-nhan")
        # the chip's star marks Sở Tài chính as a favourite: next time it is offered first
        star = chip.get_by_role("button", name=f"Đánh dấu thường gửi: {STC}")
        star.click()
        expect(star).to_have_attribute("aria-pressed", "true")
        assert FavouriteAgency.objects.filter(user__username="skhcn.chuyenvien2a", agency__code="000.00.03.H90").exists()
        group = RecipientGroup.objects.get(name="Các sở, ban, ngành", agency=None)
        wanted |= set(group.members.exclude(code="000.00.13.H90").values_list("code", flat=True))
        assert len(wanted) >= 5
    spec.get_by_role("button", name="Lưu dự thảo").click()
    expect(spec.get_by_role("alert").filter(has_text="Đã lưu dự thảo.")).to_be_visible()
    expect(spec.get_by_test_id("recipients")).to_contain_text(STC)
    doc = Document.objects.get(subject=subject)
    assert set(Recipient.objects.filter(document=doc).values_list("agency__code", flat=True)) == wanted


def test_the_leader_finds_a_person_to_co_handle_by_typing_part_of_the_name(people, shot):
    import datetime as dt
    import io

    from vpdt.core.text import fold
    from vpdt.directory.models import User
    from vpdt.records.models import DocumentType
    from vpdt.workflow import services

    clerk, director = User.objects.get(username="skhcn.vanthu"), User.objects.get(username="skhcn.lanhdao")
    doc = services.receive_paper(clerk, clerk.agency, {
        "document_type": DocumentType.objects.get(code="CV"), "subject": "Về việc rà soát hạ tầng bưu chính",
        "issuer_name": "Bộ Thông tin và Truyền thông", "number": 21, "notation": "BTTTT-BC",
        "issued_date": dt.date(2026, 3, 2)}, scan=io.BytesIO(_file("x")["buffer"]), scan_name="scan.pdf")
    services.register(clerk, doc)
    services.submit_to_leader(clerk, doc, leader=director)
    colleague = User.objects.get(username="skhcn.chuyenvien3a")
    leader = people.login(director.username, width=390)
    leader.goto(f"/van-ban/{doc.pk}/phan-cong/")
    leader.get_by_label("Chủ trì xử lý *").select_option(label="Phòng Chuyển đổi số")
    co = leader.get_by_role("group", name="Phối hợp")
    co.get_by_role("searchbox").fill(fold(colleague.full_name))  # typed without accents
    expect(co.get_by_label("Phòng Bưu chính, Viễn thông")).to_be_hidden()  # filtered out
    co.get_by_label(str(colleague), exact=False).first.check()
    expect(co.get_by_test_id("picker-chip").first).to_contain_text(str(colleague))
    shot(leader, "14-phan-cong-phoi-hop-dien-thoai")
    leader.get_by_role("button", name="Phân công").click()
    expect(leader.get_by_role("alert").filter(has_text="Đã phân công xử lý.")).to_be_visible()
    assert Assignment.objects.filter(document=doc, user=colleague, role=Assignment.Role.CO).exists()


def test_the_clerk_picks_the_issuer_from_the_directory_and_its_code_fills_in(people):
    clerk = people.login("skhcn.vanthu")
    clerk.goto("/van-ban-den/tiep-nhan/")
    issuer = clerk.get_by_label("Cơ quan ban hành *")
    issuer.press_sequentially("noi vu")
    clerk.get_by_role("option", name="Sở Nội vụ tỉnh Bình Sơn").click()
    expect(issuer).to_have_value("Sở Nội vụ tỉnh Bình Sơn")
    expect(clerk.get_by_label("Mã định danh")).to_have_value("000.00.02.H90")
    # another name typed afterwards is free text (an organisation outside the directory): the code goes
    issuer.fill("Công ty TNHH Minh Phát")
    expect(clerk.get_by_label("Mã định danh")).to_have_value("")
    expect(clerk.get_by_role("option", name="Sở Nội vụ tỉnh Bình Sơn")).to_have_count(0)

"""Every POST goes through a Form: a refused one shows the page again with the Vietnamese
error next to the field, keeps what the person typed and chose, and changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import lxml.html

from tests import factories
from tests.factories import doc_type
from tests.workflow.walk import PDF, approved, assigned, draft, submitted
from vpdt.core.models import AuditEntry
from vpdt.records.choices import State
from vpdt.records.models import Document
from vpdt.workflow import services
from vpdt.workflow.models import Assignment, Delegation

TODAY = dt.date.today()
YESTERDAY = (TODAY - dt.timedelta(days=1)).strftime("%d/%m/%Y")
FUTURE = (TODAY + dt.timedelta(days=20)).strftime("%d/%m/%Y")


def page_of(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def error_next_to(tree, field_id: str) -> str:
    """The error shown right after the field (its `<id>-error` element), or "" when there is none."""
    found = tree.xpath(f'//*[@id="{field_id}-error"]')
    return found[0].text_content().strip() if found else ""


def checked(tree, name: str) -> set[str]:
    return set(tree.xpath(f'//input[@name="{name}"][@checked]/@value'))


def selected(tree, name: str) -> set[str]:
    return set(tree.xpath(f'//select[@name="{name}"]//option[@selected]/@value'))


def test_director_without_a_main_handler_sees_why_and_keeps_co_handlers_deadline_and_instructions(world, login):
    doc = submitted(world, leader=world.leader)
    audit_before = AuditEntry.objects.count()
    c = login(world.leader)
    tree = page_of(c.post(f"/van-ban/{doc.pk}/phan-cong/", {
        "main": "", "co": [f"u:{world.bcvt.pk}"], "info": [f"u:{world.vp.pk}"], "deadline": FUTURE,
        "instructions": "Phối hợp báo cáo trước hạn"}))
    assert error_next_to(tree, "main") == "Cần chọn đơn vị hoặc cán bộ chủ trì."
    assert "is-invalid" in tree.get_element_by_id("assign-main").get("class")
    assert checked(tree, "co") == {f"u:{world.bcvt.pk}"} and checked(tree, "info") == {f"u:{world.vp.pk}"}
    assert tree.get_element_by_id("deadline").get("value") == FUTURE
    assert tree.get_element_by_id("instructions").text_content().strip() == "Phối hợp báo cáo trước hạn"
    doc.refresh_from_db()
    assert doc.state == State.SUBMITTED and not Assignment.objects.filter(document=doc).exists()
    assert AuditEntry.objects.count() == audit_before


def test_director_with_a_deadline_in_the_past_sees_why_and_keeps_the_chosen_handlers(world, login):
    doc = submitted(world, leader=world.leader)
    c = login(world.leader)
    tree = page_of(c.post(f"/van-ban/{doc.pk}/phan-cong/", {
        "main": f"u:{world.cds.pk}", "co": [f"u:{world.bcvt.pk}", f"u:{world.vp.pk}"], "deadline": YESTERDAY}))
    assert error_next_to(tree, "deadline") == "Hạn xử lý không được trước hôm nay."
    assert error_next_to(tree, "main") == ""
    assert selected(tree, "main") == {f"u:{world.cds.pk}"}
    assert checked(tree, "co") == {f"u:{world.bcvt.pk}", f"u:{world.vp.pk}"}
    assert tree.get_element_by_id("deadline").get("value") == YESTERDAY
    doc.refresh_from_db()
    assert doc.state == State.SUBMITTED and doc.due_date is None
    assert not Assignment.objects.filter(document=doc).exists()


def test_a_bad_date_names_what_was_typed_next_to_the_field(world, login):
    doc = submitted(world, leader=world.leader)
    tree = page_of(login(world.leader).post(f"/van-ban/{doc.pk}/phan-cong/", {
        "main": f"p:{world.spec.pk}", "deadline": "31/02/2027"}))
    assert error_next_to(tree, "deadline") == "Ngày không hợp lệ: 31/02/2027 (dd/mm/yyyy)."
    assert selected(tree, "main") == {f"p:{world.spec.pk}"}
    assert not Assignment.objects.filter(document=doc).exists()


def test_unit_head_keeps_the_chosen_co_handlers_when_a_service_refuses_the_deadline(world, login):
    # The unit's own deadline is in five days: the service refuses a later one for its people.
    doc = assigned(world, deadline=TODAY + dt.timedelta(days=5))
    later = (TODAY + dt.timedelta(days=9)).strftime("%d/%m/%Y")
    c = login(world.head)
    tree = page_of(c.post(f"/van-ban/{doc.pk}/phan-cong/", {
        "handler": world.spec.pk, "co": [world.spec2.pk], "deadline": later, "instructions": "Dự thảo trả lời"}))
    assert error_next_to(tree, "deadline").startswith("Hạn xử lý không được sau hạn được giao")
    assert selected(tree, "handler") == {str(world.spec.pk)} and checked(tree, "co") == {str(world.spec2.pk)}
    assert tree.get_element_by_id("instructions").text_content().strip() == "Dự thảo trả lời"
    # Without a handler: said next to the handler, the co-handler still chosen.
    tree = page_of(c.post(f"/van-ban/{doc.pk}/phan-cong/", {"handler": "", "co": [world.spec2.pk]}))
    assert error_next_to(tree, "handler") == "Cần chọn cán bộ xử lý."
    assert checked(tree, "co") == {str(world.spec2.pk)}
    assert not Assignment.objects.filter(document=doc, parent__isnull=False).exists()
    doc.refresh_from_db()
    assert doc.state == State.ASSIGNED


def test_clerk_keeps_what_was_typed_when_a_date_is_wrong_and_nothing_is_received(world, login):
    c = login(world.clerk)
    before = Document.objects.count()
    scan = io.BytesIO(PDF)
    scan.name = "ban-quet.pdf"
    tree = page_of(c.post("/van-ban-den/tiep-nhan/", {
        "issuer_name": "Bộ Nội vụ", "document_type": doc_type("QD").pk, "subject": "Về việc kiểm tra công tác văn thư",
        "number": "12", "notation": "BNV-VP", "issued_date": "32/13/2026", "urgency": "2", "register_now": "1",
        "scan": scan}))
    assert error_next_to(tree, "issued_date") == "Ngày không hợp lệ: 32/13/2026 (dd/mm/yyyy)."
    assert tree.get_element_by_id("issuer_name").get("value") == "Bộ Nội vụ"
    assert tree.get_element_by_id("subject").text_content().strip() == "Về việc kiểm tra công tác văn thư"
    assert selected(tree, "document_type") == {str(doc_type("QD").pk)} and selected(tree, "urgency") == {"2"}
    # A number that is not one is said next to it, the rest still as typed.
    scan.seek(0)
    tree = page_of(c.post("/van-ban-den/tiep-nhan/", {
        "issuer_name": "Bộ Nội vụ", "document_type": doc_type("CV").pk, "subject": "Về việc kiểm tra",
        "number": "12a", "page_count": "0", "urgency": "0", "scan": scan}))
    assert error_next_to(tree, "number") == "Nhập một số nguyên, ví dụ 12."
    assert error_next_to(tree, "page_count") == "Nhập số từ 1 trở lên."
    assert tree.get_element_by_id("number").get("value") == "12a"
    assert Document.objects.count() == before


def test_drafter_without_a_file_keeps_the_chosen_recipients(world, login):
    c = login(world.spec)
    before = Document.objects.count()
    tree = page_of(c.post("/van-ban-di/du-thao/", {
        "subject": "Về việc báo cáo số liệu", "document_type": doc_type("CV").pk, "urgency": "1",
        "units": [world.vp.pk, world.bcvt.pk], "agencies": [world.other.pk], "emails": "a@example.vn",
        "submit_now": "1"}))
    assert error_next_to(tree, "file") == "Chọn tệp dự thảo (.docx hoặc .pdf)."
    assert checked(tree, "units") == {str(world.vp.pk), str(world.bcvt.pk)}
    assert selected(tree, "agencies") == {str(world.other.pk)}
    assert tree.get_element_by_id("emails").text_content().strip() == "a@example.vn"
    # A mistyped address is said next to the addresses, before anything is saved.
    f = io.BytesIO(factories.pdf_bytes("du thao"))
    f.name = "du-thao.pdf"
    tree = page_of(c.post("/van-ban-di/du-thao/", {
        "subject": "Về việc báo cáo số liệu", "document_type": doc_type("CV").pk, "urgency": "0", "file": f,
        "units": [world.vp.pk], "emails": "a@example.vn\nkhong-phai-thu"}))
    assert error_next_to(tree, "emails") == "Địa chỉ thư không hợp lệ: khong-phai-thu"
    assert checked(tree, "units") == {str(world.vp.pk)}
    assert Document.objects.count() == before


def test_a_refused_action_on_the_document_page_is_said_next_to_its_field(world, login):
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    c = login(world.head)
    # Sending back needs a comment: the service says so, next to the comment box.
    tree = page_of(c.post(f"/van-ban/{doc.pk}/send_back/", {"comment": "  "}))
    assert error_next_to(tree, "sendback") == "" and "Cần ghi ý kiến khi trả lại dự thảo." in tree.xpath(
        '//form[contains(@action, "/send_back/")]')[0].text_content()
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW
    # An unknown person to forward to: the Form refuses it before any service runs.
    tree = page_of(c.post(f"/van-ban/{doc.pk}/forward/", {"to": "999999", "comment": "Nhờ xem giúp"}))
    form = tree.xpath('//form[contains(@action, "/forward/")]')[0]
    assert "Người nhận chuyển tiếp không hợp lệ." in form.text_content()
    doc.refresh_from_db()
    assert doc.state == State.IN_REVIEW


def test_delegation_that_ends_before_it_starts_keeps_the_chosen_deputy(world, login):
    c = login(world.leader)
    tree = page_of(c.post("/uy-quyen/", {"deputy": world.deputy.pk, "starts_on": FUTURE, "ends_on": YESTERDAY,
                                         "reason": "Đi công tác"}))
    assert error_next_to(tree, "ends_on") == "Ngày kết thúc phải từ ngày bắt đầu trở đi."
    assert selected(tree, "deputy") == {str(world.deputy.pk)}
    assert tree.get_element_by_id("reason").get("value") == "Đi công tác"
    assert not Delegation.objects.exists()


def test_form_errors_follow_the_persons_language(world, login):
    doc = submitted(world, leader=world.leader)
    c = login(world.leader)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    tree = page_of(c.post(f"/van-ban/{doc.pk}/phan-cong/", {"main": "", "deadline": YESTERDAY}))
    assert error_next_to(tree, "main") == "Choose the lead unit or person."
    assert error_next_to(tree, "deadline") == "The deadline cannot be before today."


def test_the_clerk_completes_the_recipients_of_an_approved_document_before_releasing_it(world, login):
    """An approved document without recipients cannot be released: its page opens the Nơi nhận
    form for the clerk, the saved recipients are shown, and the release then goes through. The
    drafter no longer sees the form, and a released document's recipients are not changed."""
    from vpdt.records.models import Recipient

    doc = approved(world)
    Recipient.objects.filter(document=doc).delete()
    c = login(world.clerk)
    tree = page_of(c.get(f"/van-ban/{doc.pk}/"))
    box = tree.xpath('//details[@data-testid="release-recipients"]')
    assert box and box[0].get("open") is not None
    assert "chưa có, cần chọn trước khi phát hành" in box[0].xpath("./summary")[0].text_content()
    services.issue_number(world.clerk, doc)
    response = c.post(f"/van-ban/{doc.pk}/recipients/", {"agencies": [world.other.pk], "units": [world.vp.pk]},
                      follow=True)
    assert "Đã cập nhật nơi nhận." in response.content.decode()
    assert set(Recipient.objects.filter(document=doc).values_list("name", flat=True)) == {
        world.other.name, world.vp.name}
    box = page_of(c.get(f"/van-ban/{doc.pk}/")).xpath('//details[@data-testid="release-recipients"]')
    assert box and box[0].get("open") is None  # recipients chosen: folded, to add more
    response = c.post(f"/van-ban/{doc.pk}/release/", {"confirm": "on"}, follow=True)
    assert "Đã phát hành văn bản." in response.content.decode()
    doc.refresh_from_db()
    assert doc.state == State.RELEASED
    # once released, nobody changes them through the form
    assert not page_of(c.get(f"/van-ban/{doc.pk}/")).xpath('//details[@data-testid="release-recipients"]')
    before = AuditEntry.objects.count()
    c.post(f"/van-ban/{doc.pk}/recipients/", {"agencies": [], "units": [world.bcvt.pk]})
    assert Recipient.objects.filter(document=doc).count() == 2 and AuditEntry.objects.count() == before


def test_only_the_clerk_sets_the_recipients_of_an_approved_document(world, login):
    from vpdt.records.models import Recipient

    doc = approved(world)
    before = list(Recipient.objects.filter(document=doc).values_list("name", flat=True))
    c = login(world.spec)  # the drafter: the draft is approved, no longer theirs to change
    assert not page_of(c.get(f"/van-ban/{doc.pk}/")).xpath('//details[@data-testid="release-recipients"]')
    c.post(f"/van-ban/{doc.pk}/recipients/", {"units": [world.bcvt.pk]})
    assert list(Recipient.objects.filter(document=doc).values_list("name", flat=True)) == before

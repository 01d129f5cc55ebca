"""What the screens say is true (issue 13): each test states what a person sees."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils.timezone import localdate as today  # Vietnam's date, asked when used

from tests import factories
from tests.workflow.walk import PDF, assigned, draft, submitted
from vpdt.core import audit
from vpdt.records.choices import DeliveryState, RecipientKind, State
from vpdt.records.models import Recipient, Register
from vpdt.workflow import holidays, services
from vpdt.workflow.models import Assignment, Notification


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_outgoing_list_names_the_drafting_unit_not_the_document_type(world, login):
    draft(world, drafting_unit=world.cds)
    page = login(world.spec).get("/van-ban-di/").content.decode()
    row = page[page.index("<tbody>"):page.index("</tbody>")]
    assert "Phòng Chuyển đổi số" in row
    cells = re.findall(r'<td class="d-none d-lg-table-cell small">(.*?)</td>', row)
    assert cells == ["Phòng Chuyển đổi số"]


def test_the_specialist_sees_their_own_deadline_not_the_units(world, login):
    unit_due = holidays.add_working_days(today(), 15)
    own_due = holidays.add_working_days(today(), 5)
    doc = assigned(world, deadline=unit_due)
    services.reassign(world.head, doc, handler=world.spec, deadline=own_due)
    c = login(world.spec)
    queue = _text(c.get("/").content.decode())
    assert own_due.strftime("%d/%m/%Y") in queue and unit_due.strftime("%d/%m/%Y") not in queue
    page = c.get(f"/van-ban/{doc.pk}/").content.decode()
    own = re.search(r'data-testid="own-deadline">(.*?)</span></span>', page, re.S).group(1)
    assert "Hạn xử lý của bạn" in own and own_due.strftime("%d/%m/%Y") in own
    assert f"Hạn của văn bản: {unit_due:%d/%m/%Y}" in _text(page)
    # the leader, who has no assignment of their own, still sees the document's deadline
    leader_page = _text(login(world.leader).get(f"/van-ban/{doc.pk}/").content.decode())
    assert f"Hạn xử lý: {unit_due:%d/%m/%Y}" in leader_page and "Hạn xử lý của bạn" not in leader_page


def test_the_overdue_and_due_soon_tabs_count_the_specialists_own_deadline(world, login):
    from vpdt.workflow import queues

    unit_due = holidays.add_working_days(today(), 15)
    late = assigned(world, deadline=unit_due)  # the unit has weeks; the specialist's own day has passed
    services.reassign(world.head, late, handler=world.spec, deadline=holidays.add_working_days(today(), 2))
    Assignment.objects.filter(document=late, user=world.spec).update(deadline=today() - dt.timedelta(days=1))
    soon = assigned(world, deadline=unit_due, number=389, subject="Về việc báo cáo tiến độ dự án")
    services.reassign(world.head, soon, handler=world.spec, deadline=holidays.add_working_days(today(), 1))
    assert set(queues.overdue(world.spec)) == {late}
    assert set(queues.due_soon(world.spec)) == {soon}
    # the leader, who has no assignment of their own, goes by the documents' deadline: neither is late
    assert not {late, soon} & set(queues.overdue(world.leader))
    from django.urls import reverse

    page = _text(login(world.spec).get(reverse("workflow:queue", args=["overdue"])).content.decode())
    assert late.subject in page and soon.subject not in page


def test_completing_does_not_mark_a_co_handling_unit_done_that_never_acted(world, login):
    doc = assigned(world, deadline=holidays.add_working_days(today(), 10))
    services.reassign(world.head, doc, handler=world.spec)
    services.complete(world.spec, doc, summary="Đã trả lời")
    co = Assignment.objects.get(document=doc, unit=world.bcvt)
    info = Assignment.objects.get(document=doc, user=world.head_vp)
    assert co.state == Assignment.State.CLOSED and co.get_state_display() == "Không xử lý"
    assert info.state == Assignment.State.DONE  # for information: nothing stays open
    assert Assignment.objects.get(document=doc, unit=world.cds).state == Assignment.State.DONE
    page = _text(login(world.leader).get(f"/van-ban/{doc.pk}/").content.decode())
    assert "Phòng Bưu chính, Viễn thông · Không xử lý" in page
    assert "Phòng Bưu chính, Viễn thông · Đã xong" not in page


def test_a_co_handler_that_gave_an_opinion_is_done(world):
    doc = assigned(world, deadline=holidays.add_working_days(today(), 10))
    services.give_opinion(world.head_bcvt, doc, "Phòng BCVT thống nhất")
    services.reassign(world.head, doc, handler=world.spec)
    services.complete(world.spec, doc)
    assert Assignment.objects.get(document=doc, unit=world.bcvt).state == Assignment.State.DONE


def test_the_reassignment_hint_says_the_units_real_deadline(world, login):
    unit_due = holidays.add_working_days(today(), 4)
    doc = assigned(world, deadline=unit_due)
    page = _text(login(world.head).get(f"/van-ban/{doc.pk}/phan-cong/").content.decode())
    assert "10 ngày làm việc" not in page
    assert f"Không sau hạn của đơn vị: {unit_due:%d/%m/%Y} (còn 4 ngày làm việc)." in page
    leader_form = submitted(world, leader=world.leader, number=999)
    assert "10 ngày làm việc" in _text(login(world.leader).get(f"/van-ban/{leader_form.pk}/phan-cong/")
                                       .content.decode())


def test_the_clerks_note_reaches_the_leader(world, login):
    doc = services.register(world.clerk, services.receive_paper(world.clerk, world.agency, {
        "document_type": factories.doc_type("CV"), "subject": "Về việc kiểm tra", "issuer_name": "Bộ Nội vụ"},
        scan=io.BytesIO(PDF), scan_name="scan.pdf"))
    r = login(world.clerk).post(f"/van-ban/{doc.pk}/submit/", {"leader": world.leader.pk,
                                                               "note": "Đề nghị giao Phòng CĐS"}, follow=True)
    assert "Đã trình lãnh đạo" in r.content.decode()
    page = _text(login(world.leader).get(f"/van-ban/{doc.pk}/").content.decode())
    assert "Ghi chú của văn thư" in page and "Đề nghị giao Phòng CĐS" in page
    assert "Ghi chú: Đề nghị giao Phòng CĐS" in page  # in the story too
    assert "Đề nghị giao Phòng CĐS" in Notification.objects.get(user=world.leader, kind="submitted").message


def _released_with_paper(world):
    doc = draft(world)
    services.set_recipients(world.spec, doc, units=[world.vp], papers=["Công an tỉnh Bình Sơn"])
    services.submit_for_review(world.spec, doc)
    services.approve(world.head, doc, "Đồng ý")
    services.approve(world.leader, doc, "Ký")
    services.issue_number(world.clerk, doc)
    services.release(world.clerk, doc)
    doc.refresh_from_db()
    return doc


def test_a_paper_recipient_is_marked_sent_by_the_clerk_and_its_envelope_printed(world, login):
    doc = _released_with_paper(world)
    paper = Recipient.objects.get(document=doc, kind=RecipientKind.PAPER)
    assert paper.state == DeliveryState.PENDING
    c = login(world.clerk)
    page = c.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'data-testid="paper-sent-form"' in page and "In danh sách phong bì" in page
    envelopes = _text(c.get(f"/van-ban/{doc.pk}/phong-bi/").content.decode())
    assert "Kính gửi: Công an tỉnh Bình Sơn" in envelopes and doc.code in envelopes
    r = c.post(f"/van-ban/{doc.pk}/da-gui-giay/", {"recipient": paper.pk, "how": "post"}, follow=True)
    page = _text(r.content.decode())
    assert "Đã ghi nhận gửi bản giấy tới Công an tỉnh Bình Sơn" in page
    paper.refresh_from_db()
    assert paper.state == DeliveryState.SENT
    assert "Đã gửi bản giấy" in page and "Hình thức gửi: Bưu điện" in page
    assert [e.action for e in audit.history(doc)][-1] == "document.paper_sent"
    # sent once: a second mark is refused, nothing changes
    r = c.post(f"/van-ban/{doc.pk}/da-gui-giay/", {"recipient": paper.pk, "how": "post"}, follow=True)
    assert "Nơi nhận này không còn chờ gửi" in r.content.decode()


def test_only_the_clerk_marks_paper_sent(world, login):
    doc = _released_with_paper(world)
    paper = Recipient.objects.get(document=doc, kind=RecipientKind.PAPER)
    c = login(world.leader)
    assert 'data-testid="paper-sent-form"' not in c.get(f"/van-ban/{doc.pk}/").content.decode()
    assert c.get(f"/van-ban/{doc.pk}/phong-bi/").status_code == 403
    c.post(f"/van-ban/{doc.pk}/da-gui-giay/", {"recipient": paper.pk, "how": "post"})
    paper.refresh_from_db()
    assert paper.state == DeliveryState.PENDING


def test_the_receive_form_asks_secrecy_and_the_register(world, login):
    c = login(world.clerk)
    services.register(world.clerk, services.receive_paper(world.clerk, world.agency, {
        "document_type": factories.doc_type("CV"), "subject": "Mở sổ", "issuer_name": "Bộ Nội vụ"}))
    other_register = Register.objects.create(agency=world.other, direction="incoming", series="chung",
                                             year=today().year, name="Sổ của cơ quan khác")
    page = c.get("/van-ban-den/tiep-nhan/").content.decode()
    assert 'name="secrecy"' in page and 'name="register"' in page
    assert "Sổ của cơ quan khác" not in page and "Sổ văn bản đến chung" in page
    base = {"issuer_name": "Bộ Công an", "document_type": factories.doc_type("CV").pk, "subject": "Về việc mật",
            "urgency": "0", "register_now": "1"}
    ordinary = Register.objects.get(agency=world.agency, direction="incoming", series="chung")
    r = c.post("/van-ban-den/tiep-nhan/", {**base, "secrecy": "1", "register": ordinary.pk})
    assert r.status_code == 200
    assert "Văn bản mật vào sổ văn bản mật" in r.content.decode() and "Về việc mật" in r.content.decode()
    r = c.post("/van-ban-den/tiep-nhan/", {**base, "secrecy": "0", "register": other_register.pk})
    assert "Chọn một sổ văn bản đến của cơ quan" in r.content.decode()
    r = c.post("/van-ban-den/tiep-nhan/", {**base, "secrecy": "1"}, follow=True)
    doc = r.context["document"]
    assert doc.secrecy == 1 and doc.incoming_register.series == "mat"
    r = c.post("/van-ban-den/tiep-nhan/", {**base, "subject": "Thường", "secrecy": "0", "register": ordinary.pk},
               follow=True)
    assert r.context["document"].incoming_register == ordinary


def test_the_timeline_and_the_admin_history_never_show_an_action_code(world, login):
    doc = _released_with_paper(world)
    audit.record("signing.sign_person", doc, user=world.leader, detail={})
    audit.record("exchange.sent", doc, detail={})
    audit.record("exchange.revoked", doc, detail={})
    page = _text(login(world.clerk).get(f"/van-ban/{doc.pk}/").content.decode())
    assert "Ký số (người ký)" in page and "Đã gửi qua trục liên thông" in page
    assert not re.search(r"\b(signing|exchange|document)\.[a-z_]+\b", page)


@pytest.mark.parametrize("lang,expected", [("vi", "Ký số (người ký)"), ("en", "Signed (signer)")])
def test_the_timeline_speaks_the_persons_language(world, login, lang, expected):
    doc = _released_with_paper(world)
    audit.record("signing.sign_person", doc, user=world.leader, detail={})
    c = login(world.clerk)
    c.cookies["django_language"] = lang
    assert expected in c.get(f"/van-ban/{doc.pk}/").content.decode()


def test_the_demo_pairs_each_symbol_with_its_issuer():
    from vpdt.demo import loader

    source = loader.__file__
    text = open(source, encoding="utf-8").read()
    assert '("000.00.00.G22", "Văn phòng Chính phủ", "VPCP-KSTT")' in text
    assert 'rng.choice(["VPCP-KSTT", "BNV-VP", "UBND-VX"])' not in text
    assert State.SUBMITTED in loader.IMPORTED_ACTIONS


def test_in_english_mode_signature_verdicts_step_names_and_notification_kinds_are_english(world, login):
    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    check = {"overall": "valid", "failed": False, "attachment": {"name": "a.pdf"}, "checked_at": timezone.now(),
             "signatures": [{"summary": "modified", "message_vi": "Văn bản đã bị sửa đổi sau khi ký…",
                             "signer_subject": "CN=Nguyen Van A", "revocation_checked": True}]}
    with translation.override("en"):
        panel = _text(render_to_string("web/signing/_panel.html", {"checks": [check]}))
    assert "The document was changed after signing" in panel and "sửa đổi" not in panel
    with translation.override("vi"):
        panel = _text(render_to_string("web/signing/_panel.html", {"checks": [check]}))
    assert "Văn bản đã bị sửa đổi sau khi ký: không dùng bản này như bản gốc." in panel
    doc = draft(world)
    services.submit_for_review(world.spec, doc)
    Notification.objects.create(user=world.head, document=doc, kind="review", message="Dự thảo chờ duyệt: …")
    c = login(world.head)
    c.cookies["django_language"] = "en"
    page = _text(c.get(f"/van-ban/{doc.pk}/").content.decode())
    assert "Head of division reviews" not in page  # the test chain's own step name stays as typed…
    assert "Trưởng phòng duyệt" in page
    assert "Director signs" in page  # …a name the application wrote is translated
    assert "Draft waiting for review" in _text(c.get("/thong-bao/").content.decode())


def test_a_request_to_change_roles_names_the_roles(world, login):
    from vpdt.directory import oversight
    from vpdt.directory.roles import Role

    oversight.request_change(world.admin, world.spec, "role_change", reason="Bổ nhiệm",
                             add_roles=[Role.LEADER], remove_roles=[Role.SPECIALIST])
    page = _text(login(world.admin).get("/quan-tri/yeu-cau/").content.decode())
    assert "+Lãnh đạo cơ quan" in page and "−Chuyên viên" in page
    assert not re.search(r"\b(leader|specialist)\b", page)

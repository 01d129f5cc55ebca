"""The pages answer for each role and their POSTs reach the services (without a browser)."""

from __future__ import annotations

import datetime as dt
import html
import io

from tests import factories
from tests.workflow.walk import PDF, assigned, draft
from vpdt.records.choices import State
from vpdt.workflow.models import Notification

FUTURE = (dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y")


def test_clerk_receives_registers_and_submits_through_pages(world, login):
    c = login(world.clerk)
    assert "Tiếp nhận văn bản giấy" in c.get("/van-ban-den/tiep-nhan/").content.decode()
    scan = io.BytesIO(PDF)
    scan.name = "ban-quet.pdf"
    r = c.post("/van-ban-den/tiep-nhan/", {
        "issuer_name": "Bộ Nội vụ", "document_type": "", "subject": "Về việc kiểm tra công tác văn thư",
        "number": "12", "notation": "BNV-VP", "issued_date": "02/03/2026", "urgency": "1", "register_now": "1",
        "scan": scan}, follow=True)
    assert "Chọn loại văn bản" in r.content.decode()
    from tests.factories import doc_type
    scan.seek(0)
    r = c.post("/van-ban-den/tiep-nhan/", {
        "issuer_name": "Bộ Nội vụ", "document_type": doc_type("CV").pk, "subject": "Về việc kiểm tra công tác văn thư",
        "number": "12", "notation": "BNV-VP", "issued_date": "02/03/2026", "urgency": "1", "register_now": "1",
        "scan": scan}, follow=True)
    page = r.content.decode()
    assert "Đã tiếp nhận và vào sổ, số đến 01" in page and "Khẩn" in page
    doc_id = r.resolver_match.kwargs["pk"]
    r = c.post(f"/van-ban/{doc_id}/submit/", {"leader": world.leader.pk}, follow=True)
    assert "Đã trình lãnh đạo" in r.content.decode()
    leader = login(world.leader)
    queue = leader.get("/").content.decode()
    assert "Về việc kiểm tra công tác văn thư" in queue
    form = leader.get(f"/van-ban/{doc_id}/phan-cong/").content.decode()
    assert "Chủ trì xử lý" in form
    r = leader.post(f"/van-ban/{doc_id}/phan-cong/", {"main": f"u:{world.cds.pk}", "co": [f"u:{world.bcvt.pk}"],
                                                     "deadline": FUTURE, "instructions": "Khẩn trương"}, follow=True)
    page = r.content.decode()
    assert "Đã phân công xử lý" in page and "Phòng Chuyển đổi số" in page and "Khẩn trương" in page


def test_duplicate_warning_then_confirm(world, login):
    from tests.workflow.walk import incoming, registered

    registered(world)
    twin = incoming(world)
    c = login(world.clerk)
    r = c.post(f"/van-ban/{twin.pk}/register/", follow=True)
    page = r.content.decode()
    assert "có thể đã được tiếp nhận" in page and "Xác nhận vẫn vào sổ" in page
    r = c.post(f"/van-ban/{twin.pk}/register/", {"confirm": "1"}, follow=True)
    assert "Đã vào sổ, số đến 02" in r.content.decode()


def test_forbidden_action_shows_a_vietnamese_error_and_changes_nothing(world, login):
    doc = assigned(world, deadline=dt.date.today() + dt.timedelta(days=5))
    assert login(world.spec_bcvt).post(f"/van-ban/{doc.pk}/complete/").status_code == 403
    c = login(world.head_vp)  # for information only: may read, may not complete
    r = c.post(f"/van-ban/{doc.pk}/complete/", follow=True)
    assert "Chỉ người chủ trì xử lý mới hoàn thành văn bản" in r.content.decode()
    doc.refresh_from_db()
    assert doc.state == State.ASSIGNED
    c = login(world.stranger)
    assert c.get(f"/van-ban/{doc.pk}/").status_code == 404


def test_draft_page_review_and_release(world, login):
    c = login(world.spec)
    assert "Soạn dự thảo văn bản đi" in c.get("/van-ban-di/du-thao/").content.decode()
    f = io.BytesIO(factories.pdf_bytes("du thao"))
    f.name = "du-thao.pdf"
    from tests.factories import doc_type

    r = c.post("/van-ban-di/du-thao/", {"subject": "Về việc báo cáo số liệu", "urgency": "0", "file": f,
                                        "document_type": doc_type("CV").pk,
                                        "units": [world.vp.pk], "agencies": [world.other.pk], "submit_now": "1"},
               follow=True)
    page = r.content.decode()
    assert "Đã lưu dự thảo và trình duyệt" in page and "Chờ duyệt" in page and "pdf-viewer" in page
    pk = r.resolver_match.kwargs["pk"]
    r = login(world.head).post(f"/van-ban/{pk}/approve/", {"comment": "Được"}, follow=True)
    assert "Đã duyệt." in r.content.decode()
    login(world.leader).post(f"/van-ban/{pk}/approve/", follow=True)
    c = login(world.clerk)
    assert "Kiểm tra thể thức, cấp số" in c.get(f"/van-ban/{pk}/").content.decode()
    r = c.post(f"/van-ban/{pk}/issue_number/", follow=True)
    assert "Đã cấp số 01/SKHCN-CĐS" in r.content.decode()
    r = c.post(f"/van-ban/{pk}/release/", follow=True)
    page = r.content.decode()
    assert "Đã phát hành văn bản" in page and "Chờ gửi" in page and "Đã đến" in page


def test_lists_filters_and_bell(world, login):
    draft(world, subject="Về việc thử bộ lọc điện tử", urgency=2)
    c = login(world.spec)
    page = c.get("/van-ban-di/?q=dien+tu&urgency=urgent&sort=new").content.decode()
    assert "Về việc thử bộ lọc điện tử" in page and "Thượng khẩn" in page
    assert "Không có văn bản nào" in c.get("/van-ban-di/?q=khong+co+gi").content.decode()
    assert c.get("/van-ban-di/?from=31/02/2026").status_code == 200
    Notification.objects.create(user=world.spec, kind="x", message="Thông báo thử")
    assert c.get("/thong-bao/dem/").json() == {"unread": 1}
    assert "Thông báo thử" in c.get("/thong-bao/").content.decode()
    for name in ("following", "overdue", "due_soon"):
        assert c.get(f"/viec/{name}/").status_code == 200
    assert c.get("/uy-quyen/").status_code == 200


def test_english_is_switchable(world, login):
    c = login(world.leader)
    # Vietnamese first: a browser asking for English still gets Vietnamese…
    assert "Công việc của tôi" in c.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # …until the person switches (the language menu in the footer).
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = c.get("/").content.decode()
    assert "My work" in page and "Quick search" in page
    c.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Công việc của tôi" in c.get("/").content.decode()


# Interface words marked for translation: none may stay once a person has switched to English.
VIETNAMESE_UI = ["Trạng thái", "Chờ xử lý", "Khẩn trước", "Tìm nhanh", "Công việc của tôi", "Độ khẩn", "Trích yếu",
                 "Sắp xếp", "Hạn xử lý", "Đăng xuất", "Soạn dự thảo", "Ủy quyền", "Lãnh đạo cơ quan", "Đã phân công",
                 "Chủ trì", "Phối hợp", "Để biết", "Quá trình xử lý", "Thông tin văn bản", "Ý kiến chỉ đạo",
                 "Vào sổ", "Trình lãnh đạo", "Thường", "Nơi nhận", "Đánh dấu đã đọc"]


def test_pages_in_english_show_no_vietnamese_interface_words(world, login):
    doc = assigned(world, deadline=dt.date.today() + dt.timedelta(days=5), urgency=1)
    c = login(world.leader)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    expected = {
        "/": ["My work", "Pending", "Following", "Due soon", "Quick search", "Status", "Urgent first",
              "Number and symbol", "Agency leader", "Log out"],
        "/van-ban-den/": ["Incoming", "Assigned", "Urgent", "Incoming no.", "Subject", "More filters"],
        f"/van-ban/{doc.pk}/": ["Document details", "Timeline", "Issuing agency", "Urgency, secrecy", "Urgent, Normal",
                                "Lead handler", "Co-handler", "For information", "Assigned by", "Instructions",
                                "Register incoming document", "Submit to leader", "Leader assigns handling",
                                "Paper", "Scan"],
        "/van-ban-di/du-thao/": ["Draft an outgoing document", "Signing authority", "Internal units",
                                 "Send by e-mail (one address per line)", "approval steps:",
                                 "Save and submit for review", "Very urgent"],
        "/uy-quyen/": ["Delegate my work", "New delegation", "Deputy", "Business trip, leave"],
        "/thong-bao/": ["Notifications", "Mark all as read"],
    }
    for url, words in expected.items():
        page = html.unescape(c.get(url).content.decode())
        for word in words:
            assert word in page, (url, word)
        for word in VIETNAMESE_UI:
            assert word not in page, (url, word)
    # Flash messages written by the pages follow the language too.
    r = c.post("/uy-quyen/", {"deputy": world.deputy.pk, "starts_on": dt.date.today().strftime("%d/%m/%Y"),
                              "ends_on": FUTURE, "reason": "Đi công tác"}, follow=True)
    assert "Delegation created." in r.content.decode()
    page = html.unescape(c.get("/van-ban-den/?from=31/02/2026").content.decode())
    assert "Invalid date: 31/02/2026" in page
    # Back in Vietnamese, the same pages speak Vietnamese again.
    c.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    page = c.get(f"/van-ban/{doc.pk}/").content.decode()
    assert "Quá trình xử lý" in page and "Chủ trì" in page and "Vào sổ văn bản đến" in page


def test_htmx_asks_for_the_list_alone_and_the_bell_refreshes_itself(world, login):
    draft(world, subject="Về việc thử tìm khi đang gõ", urgency=1)
    c = login(world.spec)
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "doc-list"}
    r = c.get("/van-ban-di/?q=thu+tim+khi", **htmx)
    fragment = r.content.decode()
    # Only the list: no page frame, the match, its count; caches keep the two answers apart.
    assert "<html" not in fragment and "<nav class=\"navbar" not in fragment
    assert "Về việc thử tìm khi đang gõ" in fragment and 'data-testid="count"' in fragment
    assert "HX-Request" in r["Vary"]
    # A bad date in the filters is said inside the list, not lost until the next full page.
    assert "Ngày không hợp lệ" in c.get("/van-ban-di/?from=31/02/2026", **htmx).content.decode()
    # Without HTMX, or when HTMX restores history, the whole page.
    assert "<html" in c.get("/van-ban-di/?q=thu+tim+khi").content.decode()
    assert "<html" in c.get("/van-ban-di/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="doc-list",
                            HTTP_HX_HISTORY_RESTORE_REQUEST="true").content.decode()
    # Queues answer the same way.
    assert "<html" not in c.get("/viec/following/", **htmx).content.decode()
    # The bell asks for itself every minute and shows the new count.
    page = c.get("/").content.decode()
    assert 'hx-get="/thong-bao/dem/?bell=lg"' in page and 'hx-trigger="every 60s"' in page
    Notification.objects.create(user=world.spec, kind="x", message="Việc mới")
    bell = c.get("/thong-bao/dem/?bell=lg", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in bell and 'data-testid="bell"' in bell and "(1)" in bell


def test_replace_names_the_replacing_document_by_its_code_and_refuses_an_unknown_one(world, login):
    from tests.workflow.walk import approved
    from vpdt.workflow import services

    doc = approved(world)
    services.issue_number(world.clerk, doc)
    services.release(world.clerk, doc)
    new = approved(world)
    services.issue_number(world.clerk, new)
    new.refresh_from_db()
    c = login(world.clerk)
    page = c.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'list="replacement-options"' in page and f'<option value="{new.code}">' in page
    # An unknown replacement is refused with the reason, and nothing changes.
    r = c.post(f"/van-ban/{doc.pk}/replace/", {"reason": "Sai nội dung", "replacement": "999/XX-YY"}, follow=True)
    assert "Không tìm thấy văn bản thay thế: 999/XX-YY" in r.content.decode()
    doc.refresh_from_db()
    assert doc.state == State.RELEASED
    r = c.post(f"/van-ban/{doc.pk}/replace/", {"reason": "Sai nội dung", "replacement": new.code}, follow=True)
    page = r.content.decode()
    doc.refresh_from_db()
    assert doc.state == State.REPLACED and "Văn bản thay thế" in page and new.code in page

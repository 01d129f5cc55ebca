"""The pages of working faster (issue 13), through the HTTP layer: what a person sees and what
their POSTs change."""

from __future__ import annotations

import io
import re

from tests import factories
from tests.workflow import walk
from vpdt.records.choices import State
from vpdt.records.models import Document, DocumentLink
from vpdt.workflow.models import Assignment, DirectionText, SavedFilter


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr class=\"[^\"]*\"[^>]*>.*?</tr>", page, flags=re.S)


def test_the_reply_button_opens_a_draft_linked_to_the_incoming_document(world, login):
    incoming = walk.assigned(world)
    c = login(world.head)
    assert "Soạn văn bản trả lời" in c.get(f"/van-ban/{incoming.pk}/").content.decode()
    r = c.post(f"/van-ban/{incoming.pk}/tra-loi/", follow=True)
    page = r.content.decode()
    draft = Document.objects.get(pk=r.resolver_match.kwargs["pk"])
    assert "Đã tạo dự thảo văn bản trả lời" in page and "V/v trả lời Công văn số 388/VPCP-KSTT" in page
    assert DocumentLink.objects.filter(document=draft, target=incoming).exists()
    assert 'data-testid="response-for"' in page and "Liên kết văn bản trả lời" in page  # the timeline says it
    assert "Tải lên tệp dự thảo (.docx, .pdf)" in page  # no file yet: its upload is in sight
    assert "document.link_reply" not in page
    clerk = login(world.clerk)
    assert "Soạn văn bản trả lời" not in clerk.get(f"/van-ban/{incoming.pk}/").content.decode()
    r = clerk.post(f"/van-ban/{incoming.pk}/tra-loi/", follow=True)
    assert "Chỉ người được giao xử lý văn bản mới soạn văn bản trả lời." in r.content.decode()
    assert Document.objects.filter(direction="outgoing").count() == 1


def test_unread_rows_are_bold_with_a_count_until_opened_and_may_be_marked_unread(world, login):
    a = walk.registered(world, subject="Văn bản thứ nhất", number=1)
    walk.registered(world, subject="Văn bản thứ hai", number=2)
    c = login(world.clerk)
    page = c.get("/van-ban-den/").content.decode()
    assert 'data-testid="unread-count"' in page and "2 chưa đọc" in page
    assert sum("unread-row" in row for row in _rows(page)) == 2
    c.get(f"/van-ban/{a.pk}/")
    page = c.get("/van-ban-den/").content.decode()
    assert "1 chưa đọc" in page
    [row] = [r for r in _rows(page) if "Văn bản thứ nhất" in r]
    assert "unread-row" not in row
    only_unread = c.get("/van-ban-den/?unread=1").content.decode()
    assert "Văn bản thứ hai" in only_unread and "Văn bản thứ nhất" not in only_unread
    c.post(f"/van-ban/{a.pk}/chua-doc/")
    assert "2 chưa đọc" in c.get("/van-ban-den/").content.decode()
    c.post("/thao-tac-nhieu/", {"ids": [a.pk], "action": "read", "next": "/van-ban-den/"})
    assert "1 chưa đọc" in c.get("/van-ban-den/").content.decode()


def test_the_unread_count_covers_every_match_not_only_the_page_and_walks_the_list_once(world, login, monkeypatch):
    """Uncapped, the count is taken from the ids the list already read (one lookup of the read
    marks, no second walk with the filters); capped, from SQL in the list's own order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vpdt.web.views import lists

    docs = [walk.registered(world, subject=f"Văn bản số {i}", number=i) for i in range(1, 4)]
    c = login(world.clerk)
    c.get(f"/van-ban/{docs[0].pk}/")
    monkeypatch.setattr(lists, "PAGE_SIZE", 1)  # one row per page: the other matches are off the page
    with CaptureQueriesContext(connection) as seen:
        page = c.get("/van-ban-den/").content.decode()
    assert len(_rows(page)) == 1 and "2 chưa đọc" in page
    assert not [q["sql"] for q in seen.captured_queries if "NOT EXISTS" in q["sql"].upper()]
    monkeypatch.setattr(lists, "COUNT_CAP", 1)  # more matches than the cap
    # The first cap + 1 matches (the two newest) are unread: more than the cap are, no walk.
    with CaptureQueriesContext(connection) as seen:
        page = c.get("/van-ban-den/").content.decode()
    assert "hơn 1 chưa đọc" in page
    assert not [q["sql"] for q in seen.captured_queries if "NOT EXISTS" in q["sql"].upper()]
    # One of them read: counted by SQL, in the list's order.
    c.get(f"/van-ban/{docs[2].pk}/")
    with CaptureQueriesContext(connection) as seen:
        page = c.get("/van-ban-den/").content.decode()
    assert "1 chưa đọc" in page and "hơn 1 chưa đọc" not in page
    [count] = [q["sql"] for q in seen.captured_queries if "NOT EXISTS" in q["sql"].upper()]
    assert "ORDER BY" in count.upper()  # the list's order: the same index walk as the page's
    # Two of three read, the third (the oldest) unread beyond the first cap + 1: still counted.
    c.post(f"/van-ban/{docs[0].pk}/chua-doc/")
    c.get(f"/van-ban/{docs[1].pk}/")
    assert "1 chưa đọc" in c.get("/van-ban-den/").content.decode()


def test_a_column_header_sorts_the_list_and_keeps_the_filters(world, login):
    for i, subject in enumerate(["Về việc B", "Về việc A", "Về việc C"]):
        walk.registered(world, subject=subject, number=i + 1)
    c = login(world.clerk)
    page = c.get("/van-ban-den/?sort=subject&q=ve+viec").content.decode()
    assert re.findall(r">(Về việc [ABC])</a>", page) == ["Về việc A", "Về việc B", "Về việc C"]
    # The header of the sorted column asks for the other order, with the filters kept.
    assert 'aria-sort="ascending"' in page and "?q=ve+viec&amp;sort=-subject" in page
    page = c.get("/van-ban-den/?sort=-subject").content.decode()
    assert re.findall(r">(Về việc [ABC])</a>", page) == ["Về việc C", "Về việc B", "Về việc A"]
    assert c.get("/van-ban-den/?sort=drop+table").status_code == 200  # not a known order: the usual one


def test_three_documents_directed_at_once_and_a_refusal_names_its_document(world, login):
    docs = [walk.submitted(world, leader=world.leader, subject=f"Văn bản số {i}", number=30 + i) for i in range(3)]
    done = walk.assigned(world, subject="Văn bản đã giao trước đó", number=40)
    c = login(world.leader)
    ids = [d.pk for d in docs] + [done.pk]
    r = c.post("/thao-tac-nhieu/", {"ids": ids, "action": "direct", "next": "/"})
    assert r.status_code == 302 and r["Location"].startswith("/phan-cong-nhieu/?ids=")
    form = c.get(r["Location"]).content.decode()
    assert "Phân công xử lý 4 văn bản" in form and all(f"Văn bản số {i}" in form for i in range(3))
    # A slip is said once, by its field, and nothing is directed.
    r = c.post("/phan-cong-nhieu/", {"ids": ids, "main": "", "next": "/"})
    assert "Cần chọn đơn vị hoặc cán bộ chủ trì." in r.content.decode()
    assert Document.objects.filter(pk__in=[d.pk for d in docs], state=State.SUBMITTED).count() == 3
    r = c.post("/phan-cong-nhieu/", {"ids": ids, "main": f"u:{world.cds.pk}", "co": [f"u:{world.bcvt.pk}"],
                                     "instructions": "Giao phòng chủ trì", "next": "/"}, follow=True)
    page = r.content.decode()
    assert "Đã phân công xử lý 3 văn bản." in page
    assert "Văn bản đã giao trước đó" in page and "chưa thực hiện được" in page
    assert Document.objects.filter(pk__in=[d.pk for d in docs], state=State.ASSIGNED).count() == 3
    assert Assignment.objects.filter(document=done, instructions="Giao phòng chủ trì").count() == 0


def test_bulk_refuses_without_a_choice_and_only_goes_back_to_a_list(world, login):
    c = login(world.leader)
    r = c.post("/thao-tac-nhieu/", {"action": "read", "next": "https://example.com/"}, follow=True)
    assert r.redirect_chain[-1][0] == "/" and "Chọn ít nhất một văn bản" in r.content.decode()


def test_info_recipients_close_their_documents_from_the_list(world, login):
    doc = walk.assigned(world)
    c = login(world.head_vp)
    assert "Đã xem, hoàn thành để biết" in c.get(f"/van-ban/{doc.pk}/").content.decode()
    r = c.post("/thao-tac-nhieu/", {"ids": [doc.pk], "action": "info_done", "next": "/viec/following/"}, follow=True)
    assert "Đã hoàn thành “để biết” 1 văn bản." in r.content.decode()
    assert Assignment.objects.get(document=doc, user=world.head_vp).state == Assignment.State.DONE
    page = c.get(f"/van-ban/{doc.pk}/").content.decode()
    assert "Đã xem văn bản được giao để biết" in page and "document.info_done" not in page


def test_a_saved_filter_is_a_quick_link_and_a_refused_one_keeps_the_list_and_says_why(world, login):
    c = login(world.clerk)
    r = c.post("/bo-loc/luu/", {"name": "Khẩn chờ vào sổ", "path": "/van-ban-den/",
                                "query": "urgency=urgent&state=received&page=3"})
    assert r.status_code == 302 and r["Location"] == "/van-ban-den/?urgency=urgent&state=received"
    page = c.get("/van-ban-den/").content.decode()
    assert 'href="/van-ban-den/?urgency=urgent&amp;state=received">Khẩn chờ vào sổ</a>' in page
    r = c.post("/bo-loc/luu/", {"name": "", "path": "/van-ban-den/", "query": "state=received"})
    page = r.content.decode()
    assert r.status_code == 200 and 'id="filter-name-error"' in page and "Đặt tên cho bộ lọc." in page
    assert '<option value="received" selected>' in page  # the list as it was filtered
    assert c.post("/bo-loc/luu/", {"name": "x", "path": "/dang-xuat/", "query": "q=a"}).status_code == 404
    saved = SavedFilter.objects.get(user=world.clerk)
    assert login(world.leader).post(f"/bo-loc/{saved.pk}/xoa/").status_code == 302
    assert SavedFilter.objects.filter(pk=saved.pk).exists()  # not theirs
    c = login(world.clerk)
    c.post(f"/bo-loc/{saved.pk}/xoa/")
    assert not SavedFilter.objects.exists()


def test_canned_directions_are_edited_by_a_leader_and_offered_on_the_direction_form(world, login):
    c = login(world.leader)
    r = c.post("/y-kien-chi-dao-mau/", {"op": "add", "text": "Giao … chủ trì tham mưu, báo cáo trước ngày …"},
               follow=True)
    assert "Đã thêm ý kiến chỉ đạo mẫu." in r.content.decode()
    r = c.post("/y-kien-chi-dao-mau/", {"op": "add", "text": ""})
    assert r.status_code == 200 and "Nhập nội dung ý kiến chỉ đạo." in r.content.decode()
    text = DirectionText.objects.get()
    c.post("/y-kien-chi-dao-mau/", {"op": "update", "pk": text.pk, f"t{text.pk}-text": "Giao … chủ trì.",
                                    f"t{text.pk}-order": "5"})
    assert DirectionText.objects.get().text == "Giao … chủ trì."
    doc = walk.submitted(world, leader=world.leader)
    form = c.get(f"/van-ban/{doc.pk}/phan-cong/").content.decode()
    assert 'data-direction-text="Giao … chủ trì."' in form and "web/faster.js" in form
    assert login(world.spec).get("/y-kien-chi-dao-mau/").status_code == 403
    c = login(world.leader)
    c.post("/y-kien-chi-dao-mau/", {"op": "delete", "pk": text.pk})
    assert not DirectionText.objects.exists()


def _upload(name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_files_dropped_together_answer_per_file_to_the_script_and_by_messages_without_it(world, login):
    doc = walk.draft(world)
    c = login(world.spec)
    page = c.get(f"/van-ban/{doc.pk}/").content.decode()
    assert 'data-testid="upload-attach"' in page and 'data-testid="upload-version"' in page and "multiple" in page
    r = c.post(f"/van-ban/{doc.pk}/tai-len/attach/", {
        "files": [_upload("phu-luc.pdf", factories.pdf_bytes("Phụ lục")), _upload("virus.exe", b"MZ" + b"\0" * 99)]},
        HTTP_X_UPLOAD="1")
    body = r.json()
    assert r.status_code == 200 and body["location"] == f"/van-ban/{doc.pk}/" and body["stored"] == ["phu-luc.pdf"]
    assert [x["name"] for x in body["refused"]] == ["virus.exe"] and "virus.exe" in body["refused"][0]["message"]
    page = c.get(body["location"]).content.decode()
    assert "Đã lưu 1 tệp." in page and "Tệp “virus.exe” không được lưu" in page
    assert list(doc.attachments.values_list("name", flat=True)) == ["phu-luc.pdf"]
    r = c.post(f"/van-ban/{doc.pk}/tai-len/version/", {"files": [_upload("v2.docx", factories.docx_bytes())]},
               follow=True)
    assert "Đã lưu 1 tệp." in r.content.decode() and doc.versions.count() == 2
    r = c.post(f"/van-ban/{doc.pk}/tai-len/attach/", {}, HTTP_X_UPLOAD="1")
    assert r.status_code == 400 and r.json()["errors"][0]["message"] == "Chọn hoặc kéo thả ít nhất một tệp."
    other = login(world.spec2)
    r = other.post(f"/van-ban/{doc.pk}/tai-len/attach/", {"files": [_upload("a.pdf", factories.pdf_bytes())]},
                   HTTP_X_UPLOAD="1")
    assert r.status_code in (400, 403) and doc.attachments.count() == 1


def test_the_new_screens_speak_english_in_english_mode(world, login):
    import html

    docs = [walk.submitted(world, leader=world.leader, number=50 + i) for i in range(2)]
    c = login(world.leader)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    ids = "&".join(f"ids={d.pk}" for d in docs)
    expected = {
        "/": ["With the ticked documents:", "Assign for handling", "Mark as read", "Mark as unread", "Done (for information)",
              "Save the current filters", "Sort by this column", "2 unread", "Tick every document on this page"],
        f"/phan-cong-nhieu/?{ids}&next=/": ["Direct 2 documents", "Edit the canned directions"],
        "/y-kien-chi-dao-mau/": ["Canned directions", "Add a canned direction", "No canned direction yet."],
        f"/van-ban/{docs[0].pk}/": ["Mark as unread"],
    }
    for url, words in expected.items():
        page = html.unescape(c.get(url).content.decode())
        for word in words:
            assert word in page, (url, word)
        for word in ("Đánh dấu", "Với các văn bản", "Lưu bộ lọc", "Phân công xử lý", "Ý kiến chỉ đạo mẫu",
                     "chưa đọc", "Sắp xếp theo cột"):
            assert word not in page, (url, word)

"""The "Hồ sơ công việc" pages: the list (what the person may see, filters), lập hồ sơ, a dossier's
page (documents in order, files, trail, search within, hidden documents not named), filing from
a document's page (the "Lưu hồ sơ" box), closing with the closing note."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from tests.archive.test_dossiers import World
from vpdt.archive.models import Dossier, DossierItem, DossierState
from vpdt.archive.services import dossiers
from vpdt.records import services as records
from vpdt.records.choices import State

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def w() -> World:
    return World()


def test_the_list_shows_what_the_person_may_see_with_filters(client, w):
    mine = dossiers.create_dossier(w.spec, title="Hồ sơ điện tử của tôi", year=2026, notation="01")
    other = dossiers.create_dossier(w.other_spec, title="Hồ sơ phòng khác", year=2025, notation="02")
    foreign = dossiers.create_dossier(w.elsewhere_clerk, title="Hồ sơ cơ quan khác", year=2026, notation="03")
    client.force_login(w.spec)
    html = client.get(reverse("web:dossiers")).content.decode()
    assert mine.code in html and other.code not in html and foreign.code not in html
    assert "Hồ sơ công việc" in html and 'data-testid="dossiers-link"' in html
    client.force_login(w.clerk)
    html = client.get(reverse("web:dossiers")).content.decode()
    assert mine.code in html and other.code in html and foreign.code not in html
    html = client.get(reverse("web:dossiers"), {"nam": 2025}).content.decode()
    assert other.code in html and mine.code not in html
    html = client.get(reverse("web:dossiers"), {"q": "dien tu"}).content.decode()  # folded search
    assert mine.code in html and other.code not in html
    html = client.get(reverse("web:dossiers"), {"trang_thai": "closed"}).content.decode()
    assert mine.code not in html


def test_a_dossier_is_opened_from_the_form_and_a_bad_notation_is_said_next_to_it(client, w):
    client.force_login(w.spec)
    bad = client.post(reverse("web:dossier_new"), {"title": "Hồ sơ", "notation": "có dấu cách", "year": 2026})
    assert bad.status_code == 200 and 'id="notation-error"' in bad.content.decode()
    assert not Dossier.objects.exists()
    doc = w.doc("Về việc lập hồ sơ", seen_by=[w.spec])
    done = client.post(reverse("web:dossier_new"), {"title": "Hồ sơ mới", "notation": "05.CDS", "year": 2026,
                                                     "retention_years": "", "document": doc.pk})
    d = Dossier.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("workflow:document", args=[doc.pk])
    assert d.retention_years is None and d.owner == w.spec
    assert list(d.items.values_list("document_id", flat=True)) == [doc.pk]
    taken = client.post(reverse("web:dossier_new"), {"title": "Khác", "notation": "05.CDS", "year": 2026})
    assert "đã có" in taken.content.decode()


def test_the_dossier_page_lists_only_the_visible_documents_with_files_and_trail(client, w, blob_dir):
    seen = w.doc("Về việc chữ ký số", seen_by=[w.spec], issued_date=dt.date(2026, 3, 1))
    records.add_attachment(w.clerk, seen, io.BytesIO(_pdf()), "chu-ky-so.pdf", content_type="application/pdf")
    records.grant_access(w.clerk, seen, w.colleague)
    hidden = w.doc("Về việc mật của phòng khác", seen_by=[w.other_spec])
    d = dossiers.create_dossier(w.leader, title="Hồ sơ chung", year=2026, notation="06")  # no unit
    dossiers.add_document(w.leader, d, seen)
    dossiers.add_document(w.leader, d, hidden)
    client.force_login(w.spec)
    page = client.get(reverse("web:dossier", args=[d.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Về việc chữ ký số" in html and "Về việc mật của phòng khác" not in html
    assert "chu-ky-so.pdf" in html and reverse("workflow:document", args=[seen.pk]) in html
    assert 'data-testid="hidden-count"' in html and "Cấp quyền xem" in html  # the document's trail
    assert "dossier.add_document" not in html and "Đưa văn bản vào hồ sơ" in html  # labels, never codes
    assert "Bỏ khỏi hồ sơ" not in html  # neither theirs nor their unit's: no changes offered
    assert "chữ ký" in client.get(reverse("web:dossier", args=[d.pk]), {"q": "chu ky"}).content.decode()
    assert "Không có văn bản nào khớp." in client.get(reverse("web:dossier", args=[d.pk]), {"q": "ngân sách"}
                                                      ).content.decode()
    client.force_login(w.other_spec)
    assert client.get(reverse("web:dossier", args=[d.pk])).status_code == 200  # holds a document they see
    client.force_login(w.elsewhere_clerk)
    assert client.get(reverse("web:dossier", args=[d.pk])).status_code == 404
    own = dossiers.create_dossier(w.other_spec, title="Riêng", year=2026, notation="07")
    client.force_login(w.spec)
    assert client.get(reverse("web:dossier", args=[own.pk])).status_code == 403


def _pdf() -> bytes:
    from tests.factories import pdf_bytes

    return pdf_bytes("Chữ ký số")


def test_the_document_page_offers_the_suggested_dossier_and_files_it_in_one_click(client, w):
    doc = w.doc("Về việc chữ ký số trên văn bản", seen_by=[w.spec], state=State.COMPLETED)
    suggested = dossiers.create_dossier(w.spec, title="Hồ sơ chữ ký số", year=2026, notation="08")
    other = dossiers.create_dossier(w.spec, title="Hồ sơ tuyển dụng", year=2026, notation="09")
    client.force_login(w.spec)
    html = client.get(reverse("workflow:document", args=[doc.pk])).content.decode()
    assert 'data-testid="filing"' in html and "Lưu vào hồ sơ này" in html
    assert "Trùng từ khóa: chữ ký" in html and other.code in html  # the others in the select
    response = client.post(reverse("web:dossier_file"), {"document": doc.pk, "dossier": suggested.pk})
    assert response.status_code == 302 and response["Location"] == reverse("workflow:document", args=[doc.pk])
    assert DossierItem.objects.filter(dossier=suggested, document=doc).exists()
    html = client.get(reverse("workflow:document", args=[doc.pk])).content.decode()
    assert 'data-testid="filed-in"' in html and suggested.code in html
    # a dossier not theirs: refused, said, nothing changed
    foreign = dossiers.create_dossier(w.other_spec, title="Phòng khác", year=2026, notation="10")
    refused = client.post(reverse("web:dossier_file"), {"document": doc.pk, "dossier": foreign.pk}, follow=True)
    assert "Chỉ người lập hồ sơ" in refused.content.decode() or "không có quyền" in refused.content.decode()
    assert not DossierItem.objects.filter(dossier=foreign).exists()
    # a document they may not see: the error page, nothing filed
    client.force_login(w.other_spec)
    own = dossiers.create_dossier(w.other_spec, title="Của tôi", year=2026, notation="12")
    assert client.post(reverse("web:dossier_file"), {"document": doc.pk, "dossier": own.pk}).status_code == 403
    assert client.post(reverse("web:dossier_file"), {"document": 10**9, "dossier": own.pk}).status_code == 404
    assert client.post(reverse("web:dossier_file"), {"document": "x", "dossier": own.pk}).status_code == 404
    assert not own.items.exists()


def test_the_clerk_closes_a_dossier_and_it_no_longer_offers_changes(client, w):
    a = w.doc("Văn bản một", seen_by=[w.spec], issued_date=dt.date(2026, 1, 5))
    b = w.doc("Văn bản hai", seen_by=[w.spec], issued_date=dt.date(2026, 4, 9))
    d = dossiers.create_dossier(w.spec, title="Hồ sơ", year=2026, notation="11")
    dossiers.add_document(w.spec, d, a)
    dossiers.add_document(w.spec, d, b)
    client.force_login(w.clerk)
    form = client.get(reverse("web:dossier_close", args=[d.pk])).content.decode()
    assert 'value="05/01/2026"' in form and 'value="09/04/2026"' in form  # proposed from the documents
    unconfirmed = client.post(reverse("web:dossier_close", args=[d.pk]), {"note": "x"})
    assert 'id="confirm-error"' in unconfirmed.content.decode()
    assert Dossier.objects.get(pk=d.pk).state == DossierState.OPEN
    done = client.post(reverse("web:dossier_close", args=[d.pk]), {
        "start_date": "05/01/2026", "end_date": "09/04/2026", "sheets": "2", "pages": "2",
        "note": "Hồ sơ gồm 2 văn bản", "confirm": "on"}, follow=True)
    html = done.content.decode()
    assert "Đã kết thúc hồ sơ" in html and "09/04/2027" in html and "Hồ sơ gồm 2 văn bản" in html
    assert "Bỏ khỏi hồ sơ" not in html and reverse("web:dossier_close", args=[d.pk]) not in html
    refused = client.post(reverse("web:dossier_remove", args=[d.pk]), {"document": a.pk}, follow=True)
    assert "Hồ sơ đã kết thúc" in refused.content.decode()
    assert d.items.count() == 2
    client.force_login(w.spec)
    html = client.get(reverse("workflow:document", args=[a.pk])).content.decode()
    assert "Đã kết thúc" in html and "Lưu vào hồ sơ này" not in html


def test_the_owner_orders_and_removes_documents_from_the_page_and_others_cannot(client, w):
    a = w.doc("Văn bản một", seen_by=[w.spec, w.other_spec])
    b = w.doc("Văn bản hai", seen_by=[w.spec, w.other_spec])
    d = dossiers.create_dossier(w.spec, title="Hồ sơ", year=2026, notation="12")
    dossiers.add_document(w.spec, d, a)
    dossiers.add_document(w.spec, d, b)
    client.force_login(w.other_spec)  # sees the documents, not their dossier's owner nor unit
    html = client.get(reverse("web:dossier", args=[d.pk])).content.decode()
    assert "Bỏ khỏi hồ sơ" not in html and "Chuyển lên" not in html
    refused = client.post(reverse("web:dossier_remove", args=[d.pk]), {"document": a.pk}, follow=True)
    assert "Chỉ người lập hồ sơ" in refused.content.decode() and d.items.count() == 2
    client.force_login(w.spec)
    html = client.get(reverse("web:dossier", args=[d.pk])).content.decode()
    assert "Bỏ khỏi hồ sơ" in html and "Chuyển lên" in html
    client.post(reverse("web:dossier_move", args=[d.pk]), {"document": b.pk, "step": "up"})
    assert list(d.items.order_by("order").values_list("document_id", flat=True)) == [b.pk, a.pk]
    done = client.post(reverse("web:dossier_remove", args=[d.pk]), {"document": b.pk}, follow=True)
    assert "Đã bỏ văn bản khỏi hồ sơ" in done.content.decode()
    assert list(d.items.values_list("document_id", flat=True)) == [a.pk]
    assert client.get(reverse("web:dossier_remove", args=[d.pk])).status_code == 405


def test_the_pages_read_in_english_once_the_person_switches(client, w):
    doc = w.doc("Về việc chữ ký số", seen_by=[w.spec], issued_date=dt.date(2026, 2, 1), state=State.COMPLETED)
    d = dossiers.create_dossier(w.spec, title="Hồ sơ chữ ký số", year=2026, notation="13")
    other = dossiers.create_dossier(w.spec, title="Hồ sơ khác", year=2026, notation="14")
    dossiers.add_document(w.spec, other, doc)
    client.force_login(w.spec)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    pages = {
        "list": client.get(reverse("web:dossiers")).content.decode(),
        "new": client.get(reverse("web:dossier_new")).content.decode(),
        "detail": client.get(reverse("web:dossier", args=[other.pk])).content.decode(),
        "close": client.get(reverse("web:dossier_close", args=[other.pk])).content.decode(),
        "document": client.get(reverse("workflow:document", args=[doc.pk])).content.decode(),
    }
    assert "Every dossier I may see" in pages["list"] and "In preparation" in pages["list"]
    assert "Dossier notation" in pages["new"] and "Empty: permanent" in pages["new"]
    assert "Documents in the dossier" in pages["detail"] and "Dossier log" in pages["detail"]
    assert "Close the dossier" in pages["close"] and "Sheets" in pages["close"]
    assert "File in this dossier" in pages["document"] and d.code in pages["document"]
    assert "Shared keywords: chữ ký" in pages["document"]
    for name, html in pages.items():
        for words in ("Hồ sơ công việc", "Lưu vào hồ sơ", "Kết thúc hồ sơ", "Văn bản trong hồ sơ", "Thời hạn bảo quản",
                      "Tiêu đề hồ sơ", "Đang lập", "Chú giải"):
            assert words not in html, (name, words)

"""The search over the rest of a document's words (issue 15): the summary, the note, the recipients
(nơi nhận) and the handling opinions (ý kiến xử lý), under the document's visibility (who sees a
document reads its opinions on its page), with their snippet; and the page and facets taken from
the two bounded walks agree with the plain rank. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, RecipientKind
from vpdt.records.models import Recipient
from vpdt.records.permissions import visible_documents
from vpdt.search import fulltext
from vpdt.search.models import DocumentText
from vpdt.workflow.models import Opinion

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def found(user, q, **params):
    return [d.pk for d in fulltext.search(user, q, params).rows]


@pytest.fixture
def w():
    from types import SimpleNamespace

    agency = factories.agency(abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    other = factories.agency(abbreviation="STC", name="Sở Tài chính")
    w = SimpleNamespace(agency=agency, other=other)
    w.clerk = factories.clerk(agency)
    w.outsider = factories.clerk(other)
    w.specialist = factories.person(agency, Role.SPECIALIST)
    w.doc = factories.document(agency, number=21, notation="SKHCN-VP", subject="Về việc báo cáo quý",
                               content="Tóm tắt: đề nghị bổ sung kinh phí trạm quan trắc Phú Mỹ",
                               note="Lưu hồ sơ dự án cầu cảng Tân Phú",
                               recipients_text="- UBND huyện Hòn Đất;\n- Lưu: VT.")
    w.incoming = factories.document(agency, direction=Direction.INCOMING, incoming_number=5, number=9,
                                    notation="UBND-KT", subject="Về việc giao chỉ tiêu")
    return w


def test_summary_note_and_recipients_are_searched_folded(w):
    assert found(w.clerk, "tram quan trac phu my") == [w.doc.pk]
    assert found(w.clerk, '"cầu cảng Tân Phú"') == [w.doc.pk]
    assert found(w.clerk, "hon dat") == [w.doc.pk]
    Recipient.objects.create(document=w.doc, kind=RecipientKind.PAPER, name="Ban Quản lý khu kinh tế Phú Quốc")
    assert found(w.clerk, "khu kinh te phu quoc") == [w.doc.pk]
    result = fulltext.search(w.clerk, "trạm quan trắc")
    assert result.snippets[w.doc.pk].source == "notes"
    assert [p for p, hit in result.snippets[w.doc.pk].parts if hit] == ["trạm", "quan", "trắc"]
    # A change is searched at once; an emptied document loses its row.
    w.doc.note = "Lưu hồ sơ đê bao Hòa Bình"
    w.doc.save()
    assert found(w.clerk, '"cau cang tan phu"') == [] and found(w.clerk, "de bao hoa binh") == [w.doc.pk]
    w.doc.content = w.doc.note = w.doc.recipients_text = ""
    w.doc.save()
    Recipient.objects.filter(document=w.doc).delete()
    assert not DocumentText.objects.filter(document=w.doc).exists()
    assert found(w.clerk, "de bao hoa binh") == []


def test_an_opinion_is_found_only_by_who_may_read_it(w, client):
    opinion = Opinion.objects.create(document=w.incoming, author=w.clerk,
                                     text="Đề nghị phòng Kế hoạch rà soát chỉ tiêu vùng nuôi tôm càng xanh")
    assert found(w.clerk, "tom cang xanh") == [w.incoming.pk]
    result = fulltext.search(w.clerk, "tôm càng xanh")
    assert result.snippets[w.incoming.pk].source == "notes"
    # another agency's clerk, and a specialist of the agency the document never reached
    for person in (w.outsider, w.specialist):
        result = fulltext.search(person, "tom cang xanh")
        assert result.rows == [] and result.snippets == {} and not any(result.facets.values())
        client.force_login(person)
        page = client.get("/tim-kiem/", {"q": "tôm càng xanh"}).content.decode()
        assert "nuôi" not in page and "giao chỉ tiêu" not in page
    client.force_login(w.clerk)
    page = client.get("/tim-kiem/", {"q": "tôm càng xanh"}).content.decode()
    assert "giao chỉ tiêu" in page and "<mark>tôm</mark> <mark>càng</mark> <mark>xanh</mark>" in page
    opinion.delete()
    assert found(w.clerk, "tom cang xanh") == []


def test_a_document_with_opinions_and_recipients_is_deleted_whole(w):
    Opinion.objects.create(document=w.doc, author=w.clerk, text="Thống nhất")
    Recipient.objects.create(document=w.doc, kind=RecipientKind.PAPER, name="Sở Tài chính")
    w.doc.delete()
    assert not DocumentText.objects.filter(document_id=w.doc.pk).exists()


def test_the_sampled_page_and_facets_agree_with_the_plain_rank(w, monkeypatch):
    # Metadata matches and text-only matches, interleaved in time, over more than a page and
    # more than the sample: the page from the samples is the plain rank's, page after page.
    monkeypatch.setattr(fulltext, "FACET_SAMPLE", 7)
    monkeypatch.setattr(fulltext, "PAGE_SIZE", 3)
    for i in range(6):
        factories.document(w.agency, subject=f"Kế hoạch thủy lợi đợt {i}")
        factories.document(w.agency, subject=f"Về việc khác {i}", note="kế hoạch thủy lợi bổ sung")
    base = visible_documents(w.clerk)
    meta, files, _parsed = fulltext.conditions(base, "thuy loi")
    plain = [d.pk for d in fulltext.page_of(base, meta, files, 0, 100)]
    assert len(plain) == 12
    for page in range(1, 6):
        rows = fulltext.search(w.clerk, "thuy loi", page=page).rows
        assert [d.pk for d in rows] == plain[(page - 1) * 3:page * 3], page
    result = fulltext.search(w.clerk, "thuy loi")
    assert result.facets_sampled and sum(n for _v, _l, n in result.facets["state"]) == 7
    assert all(d.meta_hit for d in fulltext.search(w.clerk, "thuy loi", page=2).rows)
    assert not any(d.meta_hit for d in fulltext.search(w.clerk, "thuy loi", page=3).rows)


def test_the_api_searches_the_text_when_asked(w, client):
    from django.core.cache import cache

    cache.clear()
    factories.clerk(w.agency, username="api_clerk")
    factories.clerk(w.other, username="api_outsider")
    Opinion.objects.create(document=w.incoming, author=w.clerk, text="Giao phòng Kinh tế theo dõi tôm càng xanh")

    def ids(username, **params):
        response = client.post("/api/auth/token", {"username": username, "password": "Secret#12345"},
                               content_type="application/json")
        tok = response.json()["token"]
        answer = client.get("/api/documents", params, HTTP_AUTHORIZATION=f"Bearer {tok}")
        assert answer.status_code == 200, answer.content
        return [item["id"] for item in answer.json()["items"]]

    assert ids("api_clerk", q="tom cang xanh") == []  # the quick search: metadata only
    assert ids("api_clerk", q="tom cang xanh", full_text="true") == [w.incoming.pk]
    assert ids("api_clerk", q="tram quan trac", full_text="true") == [w.doc.pk]
    assert ids("api_clerk", q="9/ubnd-kt", full_text="true") == [w.incoming.pk]
    assert ids("api_outsider", q="tom cang xanh", full_text="true") == []


def test_imported_documents_are_searched_by_their_note_and_recipients(w):
    from vpdt.records import bulk

    row = bulk.HistoricalDocument(key="VIC-1", direction=Direction.OUTGOING, book="chung", year=2019,
                                  document_type=factories.doc_type("CV"), subject="Về việc báo cáo năm",
                                  number=3, notation="SKHCN-VP", note="Hồ sơ kè sông Long Điền",
                                  recipients_text="- Sở Giao thông vận tải;")
    created, rejected = bulk.import_batch(None, w.agency, [row])
    assert rejected == [] and len(created) == 1
    assert found(w.clerk, "ke song long dien") == [created[0][1].pk]
    assert found(w.clerk, "so giao thong van tai") == [created[0][1].pk]


def test_rebuild_search_index_makes_the_document_texts_again(w):
    """A bulk write that bypassed the signals (queryset.update, a restore) leaves search.DocumentText
    stale: rebuild_search_index makes every row again from what the documents hold, and its index."""
    from django.core.management import call_command

    from vpdt.records.models import Document

    plain = factories.document(w.agency, subject="Về việc khác")
    Document.objects.filter(pk=w.doc.pk).update(note="Ghi chú về kè sông Long Điền")  # was: cầu cảng Tân Phú
    Document.objects.filter(pk=w.incoming.pk).update(content="Tóm tắt về vườn ươm An Lạc")  # had no row
    DocumentText.objects.create(document_id=plain.pk, text_folded="tram bom binh son")  # a row it should not have
    assert found(w.clerk, "ke song long dien") == [] and found(w.clerk, "vuon uom an lac") == []
    assert found(w.clerk, "tram bom binh son") == [plain.pk]

    call_command("rebuild_search_index")

    assert found(w.clerk, "ke song long dien") == [w.doc.pk]
    assert found(w.clerk, "cau cang tan phu") == []
    assert found(w.clerk, "tram quan trac phu my") == [w.doc.pk]  # the summary, unchanged, still found
    assert found(w.clerk, "vuon uom an lac") == [w.incoming.pk]
    assert found(w.clerk, "tram bom binh son") == []
    assert not DocumentText.objects.filter(document_id=plain.pk).exists()
    assert found(w.outsider, "ke song long dien") == []
    from vpdt.search import services

    assert services.rebuild_document_texts() == 0  # nothing left to change

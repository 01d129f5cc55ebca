"""Quick search: exact số/ký hiệu, subject words without diacritics, through the index of
each backend (SQLite FTS5, PostgreSQL GIN), which stays in step with the table."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, Secrecy
from vpdt.records.models import Document
from vpdt.records.permissions import visible_documents
from vpdt.records.search import apply_quick_search
from vpdt.search import schema, services

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def found(q, qs=None):
    return set(apply_quick_search(qs if qs is not None else Document.objects.all(), q).values_list("pk", flat=True))


@pytest.fixture
def agency():
    return factories.agency(abbreviation="UBND")


def test_the_index_is_used_on_this_backend():
    from django.apps import apps

    assert apps.is_installed("vpdt.search")
    sql = str(apply_quick_search(Document.objects.all(), "dien tu").query)
    expected = {"sqlite": schema.FTS_TABLE, "postgresql": "\"subject_tsv\" @@"}[connection.vendor]  # search 0004
    # The subject goes to the index, never to a LIKE scan (the names and ký hiệu are matched
    # with LIKE on their own indexed folded columns: tests/search/test_qsearch.py).
    assert expected in sql and 'SUBJECT_FOLDED"::TEXT LIKE' not in sql.upper()
    assert 'SUBJECT_FOLDED" LIKE' not in sql.upper()


def test_words_without_diacritics_find_the_subject(agency):
    e_gov = factories.document(agency, subject="Về việc triển khai Chính phủ điện tử năm 2026")
    dong_nai = factories.document(agency, subject="Báo cáo tình hình kinh tế tỉnh Đồng Nai")
    factories.document(agency, subject="Kế hoạch phòng chống thiên tai")
    assert found("dien tu") == {e_gov.pk}
    assert found("dong nai") == {dong_nai.pk}
    assert found("ĐỒNG NAI") == {dong_nai.pk}
    assert found("Điện Tử") == {e_gov.pk}
    assert found("dien   tu,") == {e_gov.pk}


def test_every_word_must_be_there_and_the_last_may_be_unfinished(agency):
    e_gov = factories.document(agency, subject="Triển khai Chính phủ điện tử")
    factories.document(agency, subject="Hội nghị điện lực miền Nam")
    assert found("dien tu") == {e_gov.pk}
    assert found("chinh phu dien t") == {e_gov.pk}
    assert found("tu dien") == {e_gov.pk}  # words, not a phrase
    assert found("dien tu mien") == set()
    assert found("ien") == set()  # whole words: no match inside a word


def test_number_and_notation_match_exactly(agency):
    doc = factories.document(agency, number=388, notation="UBND-VP", subject="Về việc họp giao ban")
    factories.document(agency, number=38, notation="UBND-VP", subject="Về việc khác")
    factories.document(agency, number=388, notation="UBND-KT", subject="Về việc khác nữa")
    incoming = factories.document(agency, direction=Direction.INCOMING, incoming_number=12, notation="SNV-TCCB",
                                  subject="Về việc tuyển dụng")
    assert found("388/UBND-VP") == {doc.pk}
    assert found(" 388 / ubnd-vp ") == {doc.pk}
    assert found("12/SNV-TCCB") == {incoming.pk}
    assert found("388") >= {doc.pk}


def test_quick_search_never_crosses_agencies(agency):
    other = factories.agency(abbreviation="STC")
    mine = factories.document(agency, subject="Chuyển đổi số tỉnh Đồng Nai", number=5, notation="UBND-VP")
    theirs = factories.document(other, subject="Chuyển đổi số tỉnh Đồng Nai", number=5, notation="UBND-VP")
    clerk = factories.clerk(agency)
    assert found("dong nai", visible_documents(clerk)) == {mine.pk}
    assert found("05/UBND-VP", visible_documents(clerk)) == {mine.pk}
    assert theirs.pk in found("dong nai")


def test_search_input_is_not_query_syntax(agency):
    doc = factories.document(agency, subject="Về việc OR AND NOT ngoặc kép")
    for q in ['"', "*", "dien OR", "NEAR(a b)", "a:*", "(", "' OR 1=1 --", "viec\" OR \"x", "!!!"]:
        found(q)  # no error
    assert found('viec" OR "x') == set()
    assert found("NOT ngoac") == {doc.pk}


def test_index_follows_create_update_delete(agency):
    doc = factories.document(agency, subject="Về việc phòng cháy chữa cháy")
    assert found("chua chay") == {doc.pk}
    doc.subject = "Về việc an toàn giao thông"
    doc.save()
    assert found("chua chay") == set()
    assert found("giao thong") == {doc.pk}
    doc.save(update_fields=["subject"])
    doc.delete()
    assert found("giao thong") == set()
    assert services.check_index() == []


def test_bulk_writes_reach_the_index_too(agency):
    doc_type = factories.doc_type()
    Document.objects.bulk_create([
        Document(agency=agency, direction=Direction.OUTGOING, state="draft", document_type=doc_type,
                 subject=s, subject_folded=s) for s in ["ke hoach nam", "bao cao quy"]
    ])
    assert len(found("bao cao")) == 1
    Document.objects.filter(subject_folded="ke hoach nam").update(subject_folded="ke hoach thang")
    assert len(found("ke hoach thang")) == 1 and found("ke hoach nam") == set()
    Document.objects.filter(agency=agency).delete()
    assert found("bao cao") == set()
    assert services.check_index() == []


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_check_finds_a_drifted_index_and_rebuild_repairs_it(agency):
    doc = factories.document(agency, subject="Về việc kiểm tra chỉ mục")
    with connection.cursor() as cursor:  # what a lost trigger would leave behind
        cursor.execute("DROP TRIGGER search_document_au")
        cursor.execute("UPDATE records_document SET subject_folded = 'van ban khac' WHERE id = %s", [doc.pk])
    problems = services.check_index()
    assert any("search_document_au" in p for p in problems)
    assert any("does not match" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("rebuild_search_index", "--check")
    call_command("rebuild_search_index")
    assert services.check_index() == []
    assert found("van ban khac") == {doc.pk}
    assert found("kiem tra") == set()


def test_rebuild_refolds_subjects_changed_behind_save(agency):
    doc = factories.document(agency, subject="Về việc thi đua khen thưởng")
    Document.objects.filter(pk=doc.pk).update(subject="Về việc điều động cán bộ")  # skips save(): stale fold
    assert services.check_index(deep=True) != []
    call_command("rebuild_search_index", "--refold")
    assert services.check_index(deep=True) == []
    assert found("dieu dong") == {doc.pk}


def test_visibility_is_unchanged_by_the_faster_queries(agency):
    office = factories.unit(agency, "VP")
    clerk = factories.clerk(agency)
    head = factories.person(agency, Role.UNIT_HEAD, Role.SPECIALIST, unit=office)
    spec = factories.person(agency, Role.SPECIALIST, unit=office)
    open_doc = factories.document(agency)
    drafted = factories.document(agency, created_by=spec)
    unit_doc = factories.document(agency, drafting_unit=office)
    secret = factories.document(agency, secrecy=Secrecy.CONFIDENTIAL)
    granted = factories.document(agency, secrecy=Secrecy.CONFIDENTIAL)
    from vpdt.records.models import DocumentAccess

    DocumentAccess.objects.create(document=granted, user=clerk, reason="grant", secret_grant=True)
    DocumentAccess.objects.create(document=open_doc, unit=office, reason="unit")

    def ids(user):
        return set(visible_documents(user).values_list("pk", flat=True))

    assert ids(clerk) == {open_doc.pk, drafted.pk, unit_doc.pk, granted.pk}
    assert ids(head) == {open_doc.pk, unit_doc.pk}
    assert ids(spec) == {drafted.pk}
    assert secret.pk not in ids(clerk) | ids(head) | ids(spec)


def test_api_runs_the_same_search_and_caps_its_count(client, agency, monkeypatch):
    from vpdt.api import api as api_module
    from vpdt.api.models import ApiToken

    clerk = factories.clerk(agency)
    docs = [factories.document(agency, subject=f"Về việc hóa đơn điện tử đợt {i}") for i in range(3)]
    factories.document(agency, subject="Về việc khác")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(clerk)}"}
    body = client.get("/api/documents?q=hoa don dien tu", **auth).json()
    assert body["total"] == 3 and body["total_is_capped"] is False
    assert {i["id"] for i in body["items"]} == {d.pk for d in docs}
    monkeypatch.setattr(api_module, "COUNT_CAP", 2)
    body = client.get("/api/documents?q=hoa don dien tu", **auth).json()
    assert body["total"] == 2 and body["total_is_capped"] is True and len(body["items"]) == 3


def test_pages_come_ids_first_in_the_lists_order_and_the_indexes_are_there(agency):
    """records.listing: the same rows in the same order as the plain query, every page, with
    the list indexes of this backend in place (the retired one gone)."""
    from vpdt.records.listing import page_and_count

    office = factories.unit(agency, "VP")
    head = factories.person(agency, Role.UNIT_HEAD, unit=office)
    for i in range(23):
        factories.document(agency, subject=f"Văn bản {i}", urgency=i % 3, drafting_unit=office if i % 2 else None)
    qs = visible_documents(head).order_by("-urgency", "-created_at", "-id")
    expected = list(qs.values_list("pk", flat=True))
    assert expected and len(expected) == 11
    for start in range(0, 14, 5):
        rows, count, capped, more = page_and_count(qs, start, 5, 1000, related=("document_type",))
        assert [d.pk for d in rows] == expected[start:start + 5] and count == 11 and not capped
        assert more == (start + 5 < 11)
    assert page_and_count(qs, 100, 5, 1000) == ([], 11, False, False)
    rows, count, capped, more = page_and_count(qs, 5, 5, 20)
    assert [d.pk for d in rows] == expected[5:10] and (count, capped, more) == (11, False, True)
    rows, count, capped, more = page_and_count(qs, 10, 5, 3)
    assert [d.pk for d in rows] == expected[10:] and (count, capped, more) == (3, True, False)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records_document'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'records_document'")
        present = {row[0] for row in cursor.fetchall()}
    assert {"doc_list_order", "doc_list_state_s", "doc_agency_order", "doc_agency_incoming_no",
            "doc_drafting_unit_ids", "doc_created_by_ids", "doc_due"} <= present
    assert "doc_list_state" not in present  # retired by records migration 0005

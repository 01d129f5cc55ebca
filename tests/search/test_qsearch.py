"""The quick search finds what clerks type (issue 15, metadata): a code with Đ typed as D or in
lower case, part of a ký hiệu, a code's prefix, the issuer's and the signer's names without
accents, subject words in any order, an exact phrase; and only what the person may see.
Run on SQLite and on PostgreSQL (VPDT_TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction
from vpdt.records.models import Document
from vpdt.records.permissions import visible_documents
from vpdt.records.search import apply_quick_search
from vpdt.records.services import refold_subjects

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def found(q, qs=None):
    return set(apply_quick_search(qs if qs is not None else Document.objects.all(), q).values_list("pk", flat=True))


@pytest.fixture
def w():
    from types import SimpleNamespace

    agency = factories.agency(abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
    w = SimpleNamespace(agency=agency)
    w.cds11 = factories.document(agency, number=11, notation="SKHCN-CĐS", signer_name="Nguyễn Văn An",
                                 subject="Về việc triển khai chuyển đổi số năm 2026")
    w.cds12 = factories.document(agency, number=12, notation="SKHCN-CĐS", signer_name="Trần Thị Bình",
                                 subject="Kế hoạch đào tạo kỹ năng số")
    w.vp11 = factories.document(agency, number=11, notation="SKHCN-VP", signer_name="Lê Văn Cường",
                                subject="Báo cáo tình hình tài chính quý I")
    w.incoming = factories.document(agency, direction=Direction.INCOMING, incoming_number=40, number=7,
                                    notation="UBND-KT", issuer_name="Ủy ban nhân dân tỉnh Kiên Giang",
                                    signer_name="Phạm Đức Dũng", subject="Về việc giao chỉ tiêu kinh tế xã hội")
    w.from_dept = factories.document(agency, direction=Direction.INCOMING, incoming_number=41, number=3,
                                     notation="SKHCN-QLKH", issuer_name="Sở Khoa học và Công nghệ tỉnh An Giang",
                                     subject="Về việc phối hợp kiểm tra đề tài")
    return w


def test_a_code_with_d_for_đ_or_in_lower_case_finds_the_document(w):
    assert found("11/SKHCN-CDS") == {w.cds11.pk}
    assert found("11/skhcn-cds") == {w.cds11.pk}
    assert found("11/SKHCN-CĐS") == {w.cds11.pk}
    assert found(" 11 / skhcn-cđs ") == {w.cds11.pk}
    assert found("12/SKHCN-CDS") == {w.cds12.pk}
    assert found("13/SKHCN-CDS") == set()


def test_a_prefix_of_the_code_finds_every_document_with_that_number_and_start(w):
    assert found("11/SKHCN") == {w.cds11.pk, w.vp11.pk}
    assert found("11/skhcn-c") == {w.cds11.pk}
    assert found("11/CDS") == set()  # a prefix, not any part, when the number is given


def test_part_of_a_symbol_without_the_number_finds_every_document_with_it(w):
    assert found("SKHCN-CĐS") == {w.cds11.pk, w.cds12.pk}
    assert found("skhcn-cds") == {w.cds11.pk, w.cds12.pk}
    assert found("UBND-KT") == {w.incoming.pk}
    assert found("QLKH") == {w.from_dept.pk}


def test_the_issuers_name_without_accents(w):
    assert found("so khoa hoc") == {w.from_dept.pk}
    assert found("SỞ KHOA HỌC") == {w.from_dept.pk}
    assert found("kien giang") == {w.incoming.pk}
    assert found("uy ban nhan dan") == {w.incoming.pk}
    assert found("giang kien") == {w.incoming.pk}  # words in any order
    assert found("nhan da") == {w.incoming.pk}  # the last word may be unfinished
    assert found("ien giang") == set()  # words, not letters inside a word


def test_the_signers_name_without_accents(w):
    assert found("nguyen van an") == {w.cds11.pk}
    assert found("Nguyễn Văn An") == {w.cds11.pk}
    assert found("pham duc dung") == {w.incoming.pk}
    assert found("tran thi binh") == {w.cds12.pk}


def test_subject_words_in_any_order_accented_or_not(w):
    assert found("chuyen doi so") == {w.cds11.pk}
    assert found("so chuyen doi 2026") == {w.cds11.pk}
    assert found("chuyển đổi số") == {w.cds11.pk}
    assert found("tài chính báo cáo") == {w.vp11.pk}


def test_an_exact_phrase_in_double_quotes(w):
    assert found('"chuyen doi so"') == {w.cds11.pk}
    assert found('"doi so chuyen"') == set()  # a phrase keeps its order
    assert found('"kỹ năng số" kế hoạch') == {w.cds12.pk}
    assert found('"tinh an giang"') == {w.from_dept.pk}  # a phrase in the issuer's name
    assert found('"van an nguyen"') == set()


def test_the_folded_columns_follow_every_save(w):
    w.cds12.signer_name = "Võ Hoàng Yến"
    w.cds12.save(update_fields=["signer_name"])
    w.cds12.notation = "SKHCN-ĐMST"
    w.cds12.save(update_fields=["notation"])
    assert found("vo hoang yen") == {w.cds12.pk}
    assert found("tran thi binh") == set()
    assert found("12/skhcn-dmst") == {w.cds12.pk}
    # A queryset update skips save(): the maintenance refold repairs the folded columns.
    Document.objects.filter(pk=w.vp11.pk).update(issuer_name="Sở Tài chính", signer_name="Đỗ Minh Khoa")
    assert found("do minh khoa") == set()
    assert refold_subjects() >= 1
    assert found("do minh khoa") == {w.vp11.pk}
    assert found("so tai chinh") == {w.vp11.pk}


def test_a_person_without_the_right_does_not_get_the_document(w):
    clerk = factories.clerk(w.agency)
    specialist = factories.person(w.agency, Role.SPECIALIST, unit=factories.unit(w.agency, "CĐS", "Phòng CĐS"))
    stranger = factories.clerk(factories.agency(abbreviation="STC"))
    for q in ["11/skhcn-cds", "SKHCN-CĐS", "nguyen van an", "so khoa hoc", '"chuyen doi so"']:
        assert found(q, visible_documents(clerk)), q
        assert found(q, visible_documents(specialist)) == set(), q
        assert found(q, visible_documents(stranger)) == set(), q


def test_the_list_page_searches_the_same_way_and_only_what_the_person_may_see(w, client):
    clerk = factories.clerk(w.agency)
    stranger = factories.clerk(factories.agency(abbreviation="STC"))
    url = "/van-ban-di/"
    client.force_login(clerk)
    page = client.get(url, {"q": "11/skhcn-cds"}).content.decode()
    assert "Về việc triển khai chuyển đổi số năm 2026" in page
    assert "Kế hoạch đào tạo kỹ năng số" not in page
    client.force_login(stranger)
    page = client.get(url, {"q": "11/skhcn-cds"}).content.decode()
    assert "Về việc triển khai chuyển đổi số năm 2026" not in page


def test_the_names_and_codes_have_their_indexes_on_this_backend():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records_document'")
            expected = {"doc_qs_notation", "doc_qs_people"}
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'records_document'")
            expected = {"doc_qs_notation_trgm", "doc_qs_people_trgm"}
        assert expected <= {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_table_remake_on_sqlite_gets_the_indexes_back():
    from vpdt.search import schema

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX doc_qs_people")
    assert "index doc_qs_people" in schema.ensure(connection)
    assert schema.ensure(connection) == []

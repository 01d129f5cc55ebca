"""Dossiers as work happens (issue 19): a document in several dossiers without a copy, a closed
dossier refusing every change, who sees which dossier, the suggestions and their reasons, the
closing note and its defaults, and the audit log of every change."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests import factories
from vpdt.archive.models import Dossier, DossierItem, DossierState
from vpdt.archive.services import dossiers
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import AccessReason, Direction, State
from vpdt.records.models import Document, DocumentAccess

pytestmark = [pytest.mark.django_db]


class World:
    def __init__(self):
        self.agency = factories.agency(abbreviation="SKHCN")
        self.cds = factories.unit(self.agency, "CDS", "Phòng Chuyển đổi số")
        self.bcvt = factories.unit(self.agency, "BCVT", "Phòng Bưu chính")
        self.clerk = factories.clerk(self.agency, unit=self.cds)
        self.leader = factories.person(self.agency, Role.LEADER)
        self.spec = factories.person(self.agency, Role.SPECIALIST, unit=self.cds)
        self.colleague = factories.person(self.agency, Role.SPECIALIST, unit=self.cds)
        self.other_spec = factories.person(self.agency, Role.SPECIALIST, unit=self.bcvt)
        self.elsewhere = factories.agency(abbreviation="STC")
        self.elsewhere_clerk = factories.clerk(self.elsewhere)

    def doc(self, subject: str, *, seen_by=None, direction=Direction.INCOMING, state=State.COMPLETED, **kw):
        doc = factories.document(self.agency, direction=direction, state=state, subject=subject, **kw)
        for user in seen_by or []:
            DocumentAccess.objects.create(document=doc, user=user, reason=AccessReason.MAIN)
        return doc


@pytest.fixture
def w() -> World:
    return World()


def _actions(dossier) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="archive.dossier", object_id=str(dossier.pk))
                .order_by("seq").values_list("action", flat=True))


def test_a_dossier_code_is_agency_year_notation_and_unique(w):
    d = dossiers.create_dossier(w.spec, title="Hồ sơ chuyển đổi số", year=2026, notation="01.CĐS",
                                retention_years=10)
    assert d.code == f"{w.agency.code}.2026.01.CĐS"
    assert (d.owner, d.unit, d.state, d.retention_label) == (w.spec, w.cds, DossierState.OPEN, "10 năm")
    with pytest.raises(InvalidInput) as taken:
        dossiers.create_dossier(w.clerk, title="Khác", year=2026, notation="01.CĐS")
    assert taken.value.code == "DOSSIER_CODE_TAKEN"
    for bad in ("", "có khoảng trắng", "x" * 41):
        with pytest.raises(InvalidInput) as refused:
            dossiers.create_dossier(w.spec, title="Hồ sơ", year=2026, notation=bad)
        assert refused.value.code == "DOSSIER_NOTATION_INVALID"
    with pytest.raises(InvalidInput):
        dossiers.create_dossier(w.spec, title="  ", year=2026, notation="02")
    assert Dossier.objects.count() == 1
    assert _actions(d) == ["dossier.create"]


def test_one_document_sits_in_two_dossiers_without_a_copy(w):
    doc = w.doc("Về việc triển khai chuyển đổi số", seen_by=[w.spec])
    first = dossiers.create_dossier(w.spec, title="Chuyển đổi số", year=2026, notation="01")
    second = dossiers.create_dossier(w.spec, title="Kế hoạch năm", year=2026, notation="02")
    documents_before = Document.objects.count()
    dossiers.add_document(w.spec, first, doc)
    dossiers.add_document(w.spec, second, doc)
    dossiers.add_document(w.spec, second, doc)  # twice: still one link
    assert Document.objects.count() == documents_before
    assert set(DossierItem.objects.filter(document=doc).values_list("dossier_id", flat=True)) == {first.pk, second.pk}
    assert [d.pk for d in dossiers.documents_in(w.spec, first)] == [doc.pk]
    assert [d.pk for d in dossiers.documents_in(w.spec, second)] == [doc.pk]
    assert {d.pk for d in dossiers.dossiers_of(w.spec, doc)} == {first.pk, second.pk}
    assert _actions(second) == ["dossier.create", "dossier.add_document"]
    entry = AuditEntry.objects.filter(action="dossier.add_document", object_id=str(first.pk)).get()
    assert entry.detail["document"] == doc.pk and entry.actor_id == w.spec.pk


def test_documents_are_removed_and_ordered_while_the_dossier_is_open(w):
    a, b, c = (w.doc(f"Văn bản {n}", seen_by=[w.spec]) for n in "abc")
    d = dossiers.create_dossier(w.spec, title="Hồ sơ", year=2026, notation="03")
    for doc in (a, b, c):
        dossiers.add_document(w.spec, d, doc)
    dossiers.move(w.spec, d, c, -1)
    assert [x.pk for x in dossiers.documents_in(w.spec, d)] == [a.pk, c.pk, b.pk]
    dossiers.reorder(w.spec, d, [b.pk, a.pk, c.pk])
    assert [x.pk for x in dossiers.documents_in(w.spec, d)] == [b.pk, a.pk, c.pk]
    with pytest.raises(InvalidInput):
        dossiers.reorder(w.spec, d, [b.pk, a.pk])  # not every document
    dossiers.remove_document(w.spec, d, a)
    assert [x.pk for x in dossiers.documents_in(w.spec, d)] == [b.pk, c.pk]
    assert Document.objects.filter(pk=a.pk).exists()  # the document stays, only the link goes
    with pytest.raises(InvalidInput):
        dossiers.remove_document(w.spec, d, a)
    assert _actions(d) == ["dossier.create", *["dossier.add_document"] * 3, "dossier.reorder", "dossier.reorder",
                           "dossier.remove_document"]


def test_a_closed_dossier_refuses_every_change_and_is_never_reopened(w):
    a = w.doc("Văn bản một", seen_by=[w.spec], issued_date=dt.date(2026, 2, 3))
    b = w.doc("Văn bản hai", seen_by=[w.spec], issued_date=dt.date(2026, 5, 20))
    c = w.doc("Văn bản ba", seen_by=[w.spec])
    d = dossiers.create_dossier(w.spec, title="Hồ sơ", year=2026, notation="04")
    dossiers.add_document(w.spec, d, b)
    dossiers.add_document(w.spec, d, a)
    closed = dossiers.close_dossier(w.spec, d, sheets=4, note="Hồ sơ đầy đủ")
    assert closed.state == DossierState.CLOSED
    before = (list(DossierItem.objects.filter(dossier=d).values_list("document_id", "order")), _actions(d))
    attempts = [
        lambda: dossiers.add_document(w.spec, d, c),
        lambda: dossiers.add_document(w.clerk, d, c),
        lambda: dossiers.remove_document(w.spec, d, a),
        lambda: dossiers.reorder(w.spec, d, [a.pk, b.pk]),
        lambda: dossiers.move(w.spec, d, a, -1),
        lambda: dossiers.close_dossier(w.spec, d, note="lần hai"),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidState) as refused:
            attempt()
        assert refused.value.code == "DOSSIER_CLOSED"
    d.refresh_from_db()
    assert d.closing_note == "Hồ sơ đầy đủ" and d.state == DossierState.CLOSED
    assert (list(DossierItem.objects.filter(dossier=d).values_list("document_id", "order")), _actions(d)) == before
    assert not hasattr(dossiers, "reopen_dossier")


def test_closing_writes_the_closing_note_with_its_defaults_and_the_transfer_due(w, blob_dir):
    a = w.doc("Văn bản một", seen_by=[w.spec], issued_date=dt.date(2025, 2, 3))
    b = w.doc("Văn bản hai", seen_by=[w.spec], issued_date=dt.date(2025, 11, 20))
    records.add_attachment(w.clerk, a, io.BytesIO(_pdf(3)), "a.pdf", content_type="application/pdf")
    records.add_attachment(w.clerk, b, io.BytesIO(_pdf(2)), "b.pdf", content_type="application/pdf")
    d = dossiers.create_dossier(w.spec, title="Hồ sơ", year=2025, notation="05")
    with pytest.raises(InvalidState) as empty:
        dossiers.close_dossier(w.spec, d)
    assert empty.value.code == "DOSSIER_EMPTY"
    dossiers.add_document(w.spec, d, b)
    dossiers.add_document(w.spec, d, a)
    assert dossiers.closing_defaults(d) == {"start_date": dt.date(2025, 2, 3), "end_date": dt.date(2025, 11, 20),
                                            "pages": 5}
    with pytest.raises(InvalidInput) as dates:
        dossiers.close_dossier(w.spec, d, start_date=dt.date(2025, 12, 1), end_date=dt.date(2025, 11, 1))
    assert dates.value.code == "DOSSIER_DATES_INVALID"
    assert Dossier.objects.get(pk=d.pk).state == DossierState.OPEN  # bad input changed nothing
    dossiers.close_dossier(w.spec, d, sheets=3, note="Gồm 2 văn bản")
    d.refresh_from_db()
    assert (d.start_date, d.end_date, d.sheets, d.pages) == (dt.date(2025, 2, 3), dt.date(2025, 11, 20), 3, 5)
    assert d.transfer_due == dt.date(2026, 11, 20)  # nộp lưu within one year of the end
    assert d.closed_by == w.spec and d.closed_at is not None and d.closing_note == "Gồm 2 văn bản"
    entry = AuditEntry.objects.get(action="dossier.close", object_id=str(d.pk))
    assert entry.detail["pages"] == 5 and entry.detail["transfer_due"] == "2026-11-20"
    assert dossiers.transfer_due_for(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)


def _pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_specialist_sees_only_the_dossiers_of_documents_they_may_see(w):
    mine = w.doc("Văn bản giao tôi", seen_by=[w.spec])
    theirs = w.doc("Văn bản phòng khác", seen_by=[w.other_spec])
    d_mine = dossiers.create_dossier(w.other_spec, title="Có văn bản tôi xem được", year=2026, notation="10")
    dossiers.add_document(w.other_spec, d_mine, theirs)
    d_hidden = dossiers.create_dossier(w.other_spec, title="Của phòng khác", year=2026, notation="11")
    dossiers.add_document(w.other_spec, d_hidden, theirs)
    dossiers.add_document(w.clerk, d_mine, mine)
    own = dossiers.create_dossier(w.spec, title="Của tôi", year=2026, notation="12")
    unit = dossiers.create_dossier(w.colleague, title="Của phòng tôi", year=2026, notation="13")
    foreign = dossiers.create_dossier(w.elsewhere_clerk, title="Cơ quan khác", year=2026, notation="10")

    assert set(dossiers.dossiers_visible_to(w.spec)) == {d_mine, own, unit}
    assert not dossiers.can_view_dossier(w.spec, d_hidden)
    # inside a dossier, only the documents the person may see
    assert [d.pk for d in dossiers.documents_in(w.spec, d_mine)] == [mine.pk]
    assert dossiers.hidden_count(w.spec, d_mine) == 1
    # clerk and leader: every dossier of their agency, never another agency's
    agency_all = {d_mine, d_hidden, own, unit}
    assert set(dossiers.dossiers_visible_to(w.clerk)) == agency_all
    assert set(dossiers.dossiers_visible_to(w.leader)) == agency_all
    assert not dossiers.can_view_dossier(w.clerk, foreign)
    with pytest.raises(NotFound):
        dossiers.get_visible_dossier(w.clerk, foreign.pk)
    with pytest.raises(PermissionDenied):
        dossiers.get_visible_dossier(w.spec, d_hidden.pk)
    assert set(dossiers.dossiers_visible_to(w.elsewhere_clerk)) == {foreign}


def test_who_may_file_a_document_and_where(w):
    doc = w.doc("Văn bản", seen_by=[w.spec])
    hidden = w.doc("Văn bản không được xem", seen_by=[w.other_spec])
    own = dossiers.create_dossier(w.spec, title="Của tôi", year=2026, notation="20")
    unit = dossiers.create_dossier(w.colleague, title="Của phòng tôi", year=2026, notation="21")
    other_unit = dossiers.create_dossier(w.other_spec, title="Phòng khác", year=2026, notation="22")
    foreign = dossiers.create_dossier(w.elsewhere_clerk, title="Cơ quan khác", year=2026, notation="20")
    assert set(dossiers.fileable_dossiers(w.spec, w.agency.pk)) == {own, unit}
    assert set(dossiers.fileable_dossiers(w.clerk, w.agency.pk)) == {own, unit, other_unit}
    dossiers.add_document(w.spec, unit, doc)  # their unit's
    with pytest.raises(PermissionDenied) as not_theirs:
        dossiers.add_document(w.spec, other_unit, doc)
    assert not_theirs.value.code == "DOSSIER_NOT_YOURS"
    with pytest.raises(PermissionDenied) as unseen:
        dossiers.add_document(w.spec, own, hidden)  # a document they may not see
    assert unseen.value.code == "DOSSIER_DOCUMENT_NOT_VISIBLE"
    dossiers.add_document(w.clerk, other_unit, doc)  # the clerk files anywhere in the agency
    with pytest.raises(NotFound):
        dossiers.add_document(w.spec, foreign, doc)
    with pytest.raises(PermissionDenied):
        dossiers.add_document(w.elsewhere_clerk, foreign, doc)  # another agency's document
    with pytest.raises(PermissionDenied):
        dossiers.close_dossier(w.other_spec, own)
    assert not DossierItem.objects.filter(dossier__in=[own, foreign]).exists()


def test_suggestions_rank_the_response_chain_then_shared_words_then_the_file_plan(w):
    from vpdt.archive.models import FilePlan, FilePlanEntry

    incoming = w.doc("Về việc triển khai chữ ký số trên văn bản điện tử", seen_by=[w.spec], state=State.IN_PROGRESS)
    reply = w.doc("Về việc báo cáo kết quả", seen_by=[w.spec], direction=Direction.OUTGOING, state=State.DRAFT,
                  created_by=w.spec, number=7, notation="SKHCN-CDS")
    records.link_reply(w.spec, reply, incoming)
    chain = dossiers.create_dossier(w.spec, title="Hồ sơ trả lời Bộ", year=2026, notation="30")
    dossiers.add_document(w.spec, chain, reply)
    words = dossiers.create_dossier(w.spec, title="Hồ sơ chữ ký số năm 2026", year=2026, notation="31")
    plan = FilePlan.objects.create(agency=w.agency, year=2026)
    entry = FilePlanEntry.objects.create(plan=plan, heading="II. Chuyển đổi số", notation="32",
                                         title="Hồ sơ giao ban phòng", unit=w.cds)
    planned = dossiers.create_dossier(w.spec, title="Hồ sơ giao ban phòng", year=2026, notation="32",
                                      plan_entry=entry)
    dossiers.create_dossier(w.spec, title="Hồ sơ tuyển dụng", year=2026, notation="33")  # nothing in common
    closed = dossiers.create_dossier(w.spec, title="Hồ sơ chữ ký số điện tử", year=2026, notation="34")
    dossiers.add_document(w.spec, closed, reply)
    dossiers.close_dossier(w.spec, closed)
    others = dossiers.create_dossier(w.other_spec, title="Chữ ký số văn bản điện tử", year=2026, notation="35")

    found = dossiers.suggest_dossiers(w.spec, incoming, limit=5)
    assert [s.dossier for s in found] == [chain, words, planned]  # not closed, not another unit's, not unrelated
    assert found[0].reason == "Cùng luồng văn bản với 07/SKHCN-CDS"
    assert found[1].reason == "Trùng từ khóa: chữ ký"
    assert found[2].reason == "Theo danh mục hồ sơ: 32 – Hồ sơ giao ban phòng"
    assert others not in [s.dossier for s in dossiers.suggest_dossiers(w.other_spec, incoming)]  # cannot see it
    assert len(dossiers.suggest_dossiers(w.spec, incoming, limit=2)) == 2
    # once filed, a dossier is no longer offered for the same document
    dossiers.add_document(w.spec, chain, incoming)
    assert chain not in [s.dossier for s in dossiers.suggest_dossiers(w.spec, incoming)]


def test_the_chain_reaches_documents_answered_several_links_away(w):
    first = w.doc("Về việc đề nghị", seen_by=[w.spec])
    answer = w.doc("Về việc trả lời", seen_by=[w.spec], direction=Direction.OUTGOING, state=State.RELEASED)
    again = w.doc("Về việc đề nghị bổ sung", seen_by=[w.spec])
    records.link_reply(w.spec, answer, first)
    records.link_reply(w.spec, again, answer)
    d = dossiers.create_dossier(w.spec, title="Hồ sơ", year=2026, notation="40")
    dossiers.add_document(w.spec, d, first)
    assert dossiers.response_chain(again) == {first.pk, answer.pk}
    [s] = dossiers.suggest_dossiers(w.spec, again)
    assert s.dossier == d and s.reason.startswith("Cùng luồng văn bản với ")


def test_shared_words_are_read_as_phrases_and_stop_words_keep_their_diacritics(w):
    doc = w.doc("Về việc chuyển đổi hạ tầng số của các cơ quan", seen_by=[w.spec])
    d = dossiers.create_dossier(w.spec, title="Hồ sơ chuyển đổi hạ tầng năm 2026", year=2026, notation="50")
    [s] = dossiers.suggest_dossiers(w.spec, doc)
    assert s.dossier == d and s.reason == "Trùng từ khóa: chuyển đổi hạ tầng"
    # "từ" (from) is a stop-word, "tử" in "điện tử" is not; "số", "năm", "của các" say nothing
    e = w.doc("Về việc văn bản điện tử từ năm 2026", seen_by=[w.spec])
    d2 = dossiers.create_dossier(w.spec, title="Hồ sơ chính quyền điện tử", year=2026, notation="51")
    assert [(x.dossier, x.reason) for x in dossiers.suggest_dossiers(w.spec, e)] == [(d2, "Trùng từ khóa: điện tử")]
    unrelated = w.doc("Về việc của các cơ quan năm 2026", seen_by=[w.spec])
    assert dossiers.suggest_dossiers(w.spec, unrelated) == []


def test_the_archive_officer_sees_the_dossiers_in_the_archives_hands(db):
    """Handed over (transferring), archived or destroyed: the agency's archive officer sees the
    dossier and lists its documents but the secret ones; an open or closed one stays out of
    sight, and another agency's archive never sees it."""
    from tests import factories
    from vpdt.archive.models import Dossier, DossierItem, DossierState
    from vpdt.archive.services import dossiers
    from vpdt.directory.roles import Role
    from vpdt.records.choices import Secrecy

    factories.doc_type("CV")
    agency, other = factories.agency("000.00.61.H90"), factories.agency("000.00.62.H90")
    archivist, stranger = factories.person(agency, Role.ARCHIVIST), factories.person(other, Role.ARCHIVIST)
    plain = factories.document(agency, direction="incoming", subject="Kế hoạch chuyển đổi số")
    secret = factories.document(agency, direction="incoming", subject="Văn bản mật", secrecy=Secrecy.SECRET)
    made = {}
    for n, state in enumerate(DossierState.values):
        d = Dossier.objects.create(agency=agency, code=f"000.00.61.H90.2026.{n:02d}", title=state, year=2026,
                                   state=state)
        DossierItem.objects.create(dossier=d, document=plain, order=1)
        DossierItem.objects.create(dossier=d, document=secret, order=2)
        made[state] = d
    seen = set(dossiers.dossiers_visible_to(archivist).values_list("state", flat=True))
    assert seen == {DossierState.TRANSFERRING, DossierState.ARCHIVED, DossierState.DESTROYED}
    assert not dossiers.dossiers_visible_to(stranger).exists()
    archived = made[DossierState.ARCHIVED]
    assert [d.pk for d in dossiers.documents_in(archivist, archived)] == [plain.pk]
    assert dossiers.hidden_count(archivist, archived) == 1


def test_the_dossiers_a_document_sits_in_are_those_the_person_may_see_and_none_costs_one_lookup(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    theirs = w.doc("Văn bản phòng khác", seen_by=[w.other_spec])
    loose = w.doc("Văn bản chưa lập hồ sơ", seen_by=[w.spec])
    visible = dossiers.create_dossier(w.spec, title="Của tôi", year=2026, notation="20")
    hidden = dossiers.create_dossier(w.other_spec, title="Của phòng khác", year=2026, notation="21")
    dossiers.add_document(w.other_spec, hidden, theirs)
    dossiers.add_document(w.clerk, visible, theirs)
    assert [d.pk for d in dossiers.dossiers_of(w.spec, theirs)] == [visible.pk]
    assert {d.pk for d in dossiers.dossiers_of(w.clerk, theirs)} == {visible.pk, hidden.pk}
    assert [d.pk for d in dossiers.dossiers_of(w.elsewhere_clerk, theirs)] == []
    with CaptureQueriesContext(connection) as asked:
        assert dossiers.dossiers_of(w.spec, loose) == []
    assert len(asked) == 1

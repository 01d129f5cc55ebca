"""Working faster (issue 13): the reply drafted from an incoming document, several documents
directed at once, "để biết" closed, read markers, canned directions, saved filters, uploads."""

from __future__ import annotations

import io

import pytest

from tests import factories
from tests.workflow import walk
from vpdt.core.errors import InvalidInput, NotFound, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.exchange import mapping
from vpdt.records.choices import RecipientKind, State
from vpdt.records.models import Attachment, Document, DocumentLink
from vpdt.workflow import services
from vpdt.workflow.models import Assignment, DirectionText, DocumentRead
from vpdt.workflow.services import directions, reading, saved_filters, uploads

# --- Soạn văn bản trả lời -------------------------------------------------------------------


def test_a_handler_drafts_the_reply_prefilled_and_linked_as_response_for(world):
    incoming = walk.assigned(world, issuer_code=world.other.code, issuer_name=world.other.name)
    draft = services.start_reply(world.head, incoming)  # the head of the main unit handles it
    assert draft.state == State.DRAFT and draft.created_by == world.head
    assert draft.subject == ("V/v trả lời Công văn số 388/VPCP-KSTT ngày 02/03/2026 của Sở Tài chính")
    recipient = draft.recipients.get()
    assert (recipient.kind, recipient.agency) == (RecipientKind.AGENCY, world.other)
    link = DocumentLink.objects.get(document=draft)
    assert (link.target, link.code, link.organ_id) == (incoming, "388/VPCP-KSTT", world.other.code)
    # The package sent at release carries ResponseFor naming the incoming document.
    header = mapping.to_header(draft, [])
    assert [(r.organ_id, r.code) for r in header.response_for] == [(world.other.code, "388/VPCP-KSTT")]
    assert AuditEntry.objects.filter(action="document.link_reply", object_id=str(draft.pk)).exists()


def test_the_reply_names_no_recipient_when_the_issuer_is_not_in_the_directory(world):
    incoming = walk.assigned(world)  # Văn phòng Chính phủ: not an agency of this directory
    draft = services.start_reply(world.head, incoming)
    assert not draft.recipients.exists()
    assert draft.subject.startswith("V/v trả lời Công văn số 388/VPCP-KSTT")


def test_only_those_who_handle_it_draft_the_reply(world):
    incoming = walk.assigned(world)
    for outsider in (world.clerk, world.spec, world.head_vp):  # clerk; not handed on yet; "để biết" only
        with pytest.raises(PermissionDenied):
            services.start_reply(outsider, incoming)
    assert "reply" in services.available_actions(world.head, incoming)
    assert "reply" not in services.available_actions(world.clerk, incoming)
    assert not Document.objects.filter(direction="outgoing").exists()


# --- Several documents directed at once --------------------------------------------------------


def test_the_direction_applies_to_each_document_and_a_refusal_names_one_and_changes_nothing_for_it(world):
    waiting = [walk.submitted(world, leader=world.leader, subject=f"Văn bản chờ phân công {i}", number=10 + i)
               for i in range(3)]
    done = walk.assigned(world, subject="Văn bản đã phân công trước")
    before = list(Assignment.objects.filter(document=done).values_list("pk", flat=True))
    outcomes = services.assign_many(world.leader, [waiting[0], done, *waiting[1:]], main=world.cds, co=[world.bcvt],
                                    instructions="Giao phòng chủ trì tham mưu")
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert "Văn bản đã phân công trước" in outcomes[1].label and outcomes[1].message
    for doc in waiting:
        doc.refresh_from_db()
        assert doc.state == State.ASSIGNED
        assert Assignment.objects.get(document=doc, role="main").unit == world.cds
        assert AuditEntry.objects.filter(action="document.assign", object_id=str(doc.pk)).count() == 1
    assert list(Assignment.objects.filter(document=done).values_list("pk", flat=True)) == before
    assert not AuditEntry.objects.filter(action="document.assign", object_id=str(done.pk),
                                         detail__instructions="Giao phòng chủ trì tham mưu").exists()


def test_a_person_who_may_not_direct_is_refused_for_each_document(world):
    docs = [walk.submitted(world, leader=world.leader, number=20 + i) for i in range(2)]
    outcomes = services.assign_many(world.spec, docs, main=world.cds)
    assert [o.ok for o in outcomes] == [False, False]
    assert all(Document.objects.get(pk=d.pk).state == State.SUBMITTED for d in docs)


# --- "Để biết" -----------------------------------------------------------------------------------


def test_a_person_given_a_document_for_information_closes_it_and_only_theirs(world):
    doc = walk.assigned(world)  # head_vp: để biết
    mine = services.finish_info(world.head_vp, doc)
    assert mine.state == Assignment.State.DONE and mine.done_at is not None
    assert Document.objects.get(pk=doc.pk).state == State.ASSIGNED  # the handling goes on
    assert AuditEntry.objects.filter(action="document.info_done", object_id=str(doc.pk)).count() == 1
    outcomes = services.finish_info_many(world.spec, [doc])
    assert not outcomes[0].ok and "để biết" in outcomes[0].message
    with pytest.raises(PermissionDenied):  # done already: nothing left to close
        services.finish_info(world.head_vp, doc)


# --- Read markers ----------------------------------------------------------------------------------


def test_a_document_is_unread_until_its_person_opens_it_and_may_be_marked_unread_again(world):
    a, b = walk.registered(world, subject="Văn bản A", number=1), walk.registered(world, subject="Văn bản B", number=2)
    qs = Document.objects.filter(pk__in=[a.pk, b.pk])
    assert reading.unread_count(world.clerk, qs, 100) == (2, False)
    reading.mark_opened(world.clerk, a)
    reading.mark_opened(world.clerk, a)  # twice: one marker
    assert reading.read_ids(world.clerk, [a.pk, b.pk]) == {a.pk}
    assert list(reading.unread(world.clerk, qs)) == [b]
    assert reading.unread_count(world.leader, qs, 100) == (2, False)  # per person
    assert reading.mark_read(world.clerk, [a.pk, b.pk]) == 1
    assert reading.mark_unread(world.clerk, [a.pk]) == 1
    assert reading.read_ids(world.clerk, [a.pk, b.pk]) == {b.pk}
    assert reading.unread_count(world.clerk, qs, 0) == (0, True)


def test_documents_a_person_may_not_see_are_not_marked(world):
    doc = walk.registered(world)
    assert reading.mark_read(world.stranger, [doc.pk]) == 0
    assert not DocumentRead.objects.filter(user=world.stranger).exists()


# --- Canned direction texts -------------------------------------------------------------------------


def test_the_agency_admin_and_leaders_edit_the_canned_directions_audited(world):
    first = directions.add_text(world.admin, world.agency, "Giao Phòng … chủ trì tham mưu, báo cáo trước ngày …")
    second = directions.add_text(world.leader, world.agency, "Chuyển các phòng để biết.")
    assert [t.text for t in directions.texts_for(world.agency.pk)] == [first.text, second.text]
    directions.update_text(world.leader, second.pk, "Chuyển các phòng để biết, thực hiện.")
    directions.delete_text(world.admin, first.pk)
    assert [t.text for t in directions.texts_for(world.agency.pk)] == ["Chuyển các phòng để biết, thực hiện."]
    actions = list(AuditEntry.objects.filter(action__startswith="direction_text.").values_list("action", flat=True))
    assert sorted(actions) == ["direction_text.add", "direction_text.add", "direction_text.delete",
                               "direction_text.update"]


def test_others_may_not_edit_the_canned_directions_and_an_empty_one_is_refused(world):
    with pytest.raises(PermissionDenied):
        directions.add_text(world.spec, world.agency, "Giao …")
    with pytest.raises(InvalidInput) as refused:
        directions.add_text(world.leader, world.agency, "   ")
    assert refused.value.code == "TEXT_REQUIRED"
    mine = directions.add_text(world.leader, world.agency, "Giao …")
    with pytest.raises(NotFound):  # another agency's leader does not even find it
        directions.delete_text(world.stranger, mine.pk)
    assert DirectionText.objects.count() == 1


# --- Saved filters -------------------------------------------------------------------------------------


def test_a_saved_filter_keeps_the_list_filters_only_and_a_name_saves_once(world):
    saved = saved_filters.save_filter(world.clerk, "/van-ban-den/", " Khẩn ",
                                      "q=dien+tu&urgency=urgent&page=4&evil=1&sort=-subject&state=")
    assert (saved.name, saved.query) == ("Khẩn", "q=dien+tu&urgency=urgent&sort=-subject")
    again = saved_filters.save_filter(world.clerk, "/van-ban-den/", "Khẩn", "state=completed")
    assert again.pk == saved.pk and again.query == "state=completed"
    assert list(saved_filters.filters_for(world.clerk, "/van-ban-den/")) == [again]
    assert not saved_filters.filters_for(world.leader, "/van-ban-den/")


@pytest.mark.parametrize(("name", "query", "code"), [("", "q=a", "NAME_REQUIRED"), ("Tên", "page=2", "EMPTY_FILTER"),
                                                     ("x" * 61, "q=a", "NAME_TOO_LONG")])
def test_a_filter_without_a_name_or_a_condition_is_refused(world, name, query, code):
    with pytest.raises(InvalidInput) as refused:
        saved_filters.save_filter(world.clerk, "/van-ban-den/", name, query)
    assert refused.value.code == code


def test_a_person_deletes_only_their_own_filters(world):
    saved = saved_filters.save_filter(world.clerk, "/", "Của tôi", "q=a")
    with pytest.raises(NotFound):
        saved_filters.delete_filter(world.leader, saved.pk)
    saved_filters.delete_filter(world.clerk, saved.pk)
    assert not saved_filters.filters_for(world.clerk, "/")


# --- Several files at once ---------------------------------------------------------------------------------


def _file(name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_several_files_are_attached_each_judged_and_a_refused_one_names_itself_and_stores_nothing(world):
    doc = walk.draft(world)
    outcomes = uploads.upload_files(world.spec, doc, "attach", [
        _file("phu-luc-1.pdf", factories.pdf_bytes("Phụ lục 1")),
        _file("chuong-trinh.exe", b"MZ\x90\x00" + b"\x00" * 200),
        _file("phu-luc-2.docx", factories.docx_bytes())])
    assert [(o.name, o.ok) for o in outcomes] == [("phu-luc-1.pdf", True), ("chuong-trinh.exe", False),
                                                  ("phu-luc-2.docx", True)]
    assert outcomes[1].message
    assert sorted(doc.attachments.values_list("name", flat=True)) == ["phu-luc-1.pdf", "phu-luc-2.docx"]
    assert set(doc.attachments.values_list("kind", flat=True)) == {Attachment.Kind.APPENDIX}


def test_several_versions_at_once_become_successive_versions(world):
    doc = walk.draft(world)
    outcomes = uploads.upload_files(world.spec, doc, "version", [
        _file("du-thao-v2.docx", factories.docx_bytes()), _file("du-thao-v3.pdf", factories.pdf_bytes("v3")),
        _file("ghi-chu.txt", b"khong phai du thao")])
    assert [o.ok for o in outcomes] == [True, True, False]
    assert list(doc.versions.values_list("number", "name")) == [(1, "du-thao.docx"), (2, "du-thao-v2.docx"),
                                                                (3, "du-thao-v3.pdf")]


def test_only_those_who_may_edit_upload(world):
    doc = walk.draft(world)
    with pytest.raises(PermissionDenied):
        uploads.upload_files(world.spec2, doc, "attach", [_file("a.pdf", factories.pdf_bytes())])
    incoming = walk.registered(world)
    assert uploads.upload_files(world.clerk, incoming, "attach", [_file("b.pdf", factories.pdf_bytes())])[0].ok
    with pytest.raises(PermissionDenied):
        uploads.upload_files(world.spec, incoming, "attach", [_file("c.pdf", factories.pdf_bytes())])


def test_a_reply_to_a_secret_document_is_as_secret(world):
    from vpdt.records.choices import Secrecy
    from vpdt.records.permissions import can_view

    incoming = walk.assigned(world, secrecy=Secrecy.SECRET)
    draft = services.start_reply(world.head, incoming)
    assert draft.secrecy == Secrecy.SECRET
    assert can_view(world.head, draft) and not can_view(world.clerk, draft)

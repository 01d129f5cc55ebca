"""The archive's own rules (issue 19, helper "keep"): the 30-day alert before a dossier's
transfer is due, reading archived dossiers on request, and disposal needing both approvals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from vpdt.archive.models import (
    ArchiveReading,
    DisposalState,
    Dossier,
    DossierItem,
    DossierState,
    ReadingState,
)
from vpdt.archive.services import alerts, disposal, reading
from vpdt.core import blobs
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.workflow.models import Notification

pytestmark = [pytest.mark.django_db]

TODAY = dt.date(2026, 3, 10)


class World:
    def __init__(self):
        self.agency = factories.agency(name="Sở Văn hóa thử")
        self.clerk = factories.clerk(self.agency)
        self.clerk2 = factories.clerk(self.agency)
        self.leader = factories.person(self.agency, Role.LEADER)
        self.archivist = factories.person(self.agency, Role.ARCHIVIST)
        self.specialist = factories.person(self.agency, Role.SPECIALIST)
        self.owner = factories.person(self.agency, Role.SPECIALIST)
        self.other = factories.agency(name="Sở khác")
        self.stranger = factories.person(self.other, Role.ARCHIVIST, Role.CLERK, Role.LEADER)
        self.n = 0

    def dossier(self, *, state=DossierState.ARCHIVED, retention=5, end=dt.date(2015, 12, 31), agency=None,
                due=None, documents=0, **kw) -> Dossier:
        self.n += 1
        agency = agency or self.agency
        d = Dossier.objects.create(
            agency=agency, code=f"{agency.code}.{end.year}.{self.n:02d}.TH", title=f"Hồ sơ thử số {self.n}",
            year=end.year, retention_years=retention, state=state, start_date=end.replace(month=1, day=1),
            end_date=end, owner=kw.pop("owner", self.owner), transfer_due=due,
            archived_at=timezone.now() if state == DossierState.ARCHIVED else None, **kw)
        for i in range(documents):
            doc = factories.document(agency, subject=f"Văn bản {i + 1} của hồ sơ {self.n}")
            DossierItem.objects.create(dossier=d, document=doc, order=i)
        return d


@pytest.fixture
def world():
    return World()


def _notices(kind: str):
    return Notification.objects.filter(kind=kind)


# --- the 30-day alert ---------------------------------------------------------------------

def test_alert_reaches_the_clerks_and_the_owner_once_at_30_days(world):
    due = TODAY + dt.timedelta(days=30)
    d = world.dossier(state=DossierState.CLOSED, due=due)
    assert alerts.send_transfer_alerts(TODAY) == 3  # two clerks and the owner
    assert set(_notices(alerts.KIND).values_list("user_id", flat=True)) == {
        world.clerk.pk, world.clerk2.pk, world.owner.pk}
    text = _notices(alerts.KIND).first().message
    assert d.code in text and due.strftime("%d/%m/%Y") in text
    # the next run, the same day or the next, adds nothing
    assert alerts.send_transfer_alerts(TODAY) == 0
    assert alerts.send_transfer_alerts(TODAY + dt.timedelta(days=1)) == 0
    assert _notices(alerts.KIND).count() == 3
    # nobody of another agency hears of it
    assert not _notices(alerts.KIND).filter(user=world.stranger).exists()


def test_no_alert_before_30_days_nor_for_an_open_or_archived_dossier(world):
    world.dossier(state=DossierState.CLOSED, due=TODAY + dt.timedelta(days=31))
    world.dossier(state=DossierState.OPEN, due=TODAY + dt.timedelta(days=3))
    world.dossier(state=DossierState.ARCHIVED, due=TODAY - dt.timedelta(days=3))
    world.dossier(state=DossierState.CLOSED, due=None)
    assert alerts.send_transfer_alerts(TODAY) == 0
    assert not _notices(alerts.KIND).exists()


def test_a_dossier_past_due_is_announced_as_such_once(world):
    d = world.dossier(state=DossierState.CLOSED, due=TODAY + dt.timedelta(days=10), owner=None)
    assert alerts.send_transfer_alerts(TODAY) == 2
    later = d.transfer_due + dt.timedelta(days=1)
    assert alerts.send_transfer_alerts(later) == 2  # the second threshold: past due
    assert alerts.send_transfer_alerts(later + dt.timedelta(days=5)) == 0
    messages = list(_notices(alerts.KIND).filter(user=world.clerk).order_by("id").values_list("message", flat=True))
    assert len(messages) == 2 and "sắp đến hạn" in messages[0] and "quá hạn" in messages[1]


def test_the_alert_job_is_registered_with_the_worker():
    from vpdt.core import tasks

    assert "archive.transfer_alerts" in {j.name for j in tasks.jobs()}


# --- reader requests ----------------------------------------------------------------------

def test_reader_request_approved_then_each_opening_logged(world):
    d = world.dossier(documents=2)
    r = reading.request_reading(world.specialist, d, "Tra cứu phục vụ báo cáo tổng kết")
    assert r.state == ReadingState.REQUESTED
    assert Notification.objects.filter(user=world.archivist, kind=reading.KIND).exists()
    doc = d.documents.first()
    with pytest.raises(PermissionDenied):  # not yet approved
        reading.open_document(world.specialist, r, doc.pk)
    reading.decide(world.archivist, r, approve=True)
    r.refresh_from_db()
    assert r.state == ReadingState.APPROVED and r.decided_by == world.archivist and r.read_at is None
    opened = reading.open_document(world.specialist, r, doc.pk)
    assert opened == doc
    r.refresh_from_db()
    assert r.read_at is not None
    reading.open_document(world.specialist, r, doc.pk)
    reads = AuditEntry.objects.filter(action="archive.read", actor_id=world.specialist.pk)
    assert reads.count() == 2 and reads.first().detail["document"] == doc.pk
    # the approval reaches the reader; someone else cannot use it
    assert Notification.objects.filter(user=world.specialist, kind=reading.KIND).exists()
    with pytest.raises(PermissionDenied):
        reading.open_document(world.clerk, r, doc.pk)
    # a document outside the dossier is not opened through it
    outside = factories.document(world.agency)
    with pytest.raises(NotFound):
        reading.open_document(world.specialist, r, outside.pk)


def test_reader_request_refused_needs_a_reason_and_blocks_reading(world):
    d = world.dossier(documents=1)
    r = reading.request_reading(world.specialist, d, "Xem lại quyết định")
    with pytest.raises(InvalidInput) as err:
        reading.decide(world.archivist, r, approve=False, reason="  ")
    assert err.value.code == "READING_REASON"
    r.refresh_from_db()
    assert r.state == ReadingState.REQUESTED  # bad input changes nothing
    reading.decide(world.archivist, r, approve=False, reason="Hồ sơ có tài liệu hạn chế sử dụng")
    r.refresh_from_db()
    assert r.state == ReadingState.REFUSED and r.refusal_reason
    with pytest.raises(PermissionDenied):
        reading.open_document(world.specialist, r, d.documents.first().pk)
    with pytest.raises(InvalidState):
        reading.decide(world.archivist, r, approve=True)
    assert AuditEntry.objects.filter(action="archive.read_refuse").count() == 1


def test_a_specialist_or_clerk_cannot_approve_a_reading(world):
    d = world.dossier()
    r = reading.request_reading(world.clerk, d, "Tra cứu")
    for who in (world.specialist, world.clerk, world.leader):
        with pytest.raises(PermissionDenied):
            reading.decide(who, r, approve=True)
    r.refresh_from_db()
    assert r.state == ReadingState.REQUESTED


def test_reading_is_isolated_between_agencies(world):
    d = world.dossier()
    theirs = world.dossier(agency=world.other, owner=world.stranger)
    with pytest.raises(NotFound):  # another agency's archive is not found
        reading.request_reading(world.specialist, theirs, "Tò mò")
    r = reading.request_reading(world.specialist, d, "Tra cứu")
    with pytest.raises(NotFound):  # the other agency's archivist cannot decide
        reading.decide(world.stranger, r, approve=True)
    assert list(reading.readings_for(world.stranger)) == []
    assert list(reading.readings_for(world.archivist)) == [r]  # the archivist sees all of the agency's
    mine = reading.request_reading(world.owner, d, "Đối chiếu")
    assert list(reading.readings_for(world.specialist)) == [r]  # a person sees their own only
    assert set(reading.readings_for(world.archivist)) == {r, mine}
    assert set(reading.readings_for(world.leader)) == {r, mine}  # the leader sees them too, but does not decide
    assert d not in reading.archived_dossiers(world.stranger)


def test_only_archived_dossiers_are_read(world):
    d = world.dossier(state=DossierState.CLOSED)
    with pytest.raises(InvalidState) as err:
        reading.request_reading(world.specialist, d, "Tra cứu")
    assert err.value.code == "READING_NOT_ARCHIVED"
    assert not ArchiveReading.objects.exists()


# --- disposal -------------------------------------------------------------------------------

def test_disposal_needs_both_approvals_before_destroying(world, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    old = world.dossier(retention=5, end=dt.date(2015, 12, 31), documents=1)
    older = world.dossier(retention=10, end=dt.date(2010, 6, 30))
    dl = disposal.propose(world.archivist, world.agency, [old.pk, older.pk], today=TODAY)
    assert dl.state == DisposalState.DRAFT and dl.items.count() == 2
    with pytest.raises(InvalidState):  # not submitted yet
        disposal.approve(world.leader, dl, disposal.LEADER)
    disposal.submit(world.archivist, dl)
    with pytest.raises(PermissionDenied):  # a specialist is neither side
        disposal.approve(world.specialist, dl, disposal.LEADER)
    with pytest.raises(PermissionDenied):  # the archivist is not the leader's side
        disposal.approve(world.archivist, dl, disposal.LEADER)
    disposal.approve(world.leader, dl, disposal.LEADER)
    dl.refresh_from_db()
    assert dl.state == DisposalState.SUBMITTED and dl.leader_approved_by == world.leader
    with pytest.raises(InvalidState) as err:  # one approval is not enough
        disposal.destroy(world.archivist, dl)
    assert err.value.code == "DISPOSAL_NOT_APPROVED"
    old.refresh_from_db()
    assert old.state == DossierState.ARCHIVED and old.destroyed_at is None
    disposal.approve(world.archivist, dl, disposal.ARCHIVE)
    dl.refresh_from_db()
    assert dl.state == DisposalState.APPROVED
    with pytest.raises(PermissionDenied):  # the leader does not carry out the destruction
        disposal.destroy(world.leader, dl)
    disposal.destroy(world.archivist, dl)
    dl.refresh_from_db()
    old.refresh_from_db()
    assert dl.state == DisposalState.DESTROYED and dl.destroyed_by == world.archivist and dl.record_id
    assert old.state == DossierState.DESTROYED and old.destroyed_at is not None
    assert Dossier.objects.filter(pk=old.pk).exists() and old.items.count() == 1  # the row stays as the record
    head = b"".join(blobs.iter_blob(dl.record))[:5]
    assert head == b"%PDF-"
    actions = set(AuditEntry.objects.filter(action__startswith="disposal.").values_list("action", flat=True))
    assert actions == {"disposal.propose", "disposal.submit", "disposal.approve_leader",
                       "disposal.approve_archive", "disposal.destroy"}
    with pytest.raises(InvalidState):  # a destroyed dossier is no longer read
        reading.request_reading(world.specialist, old, "Tra cứu")


def test_the_record_pdf_names_the_dossiers_and_approvers(world, settings, tmp_path):
    from pypdf import PdfReader

    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    d = world.dossier(retention=5, end=dt.date(2012, 5, 31))
    dl = disposal.propose(world.clerk, world.agency, [d.pk], today=TODAY)
    disposal.submit(world.clerk, dl)
    disposal.approve(world.archivist, dl, disposal.ARCHIVE)
    disposal.approve(world.leader, dl, disposal.LEADER)
    disposal.destroy(world.clerk, dl)
    dl.refresh_from_db()
    text = "".join(page.extract_text() for page in PdfReader(blobs.local_path(dl.record)).pages)
    for expected in (d.code, "BIÊN BẢN HỦY", world.leader.get_full_name(), world.archivist.get_full_name(), "5 năm"):
        assert expected in text


def test_a_permanent_dossier_can_never_be_proposed(world):
    forever = world.dossier(retention=None, end=dt.date(1990, 12, 31))
    with pytest.raises(InvalidInput) as err:
        disposal.propose(world.archivist, world.agency, [forever.pk], today=TODAY)
    assert err.value.code == "DISPOSAL_PERMANENT"
    assert not world.agency.disposals.exists()
    assert forever not in disposal.past_retention(world.agency.pk, TODAY)


def test_only_archived_dossiers_past_retention_are_proposed(world):
    young = world.dossier(retention=20, end=dt.date(2015, 12, 31))
    closed = world.dossier(state=DossierState.CLOSED, retention=1, end=dt.date(2015, 12, 31))
    theirs = world.dossier(agency=world.other, retention=1, end=dt.date(2015, 12, 31))
    due = world.dossier(retention=10, end=dt.date(2016, 3, 9))  # ended yesterday: 09/03/2026 < 10/03/2026
    for dossier, code in ((young, "DISPOSAL_NOT_DUE"), (closed, "DISPOSAL_NOT_ARCHIVED")):
        with pytest.raises((InvalidState, InvalidInput)) as err:
            disposal.propose(world.archivist, world.agency, [dossier.pk, due.pk], today=TODAY)
        assert err.value.code == code
    with pytest.raises(NotFound):
        disposal.propose(world.archivist, world.agency, [theirs.pk], today=TODAY)
    with pytest.raises(PermissionDenied):
        disposal.propose(world.specialist, world.agency, [due.pk], today=TODAY)
    assert not world.agency.disposals.exists()
    assert disposal.past_retention(world.agency.pk, TODAY) == [due]
    disposal.propose(world.archivist, world.agency, [due.pk], today=TODAY)
    with pytest.raises(InvalidState) as err:  # not on two lists at once
        disposal.propose(world.clerk, world.agency, [due.pk], today=TODAY)
    assert err.value.code == "DISPOSAL_ALREADY_LISTED"


def test_either_side_may_refuse_with_a_reason(world):
    d = world.dossier()
    dl = disposal.propose(world.archivist, world.agency, [d.pk], today=TODAY)
    disposal.submit(world.archivist, dl)
    disposal.approve(world.archivist, dl, disposal.ARCHIVE)
    with pytest.raises(InvalidInput):
        disposal.refuse(world.leader, dl, "")
    with pytest.raises(PermissionDenied):
        disposal.refuse(world.specialist, dl, "Không đồng ý")
    disposal.refuse(world.leader, dl, "Cần thẩm định lại giá trị tài liệu")
    dl.refresh_from_db()
    assert dl.state == DisposalState.REFUSED and "thẩm định lại" in dl.note
    with pytest.raises(InvalidState):
        disposal.approve(world.leader, dl, disposal.LEADER)
    with pytest.raises(InvalidState):
        disposal.destroy(world.archivist, dl)
    d.refresh_from_db()
    assert d.state == DossierState.ARCHIVED
    assert AuditEntry.objects.filter(action="disposal.refuse").exists()
    # the refused list no longer holds the dossier: it may be proposed again
    assert disposal.propose(world.archivist, world.agency, [d.pk], today=TODAY).items.count() == 1


def test_one_person_cannot_give_both_approvals(world):
    both = factories.person(world.agency, Role.LEADER, Role.ARCHIVIST)
    d = world.dossier()
    dl = disposal.propose(world.archivist, world.agency, [d.pk], today=TODAY)
    disposal.submit(world.archivist, dl)
    disposal.approve(both, dl, disposal.LEADER)
    with pytest.raises(InvalidState) as err:
        disposal.approve(both, dl, disposal.ARCHIVE)
    assert err.value.code == "DISPOSAL_SAME_PERSON"
    dl.refresh_from_db()
    assert dl.state == DisposalState.SUBMITTED


def test_another_agency_cannot_touch_the_list(world):
    d = world.dossier()
    dl = disposal.propose(world.archivist, world.agency, [d.pk], today=TODAY)
    disposal.submit(world.archivist, dl)
    with pytest.raises(PermissionDenied):
        disposal.approve(world.stranger, dl, disposal.LEADER)
    with pytest.raises(NotFound):
        disposal.get_list(world.stranger, dl.pk)


def test_the_job_alerts_with_todays_date(world):
    from vpdt.archive import jobs

    d = world.dossier(state=DossierState.CLOSED, due=timezone.localdate() + dt.timedelta(days=5))
    assert jobs.transfer_alerts() == 0  # never asks to be rerun at once
    assert _notices(alerts.KIND).filter(user=world.clerk, message__contains=d.code).count() == 1
    jobs.transfer_alerts()
    assert _notices(alerts.KIND).filter(user=world.clerk).count() == 1


def test_a_secret_document_opens_only_for_who_may_see_it(world):
    d = world.dossier()
    secret = factories.document(world.agency, secrecy=1, subject="Văn bản mật")
    DossierItem.objects.create(dossier=d, document=secret, order=1)
    r = reading.request_reading(world.specialist, d, "Tra cứu")
    reading.decide(world.archivist, r, approve=True)
    with pytest.raises(PermissionDenied) as err:
        reading.open_document(world.specialist, r, secret.pk)
    assert err.value.code == "READING_SECRET"
    assert not AuditEntry.objects.filter(action="archive.read").exists()


def test_submitting_a_disposal_tells_the_leader_and_the_archive(world):
    d = world.dossier()
    dl = disposal.propose(world.clerk, world.agency, [d.pk], today=TODAY)
    disposal.submit(world.clerk, dl)
    told = set(Notification.objects.filter(kind=disposal.KIND).values_list("user_id", flat=True))
    assert told == {world.leader.pk, world.archivist.pk}
    with pytest.raises(InvalidState):  # submitted once only
        disposal.submit(world.clerk, dl)

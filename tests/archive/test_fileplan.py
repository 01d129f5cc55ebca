"""The file plan (danh mục hồ sơ): drafted by the clerk (from last year's), approved by a leader,
published to the units, dossiers opened from its entries; the retention table behind it."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.archive.models import Dossier, FilePlanEntry, FilePlanState, RetentionPeriod
from vpdt.archive.seed import RETENTION_PERIODS, seed_retention_periods
from vpdt.archive.services import fileplan
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.core.labels import ACTIONS
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.workflow.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    from types import SimpleNamespace

    if not RetentionPeriod.objects.exists():
        seed_retention_periods(RetentionPeriod)
    agency = factories.agency(code="000.00.13.H91", abbreviation="SKHCN")
    vp, cds = factories.unit(agency, "VP", "Văn phòng Sở"), factories.unit(agency, "CĐS", "Phòng Chuyển đổi số")
    return SimpleNamespace(
        agency=agency, vp=vp, cds=cds,
        clerk=factories.person(agency, Role.CLERK, unit=vp),
        leader=factories.person(agency, Role.LEADER),
        head=factories.person(agency, Role.UNIT_HEAD, unit=cds),
        specialist=factories.person(agency, Role.SPECIALIST, unit=cds),
        other=factories.person(agency, Role.SPECIALIST, unit=vp),
        stranger_agency=(stranger := factories.agency(code="000.00.03.H91")),
        stranger_clerk=factories.person(stranger, Role.CLERK),
        stranger_leader=factories.person(stranger, Role.LEADER),
    )


def period(code: str) -> RetentionPeriod:
    return RetentionPeriod.objects.get(code=code)


def plan_2026(w):
    plan = fileplan.create_plan(w.clerk, 2026)
    fileplan.add_entry(w.clerk, plan, heading="I. Tổng hợp", notation="01.TH",
                       title="Hồ sơ hội nghị tổng kết công tác năm 2026", retention=period("TH.03"), unit=w.vp,
                       owner=w.clerk)
    fileplan.add_entry(w.clerk, plan, heading="II. Chuyển đổi số", notation="02.CĐS",
                       title="Kế hoạch chuyển đổi số năm 2026 và các báo cáo quý", retention_years=10,
                       unit=w.cds, owner=w.specialist)
    fileplan.add_entry(w.clerk, plan, heading="I. Tổng hợp", notation="03.TH",
                       title="Công văn trao đổi về công tác chung", retention=period("TH.08"), unit=w.vp)
    return plan


def published(w, plan):
    fileplan.submit(w.clerk, plan)
    fileplan.approve(w.leader, plan)
    return fileplan.publish(w.clerk, plan)


def test_the_starting_retention_table_is_seeded_by_migration_and_covers_the_usual_groups():
    # The migration seeded it (tests run on the migrated database).
    assert RetentionPeriod.objects.count() >= 12
    assert period("TH.01").years is None and period("TH.01").label == "Vĩnh viễn"
    assert period("TH.08").years == 10 and period("VT.01").years == 20
    assert {c for c, *_ in RETENTION_PERIODS} <= set(RetentionPeriod.objects.values_list("code", flat=True))


def test_a_changed_line_of_the_table_is_audited_and_not_overwritten_by_seeding_again(world):
    line = period("TH.07")
    line.years = 5
    line.save()
    seed_retention_periods(RetentionPeriod)
    assert period("TH.07").years == 5
    assert AuditEntry.objects.filter(action="retention_period.update", object_id=str(line.pk)).exists()


def test_entries_are_grouped_under_their_headings_in_order(world):
    plan = plan_2026(world)
    groups = fileplan.grouped(plan)
    assert [g.title for g in groups] == ["I. Tổng hợp", "II. Chuyển đổi số"]
    assert [e.notation for e in groups[0].entries] == ["01.TH", "03.TH"]
    assert [e.retention_label for e in groups[0].entries] == ["Vĩnh viễn", "10 năm"]


def test_drafting_from_last_year_copies_the_entries_and_bumps_the_year_in_titles(world):
    w = world
    old = published(w, plan_2026(w))
    new = fileplan.create_plan(w.clerk, 2027, based_on=old)
    assert new.state == FilePlanState.DRAFT and new.based_on == old
    rows = fileplan.entries_of(new)
    assert [(e.heading, e.notation, e.retention_years, e.unit, e.owner) for e in rows] == [
        (e.heading, e.notation, e.retention_years, e.unit, e.owner) for e in fileplan.entries_of(old)]
    assert rows[0].title == "Hồ sơ hội nghị tổng kết công tác năm 2027"
    assert rows[1].title == "Công văn trao đổi về công tác chung"  # placed under its heading "I. Tổng hợp"
    assert rows[2].title == "Kế hoạch chuyển đổi số năm 2027 và các báo cáo quý"
    assert fileplan.entries_of(old)[0].title.endswith("năm 2026")  # the old plan is untouched
    assert AuditEntry.objects.filter(action="file_plan.create", object_id=str(new.pk),
                                     detail__entries=3).exists()


def test_a_person_gone_from_the_agency_is_not_copied_as_responsible(world):
    w = world
    old = plan_2026(w)
    w.specialist.is_active = False
    w.specialist.save()
    new = fileplan.create_plan(w.clerk, 2027, based_on=old)
    assert FilePlanEntry.objects.get(plan=new, notation="02.CĐS").owner is None
    assert FilePlanEntry.objects.get(plan=new, notation="01.TH").owner == w.clerk


def test_one_plan_per_year_and_only_from_an_earlier_plan_of_the_same_agency(world):
    w = world
    old = plan_2026(w)
    with pytest.raises(InvalidInput) as exc:
        fileplan.create_plan(w.clerk, 2026)
    assert exc.value.code == "FILE_PLAN_EXISTS"
    with pytest.raises(InvalidInput) as exc:
        fileplan.create_plan(w.clerk, 2025, based_on=old)
    assert exc.value.code == "FILE_PLAN_BASE_YEAR"
    with pytest.raises(PermissionDenied):
        fileplan.create_plan(w.stranger_clerk, 2027, based_on=old)
    with pytest.raises(InvalidInput) as exc:
        fileplan.create_plan(w.clerk, 1999)
    assert exc.value.code == "FILE_PLAN_YEAR"


def test_a_notation_is_unique_in_the_plan_and_bad_input_changes_nothing(world):
    w = world
    plan = plan_2026(w)
    before = list(FilePlanEntry.objects.filter(plan=plan).values_list("notation", "title", "order"))
    with pytest.raises(InvalidInput) as exc:
        fileplan.add_entry(w.clerk, plan, heading="III. Khác", notation="01.th", title="Trùng ký hiệu",
                           retention_years=5)
    assert exc.value.code == "FILE_PLAN_NOTATION_TAKEN"
    with pytest.raises(InvalidInput) as exc:
        fileplan.add_entry(w.clerk, plan, heading="III. Khác", notation="04 TH", title="Có khoảng trắng",
                           retention_years=5)
    assert exc.value.code == "FILE_PLAN_NOTATION_INVALID"
    with pytest.raises(InvalidInput) as exc:
        fileplan.add_entry(w.clerk, plan, heading="III. Khác", notation="04.TH", title="Không có thời hạn")
    assert exc.value.code == "FILE_PLAN_RETENTION_REQUIRED"
    entry = FilePlanEntry.objects.get(plan=plan, notation="03.TH")
    with pytest.raises(InvalidInput) as exc:
        fileplan.update_entry(w.clerk, entry, heading=entry.heading, notation="02.CĐS", title=entry.title,
                              retention_years=10)
    assert exc.value.code == "FILE_PLAN_NOTATION_TAKEN"
    assert list(FilePlanEntry.objects.filter(plan=plan).values_list("notation", "title", "order")) == before
    # The same notation in another year's plan is another dossier code: allowed.
    other = fileplan.create_plan(w.clerk, 2027)
    fileplan.add_entry(w.clerk, other, heading="I. Tổng hợp", notation="01.TH", title="Hội nghị", permanent=True)
    assert fileplan.entries_of(other)[0].retention_years is None


def test_retention_comes_from_the_table_or_explicit_years(world):
    w = world
    plan = fileplan.create_plan(w.clerk, 2026)
    a = fileplan.add_entry(w.clerk, plan, heading="I", notation="1", title="Sổ đăng ký văn bản",
                           retention=period("VT.01"))
    b = fileplan.add_entry(w.clerk, plan, heading="I", notation="2", title="Hồ sơ riêng", retention_years=7)
    assert (a.retention_id, a.retention_years) == (period("VT.01").pk, 20)
    assert (b.retention_id, b.retention_years, b.retention_label) == (None, 7, "7 năm")
    with pytest.raises(InvalidInput) as exc:
        fileplan.add_entry(w.clerk, plan, heading="I", notation="3", title="X", retention_years=0)
    assert exc.value.code == "FILE_PLAN_RETENTION_INVALID"


def test_edit_delete_and_reorder_while_draft(world):
    w = world
    plan = plan_2026(w)
    entry = FilePlanEntry.objects.get(plan=plan, notation="03.TH")
    fileplan.update_entry(w.clerk, entry, heading=entry.heading, notation="03.TH", title="Công văn trao đổi",
                          retention_years=5, unit=w.vp, owner=w.other)
    entry.refresh_from_db()
    assert (entry.title, entry.retention_years, entry.owner) == ("Công văn trao đổi", 5, w.other)
    assert [e.notation for e in fileplan.entries_of(plan)] == ["01.TH", "03.TH", "02.CĐS"]
    fileplan.move_entry(w.clerk, entry, -1)
    assert [e.notation for e in fileplan.entries_of(plan)] == ["03.TH", "01.TH", "02.CĐS"]
    fileplan.move_entry(w.clerk, FilePlanEntry.objects.get(plan=plan, notation="03.TH"), -1)  # at the top
    assert [e.notation for e in fileplan.entries_of(plan)] == ["03.TH", "01.TH", "02.CĐS"]
    ids = [e.pk for e in fileplan.entries_of(plan)]
    fileplan.reorder(w.clerk, plan, [ids[2], ids[0], ids[1]])
    assert [e.notation for e in fileplan.entries_of(plan)] == ["02.CĐS", "03.TH", "01.TH"]
    with pytest.raises(InvalidInput):
        fileplan.reorder(w.clerk, plan, ids[:2])
    fileplan.delete_entry(w.clerk, FilePlanEntry.objects.get(plan=plan, notation="03.TH"))
    assert [(e.notation, e.order) for e in fileplan.entries_of(plan)] == [("02.CĐS", 1), ("01.TH", 2)]
    actions = set(AuditEntry.objects.filter(object_id=str(plan.pk), object_type="archive.fileplan")
                  .values_list("action", flat=True))
    assert {"file_plan.create", "file_plan.entry_add", "file_plan.entry_update", "file_plan.entry_move",
            "file_plan.reorder", "file_plan.entry_delete"} <= actions


def test_the_state_machine_from_draft_to_published(world):
    w = world
    plan = plan_2026(w)
    with pytest.raises(InvalidState):
        fileplan.approve(w.leader, plan)  # not submitted yet
    with pytest.raises(InvalidState):
        fileplan.publish(w.clerk, plan)  # not approved
    fileplan.submit(w.clerk, plan)
    assert Notification.objects.filter(user=w.leader, kind="file_plan_submitted").exists()
    with pytest.raises(InvalidState) as exc:  # locked while the leader reads it
        fileplan.add_entry(w.clerk, plan, heading="III", notation="09", title="Muộn", retention_years=5)
    assert exc.value.code == "FILE_PLAN_LOCKED"
    with pytest.raises(InvalidInput) as exc:
        fileplan.return_plan(w.leader, plan, "  ")
    assert exc.value.code == "FILE_PLAN_REASON_REQUIRED"
    fileplan.return_plan(w.leader, plan, "Thêm hồ sơ thi đua, khen thưởng.")
    plan.refresh_from_db()
    assert plan.state == FilePlanState.RETURNED
    assert fileplan.last_return_reason(plan) == "Thêm hồ sơ thi đua, khen thưởng."
    assert Notification.objects.filter(user=w.clerk, kind="file_plan_returned").exists()
    fileplan.add_entry(w.clerk, plan, heading="III. Thi đua", notation="04.TĐKT", title="Hồ sơ thi đua",
                       retention=period("TC.03"))
    fileplan.submit(w.clerk, plan)
    fileplan.approve(w.leader, plan)
    plan.refresh_from_db()
    assert (plan.state, plan.approved_by, plan.approved_at is not None) == (FilePlanState.APPROVED, w.leader, True)
    with pytest.raises(InvalidState):
        fileplan.update_entry(w.clerk, plan.entries.first(), heading="X", notation="X", title="X",
                              retention_years=1)
    fileplan.publish(w.clerk, plan)
    plan.refresh_from_db()
    assert plan.state == FilePlanState.PUBLISHED and plan.published_at is not None
    # The people named responsible are told; for the entry with a unit and nobody named, the unit head.
    assert Notification.objects.filter(user=w.specialist, kind="file_plan_published").count() == 1
    assert Notification.objects.filter(user=w.clerk, kind="file_plan_published").exists()
    assert not Notification.objects.filter(user=w.other, kind="file_plan_published").exists()
    actions = list(AuditEntry.objects.filter(object_id=str(plan.pk), object_type="archive.fileplan",
                                             action__in=["file_plan.submit", "file_plan.return",
                                                         "file_plan.approve", "file_plan.publish"])
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["file_plan.submit", "file_plan.return", "file_plan.submit", "file_plan.approve",
                       "file_plan.publish"]


def test_an_empty_plan_cannot_be_submitted(world):
    plan = fileplan.create_plan(world.clerk, 2026)
    with pytest.raises(InvalidState) as exc:
        fileplan.submit(world.clerk, plan)
    assert exc.value.code == "FILE_PLAN_EMPTY"


def test_only_a_leader_approves_or_returns_and_only_the_clerk_drafts(world):
    w = world
    plan = plan_2026(w)
    with pytest.raises(PermissionDenied):
        fileplan.submit(w.specialist, plan)
    with pytest.raises(PermissionDenied):
        fileplan.add_entry(w.leader, plan, heading="I", notation="9", title="X", retention_years=1)
    fileplan.submit(w.clerk, plan)
    for person in (w.clerk, w.head, w.specialist, w.stranger_leader):
        with pytest.raises(PermissionDenied):
            fileplan.approve(person, plan)
        with pytest.raises(PermissionDenied):
            fileplan.return_plan(person, plan, "Không đồng ý")
    plan.refresh_from_db()
    assert plan.state == FilePlanState.SUBMITTED
    fileplan.approve(w.leader, plan)
    with pytest.raises(PermissionDenied):
        fileplan.publish(w.leader, plan)


def test_agencies_are_isolated(world):
    w = world
    plan = plan_2026(w)
    entry = plan.entries.first()
    with pytest.raises(PermissionDenied):
        fileplan.add_entry(w.stranger_clerk, plan, heading="I", notation="99", title="X", retention_years=1)
    with pytest.raises(PermissionDenied):
        fileplan.delete_entry(w.stranger_clerk, entry)
    with pytest.raises(NotFound):  # their agency has no plan for 2026; ours is not theirs to read
        fileplan.get_plan(w.stranger_clerk, 2026)
    assert fileplan.plans_for(w.stranger_clerk) == []
    assert not fileplan.may_read(w.stranger_clerk, plan)
    stranger_unit = factories.unit(w.stranger_agency, "VP")
    with pytest.raises(InvalidInput) as exc:
        fileplan.add_entry(w.clerk, plan, heading="I", notation="98", title="X", retention_years=1,
                           unit=stranger_unit)
    assert exc.value.code == "FILE_PLAN_UNIT"
    with pytest.raises(InvalidInput) as exc:
        fileplan.add_entry(w.clerk, plan, heading="I", notation="98", title="X", retention_years=1,
                           owner=w.stranger_clerk)
    assert exc.value.code == "FILE_PLAN_OWNER"
    published(w, plan)
    with pytest.raises(PermissionDenied):
        fileplan.open_dossier_from_entry(w.stranger_clerk, entry)


def test_a_draft_is_read_by_the_clerk_and_leaders_a_published_plan_by_everyone_in_the_agency(world):
    w = world
    plan = plan_2026(w)
    assert fileplan.get_plan(w.leader, 2026) == plan
    with pytest.raises(PermissionDenied):
        fileplan.get_plan(w.specialist, 2026)
    assert fileplan.plans_for(w.specialist) == []
    published(w, plan)
    assert fileplan.get_plan(w.specialist, 2026) == plan
    assert fileplan.plans_for(w.other) == [plan]


def test_open_dossier_from_entry_makes_the_code_agency_year_notation(world):
    w = world
    plan = plan_2026(w)
    entry = FilePlanEntry.objects.get(plan=plan, notation="02.CĐS")
    with pytest.raises(InvalidState) as exc:
        fileplan.open_dossier_from_entry(w.specialist, entry)
    assert exc.value.code == "FILE_PLAN_NOT_PUBLISHED"
    published(w, plan)
    with pytest.raises(PermissionDenied):  # not the person named for it
        fileplan.open_dossier_from_entry(w.other, entry)
    dossier = fileplan.open_dossier_from_entry(w.specialist, entry)
    assert dossier.code == "000.00.13.H91.2026.02.CĐS"
    assert (dossier.title, dossier.year, dossier.unit, dossier.owner, dossier.retention_years, dossier.agency) == (
        entry.title, 2026, w.cds, w.specialist, 10, w.agency)
    assert dossier.plan_entry == entry and dossier.is_open
    with pytest.raises(InvalidState) as exc:
        fileplan.open_dossier_from_entry(w.clerk, entry)
    assert exc.value.code == "DOSSIER_ALREADY_OPEN"
    assert Dossier.objects.filter(plan_entry=entry).count() == 1
    assert AuditEntry.objects.filter(action="file_plan.open_dossier", object_type="archive.dossier",
                                     object_id=str(dossier.pk)).exists()
    # An entry with a unit and nobody named: a member of that unit, or the clerk, opens it.
    unnamed = FilePlanEntry.objects.get(plan=plan, notation="03.TH")
    assert fileplan.may_open_dossier(w.other, unnamed) and not fileplan.may_open_dossier(w.specialist, unnamed)
    assert fileplan.open_dossier_from_entry(w.clerk, unnamed).owner == w.clerk
    assert fileplan.opened(plan).keys() == {entry.pk, unnamed.pk}


def test_every_file_plan_audit_action_has_a_label():
    import inspect

    source = inspect.getsource(fileplan)
    import re

    codes = set(re.findall(r'"(file_plan\.[a-z_]+)"', source))
    assert codes and codes <= set(ACTIONS)


def test_only_the_platform_admin_keeps_the_retention_table_in_django_admin(world, client):
    agency_admin = factories.person(world.agency, Role.AGENCY_ADMIN)
    agency_admin.is_staff = True
    agency_admin.save()
    client.force_login(agency_admin)
    assert client.get("/admin/archive/retentionperiod/").status_code == 403
    assert client.post("/admin/archive/retentionperiod/add/", {"code": "X.1", "name": "Thử", "years": 3,
                                                                "order": 1}).status_code == 403
    platform = factories.person(world.agency, Role.PLATFORM_ADMIN)
    platform.is_staff = True
    platform.save()
    client.force_login(platform)
    page = client.get("/admin/archive/retentionperiod/").content.decode()
    assert "Công văn trao đổi về công tác chung" in page
    response = client.post("/admin/archive/retentionperiod/add/", {"code": "NV.01", "name": "Hồ sơ nghiệp vụ riêng",
                                                                    "years": "", "field": "Nghiệp vụ", "order": 300})
    assert response.status_code == 302
    line = RetentionPeriod.objects.get(code="NV.01")
    assert line.years is None and line.label == "Vĩnh viễn"
    entry = AuditEntry.objects.get(action="retention_period.create", object_id=str(line.pk))
    assert entry.actor_id == platform.pk

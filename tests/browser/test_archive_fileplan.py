"""Issue 19, walked in a real browser: the clerk of Sở KH&CN drafts next year's file plan from
this year's (on a phone), adds a dossier to it and submits it; the director (second factor)
approves it; the plan then reads "Đã duyệt"."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from vpdt.archive.models import FilePlan, FilePlanEntry, FilePlanState, RetentionPeriod
from vpdt.archive.seed import seed_retention_periods
from vpdt.archive.services import fileplan
from vpdt.directory.models import Agency, Unit, User

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "hub"])]

SKHCN = "000.00.13.H90"


def _this_years_plan(year: int) -> FilePlan:
    """This year's plan of the demo's Sở KH&CN, published, built through the services the pages call."""
    if not RetentionPeriod.objects.exists():  # a transactional test before this one flushed the seed data
        seed_retention_periods(RetentionPeriod)
    agency = Agency.objects.get(code=SKHCN)
    clerk, leader = User.objects.get(username="skhcn.vanthu"), User.objects.get(username="skhcn.lanhdao")
    found = FilePlan.objects.filter(agency=agency, year=year).first()
    if found is not None and found.entries.exists():
        return found
    plan = found or fileplan.create_plan(clerk, year, agency=agency)
    unit = Unit.objects.filter(agency=agency).order_by("pk").first()
    fileplan.add_entry(clerk, plan, heading="I. Tổng hợp", notation="01.TH",
                       title=f"Hồ sơ hội nghị tổng kết công tác năm {year}",
                       retention=RetentionPeriod.objects.get(code="TH.03"), unit=unit, owner=clerk)
    fileplan.add_entry(clerk, plan, heading="I. Tổng hợp", notation="02.TH",
                       title="Công văn trao đổi về công tác chung",
                       retention=RetentionPeriod.objects.get(code="TH.08"), unit=unit)
    fileplan.add_entry(clerk, plan, heading="II. Văn thư, lưu trữ", notation="03.VT",
                       title=f"Sổ đăng ký văn bản đi, văn bản đến năm {year}",
                       retention=RetentionPeriod.objects.get(code="VT.01"), unit=unit, owner=clerk)
    fileplan.submit(clerk, plan)
    fileplan.approve(leader, plan)
    return fileplan.publish(clerk, plan)


def test_the_clerk_drafts_next_years_plan_from_this_years_and_the_leader_approves_it(people, shot):
    year = timezone.localdate().year
    base = _this_years_plan(year)
    if base.state != FilePlanState.PUBLISHED:  # a plan the demo left half-way: walk it to the end first
        clerk_user, leader_user = User.objects.get(username="skhcn.vanthu"), User.objects.get(username="skhcn.lanhdao")
        if base.state in (FilePlanState.DRAFT, FilePlanState.RETURNED):
            fileplan.submit(clerk_user, base)
        if base.state != FilePlanState.APPROVED:
            fileplan.approve(leader_user, base)
        fileplan.publish(clerk_user, base)
    entries = fileplan.entries_of(base)
    dated = next(e for e in entries if f"năm {year}" in e.title)
    first = entries[0]

    clerk = people.login("skhcn.vanthu", width=390, height=844)
    clerk.get_by_role("button", name="Menu").click()  # the menu is folded on a phone
    clerk.get_by_test_id("archive-menu").click()
    clerk.get_by_test_id("file-plans-link").click()
    clerk.wait_for_url("**/ho-so/danh-muc/")
    expect(clerk.get_by_test_id(f"file-plan-{year}")).to_contain_text("Đã ban hành")
    clerk.get_by_label("Năm", exact=True).fill(str(year + 1))
    clerk.get_by_label("Lập từ danh mục năm").select_option(label=f"Danh mục năm {year}")
    clerk.get_by_test_id("create-plan").click()
    clerk.wait_for_url(f"**/ho-so/danh-muc/{year + 1}/")
    expect(clerk.get_by_test_id("plan-state")).to_have_text("Dự thảo")
    # The entries are there, the year in their titles bumped, their retention kept.
    row = clerk.get_by_test_id(f"entry-{dated.notation}")
    expect(row).to_contain_text(dated.title.replace(f"năm {year}", f"năm {year + 1}"))
    expect(row).to_contain_text(dated.retention_label)
    expect(clerk.get_by_test_id(f"entry-{first.notation}")).to_contain_text(first.retention_label)

    # A new dossier for next year, with a notation already taken first: refused next to the field.
    clerk.get_by_test_id("add-entry").click()
    clerk.get_by_label("Đề mục").fill("V. Chuyển đổi số")
    clerk.get_by_label("Số và ký hiệu hồ sơ").fill(first.notation)
    clerk.get_by_label("Tiêu đề hồ sơ").fill(f"Hồ sơ triển khai chuyển đổi số năm {year + 1}")
    clerk.get_by_label("Thời hạn bảo quản theo bảng").select_option(
        label="Hồ sơ ứng dụng công nghệ thông tin, chuyển đổi số của cơ quan (20 năm)")
    clerk.get_by_test_id("save-entry").click()
    expect(clerk.get_by_test_id("field-error")).to_contain_text(f"Số, ký hiệu {first.notation} đã có trong danh mục.")
    clerk.get_by_label("Số và ký hiệu hồ sơ").fill("99.CĐS")
    clerk.get_by_test_id("save-entry").click()
    clerk.wait_for_url(f"**/ho-so/danh-muc/{year + 1}/**")
    expect(clerk.get_by_test_id("entry-99.CĐS")).to_contain_text("20 năm")
    shot(clerk, "archive-file-plan-draft-phone")
    clerk.get_by_test_id("submit-plan").click()
    expect(clerk.get_by_test_id("plan-state")).to_have_text("Chờ lãnh đạo duyệt")
    expect(clerk.get_by_test_id("add-entry")).to_have_count(0)

    leader = people.login("skhcn.lanhdao")
    leader.get_by_test_id("archive-menu").click()
    leader.get_by_test_id("file-plans-link").click()
    leader.get_by_test_id(f"open-plan-{year + 1}").click()
    expect(leader.get_by_test_id("plan-table")).to_contain_text(f"Hồ sơ triển khai chuyển đổi số năm {year + 1}")
    leader.get_by_test_id("approve-plan").click()
    expect(leader.get_by_test_id("plan-state")).to_have_text("Đã duyệt")
    expect(leader.get_by_role("alert").first).to_contain_text(f"Đã duyệt danh mục hồ sơ năm {year + 1}.")
    shot(leader, "archive-file-plan-approved")

    plan = FilePlan.objects.get(agency__code=SKHCN, year=year + 1)
    assert plan.state == FilePlanState.APPROVED and plan.approved_by.username == "skhcn.lanhdao"
    assert plan.based_on == base
    assert list(FilePlanEntry.objects.filter(plan=plan).order_by("order").values_list("notation", flat=True)) == [
        e.notation for e in entries] + ["99.CĐS"]

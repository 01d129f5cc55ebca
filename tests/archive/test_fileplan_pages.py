"""The file plan pages: the list of years, drafting from last year's, the table of Phụ lục V,
the entry form's refusals next to their fields, the actions by state and role, the XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.archive import test_fileplan as rules
from vpdt.archive.models import FilePlan, FilePlanEntry, FilePlanState
from vpdt.archive.services import fileplan

pytestmark = pytest.mark.django_db
world = rules.world  # the agency, its people and units, as a fixture of this module
plan_2026 = rules.plan_2026


def test_the_menu_and_the_list_show_the_plans_by_year(client, world):
    w = world
    plan_2026(w)
    client.force_login(w.clerk)
    page = client.get("/ho-so/danh-muc/").content.decode()
    assert 'data-testid="file-plans-link"' in page and 'data-testid="file-plan-2026"' in page
    assert "Dự thảo" in page and 'data-testid="create-plan"' in page
    client.force_login(w.specialist)  # a draft is not theirs to read; no form to draft
    page = client.get("/ho-so/danh-muc/").content.decode()
    assert 'data-testid="file-plan-2026"' not in page and 'data-testid="create-plan"' not in page
    assert client.get("/ho-so/danh-muc/2026/").status_code == 403
    assert client.post("/ho-so/danh-muc/", {"year": 2027}).status_code == 403


def test_the_clerk_drafts_from_last_years_plan_and_sees_the_table_grouped_by_heading(client, world):
    w = world
    plan_2026(w)
    client.force_login(w.clerk)
    response = client.post("/ho-so/danh-muc/", {"year": 2027, "based_on": FilePlan.objects.get(year=2026).pk})
    assert response.status_code == 302 and response["Location"] == "/ho-so/danh-muc/2027/"
    page = client.get("/ho-so/danh-muc/2027/").content.decode()
    for column in ("Số và ký hiệu hồ sơ", "Tên đề mục và tiêu đề hồ sơ", "Thời hạn bảo quản",
                   "Đơn vị/người lập hồ sơ", "Ghi chú"):
        assert column in page
    assert page.index("I. Tổng hợp") < page.index("03.TH") < page.index("II. Chuyển đổi số")
    assert "Hồ sơ hội nghị tổng kết công tác năm 2027" in page and "Vĩnh viễn" in page
    assert "lập từ danh mục năm 2026" in page
    # The same year again: refused next to the year.
    response = client.post("/ho-so/danh-muc/", {"year": 2027})
    assert "Cơ quan đã có danh mục hồ sơ năm 2027." in response.content.decode()


def test_the_entry_form_adds_and_names_a_taken_notation_next_to_its_field(client, world):
    w = world
    plan = plan_2026(w)
    client.force_login(w.clerk)
    data = {"heading": "II. Chuyển đổi số", "notation": "01.TH", "title": "Hồ sơ trùng", "retention_years": 5,
            "unit": w.cds.pk, "owner": w.specialist.pk}
    response = client.post("/ho-so/danh-muc/2026/them/", data)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="notation-error"' in page and "đã có trong danh mục" in page
    assert plan.entries.count() == 3
    response = client.post("/ho-so/danh-muc/2026/them/", {**data, "notation": "05.CĐS"})
    assert response.status_code == 302
    entry = FilePlanEntry.objects.get(plan=plan, notation="05.CĐS")
    assert (entry.retention_years, entry.owner, entry.order) == (5, w.specialist, 4)
    response = client.post(f"/ho-so/danh-muc/2026/dong/{entry.pk}/", {**data, "notation": "05.CĐS",
                                                                         "title": "Hồ sơ đã sửa", "permanent": "on"})
    entry.refresh_from_db()
    assert response.status_code == 302 and (entry.title, entry.retention_years) == ("Hồ sơ đã sửa", None)
    client.post(f"/ho-so/danh-muc/2026/dong/{entry.pk}/len/")
    assert [e.notation for e in fileplan.entries_of(plan)][-2:] == ["05.CĐS", "02.CĐS"]
    client.post(f"/ho-so/danh-muc/2026/dong/{entry.pk}/xoa/")
    assert not FilePlanEntry.objects.filter(pk=entry.pk).exists()


def test_actions_by_state_and_role(client, world):
    w = world
    plan = plan_2026(w)
    client.force_login(w.clerk)
    assert 'data-testid="approve-plan"' not in client.get("/ho-so/danh-muc/2026/").content.decode()
    client.post("/ho-so/danh-muc/2026/trinh/")
    plan.refresh_from_db()
    assert plan.state == FilePlanState.SUBMITTED
    assert client.post("/ho-so/danh-muc/2026/duyet/").status_code == 403  # the clerk does not approve
    client.force_login(w.leader)
    page = client.get("/ho-so/danh-muc/2026/").content.decode()
    assert 'data-testid="approve-plan"' in page and 'data-testid="return-plan"' in page
    client.post("/ho-so/danh-muc/2026/tra-lai/", {"reason": "Bổ sung hồ sơ thi đua"})
    client.force_login(w.clerk)
    page = client.get("/ho-so/danh-muc/2026/").content.decode()
    assert "Bổ sung hồ sơ thi đua" in page and "Trả lại để sửa" in page
    client.post("/ho-so/danh-muc/2026/trinh/")
    client.force_login(w.leader)
    client.post("/ho-so/danh-muc/2026/duyet/")
    client.force_login(w.clerk)
    client.post("/ho-so/danh-muc/2026/ban-hanh/")
    plan.refresh_from_db()
    assert plan.state == FilePlanState.PUBLISHED
    client.force_login(w.specialist)
    page = client.get("/ho-so/danh-muc/2026/").content.decode()
    assert 'data-testid="open-dossier-02.CĐS"' in page and 'data-testid="open-dossier-01.TH"' not in page
    entry = FilePlanEntry.objects.get(plan=plan, notation="02.CĐS")
    client.post(f"/ho-so/danh-muc/2026/dong/{entry.pk}/mo-ho-so/")
    assert "Đã mở hồ sơ 000.00.13.H91.2026.02.CĐS" in client.get("/ho-so/danh-muc/2026/").content.decode()


def test_the_xlsx_has_the_columns_of_phu_luc_v_and_a_formula_stays_text(client, world):
    w = world
    plan = plan_2026(w)
    fileplan.add_entry(w.clerk, plan, heading="III. Khác", notation="09", title="=HYPERLINK(\"x\")",
                       retention_years=5)
    client.force_login(w.leader)
    response = client.get("/ho-so/danh-muc/2026/tai/xlsx/")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('danh-muc-ho-so-2026.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert ["Số và ký hiệu hồ sơ", "Tên đề mục và tiêu đề hồ sơ", "Thời hạn bảo quản", "Đơn vị/người lập hồ sơ",
            "Ghi chú"] in rows
    assert [None, "I. Tổng hợp", None, None, None][:2] == rows[rows.index(["(1)", "(2)", "(3)", "(4)", "(5)"]) + 1][:2]
    assert any(r[0] == "09" and r[1] == '=HYPERLINK("x")' for r in rows)
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"


def test_another_agency_gets_nothing(client, world):
    w = world
    plan_2026(w)
    client.force_login(w.stranger_clerk)
    assert client.get("/ho-so/danh-muc/2026/").status_code == 404
    assert client.get("/ho-so/danh-muc/2026/tai/xlsx/").status_code == 404
    assert client.post("/ho-so/danh-muc/2026/trinh/").status_code == 404
    assert client.get("/ho-so/danh-muc/99999/").status_code == 404


def test_the_leaders_notice_of_a_submitted_plan_opens_the_file_plans(client, world):
    from vpdt.workflow.models import Notification

    w = world
    fileplan.submit(w.clerk, plan_2026(w))
    notice = Notification.objects.get(user=w.leader, kind="file_plan_submitted")
    client.force_login(w.leader)
    assert "Danh mục hồ sơ chờ duyệt" in client.get("/thong-bao/").content.decode()
    response = client.get(f"/thong-bao/{notice.pk}/")
    assert response.status_code == 302 and response["Location"] == "/ho-so/danh-muc/"


def test_the_plan_reads_in_english(client, world):
    w = world
    plan_2026(w)
    client.force_login(w.clerk)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/ho-so/danh-muc/2026/").content.decode()
    assert "Dossier number and notation" in page and "3 dossiers" in page and "Submit to the leader" in page

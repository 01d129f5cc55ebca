"""GET /api/reports/usage: who may see what, the JSON error shape, bad input, the exports."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.reports.conftest import PERIOD
from tests.reports.test_usage_metrics import build
from vpdt.directory.models import ApiToken
from vpdt.reports import services

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

URL = "/api/reports/usage?from=2025-12-29&to=2026-01-06"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def get(client, user, url=URL):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)}")


def test_the_platform_admin_sees_every_agency(client, province):
    build()
    response = get(client, province.admin)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"]) == ("2025-12-29", "2026-01-06")
    assert [i["agency_code"] for i in body["items"]] == ["000.00.00.H90", "000.00.03.H90", "000.00.13.H90"]
    a = body["items"][2]
    assert (a["incoming_total"], a["incoming_paper"], a["median_hours_to_direct"], a["unit_id"]) == (4, 2, 4.5, None)


def test_an_agency_leader_sees_their_agency_only(client, province):
    build()
    response = get(client, province.leader_a)
    assert [i["agency_code"] for i in response.json()["items"]] == ["000.00.13.H90"]
    people = get(client, province.leader_a, URL + "&level=person").json()["items"]
    assert {i["person_id"] for i in people} == {province.clerk_a.pk, province.leader_a.pk, province.spec_a.pk,
                                               province.spec_a2.pk, province.idle_a.pk}
    refused = get(client, province.leader_a, URL + "&agency=000.00.03.H90")
    assert refused.status_code == 403
    assert set(refused.json()) == {"code", "message", "detail"}


@pytest.mark.parametrize("who", ["spec_a", "clerk_a"])
@pytest.mark.parametrize("query", ["", "&agency=000.00.13.H90", "&level=person"])
def test_others_are_refused(client, province, who, query):
    response = get(client, getattr(province, who), URL + query)
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"


def test_others_are_refused_before_their_input_is_judged(client, province):
    response = get(client, province.spec_a, "/api/reports/usage?from=2026-01-06&to=2025-12-29")
    assert response.status_code == 403


def test_without_a_token_401(client, province):
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize("query, code", [
    ("from=2026-01-06&to=2025-12-29", "BAD_PERIOD"),
    ("from=2026-13-01&to=2026-12-31", "INVALID_INPUT"),
    ("from=06/01/2026&to=2026-12-31", "INVALID_INPUT"),
    ("from=2020-01-01&to=2026-01-01", "PERIOD_TOO_LONG"),
    ("from=2026-01-01&to=2026-01-31&level=province", "INVALID_INPUT"),
    ("from=2026-01-01", "INVALID_INPUT"),
])
def test_bad_input_is_400_with_a_code(client, province, query, code):
    response = get(client, province.admin, f"/api/reports/usage?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code


def test_an_unknown_agency_is_404(client, province):
    response = get(client, province.admin, URL + "&agency=000.00.99.H99")
    assert response.status_code == 404
    assert response.json()["code"] == "UNKNOWN_AGENCY"


def test_xlsx_has_the_same_rows(client, province):
    from openpyxl import load_workbook

    build()
    json_items = get(client, province.admin, URL + "&level=unit").json()["items"]
    response = get(client, province.admin, URL + "&level=unit&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[1][0] == "Mã cơ quan"
    assert [list(r) for r in rows[2:]] == [list(i.values()) for i in json_items]


def test_pdf_carries_the_figures_in_vietnamese(client, province):
    from pypdf import PdfReader

    build()
    response = get(client, province.admin, URL + "&format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Thống kê sử dụng văn phòng điện tử từ 29/12/2025 đến 06/01/2026" in text
    assert "000.00.13.H90" in text and "4,5" in text


def test_the_command_rebuilds_a_period(province, capsys):
    call_command("refresh_report_facts", "--from", "2025-12-29", "--to", "2026-01-06")
    assert "Đã tính lại" in capsys.readouterr().out
    assert services.usage(*PERIOD, viewer=province.leader_a)[0]["incoming_total"] == 4


def test_the_schema_documents_the_endpoint(client, db):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/reports/usage"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "agency", "level", "format"}
    assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    assert {"application/json", "application/pdf"} <= set(operation["responses"]["200"]["content"])

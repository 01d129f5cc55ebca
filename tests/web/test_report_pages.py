"""The report pages (issue 14): the "why" view ranks the agencies (or a leader's units) by their
signals and sorts its table by any metric on the server; the charts' figures are the usage
metrics'; the downloads; and who may see them (the platform admin, an agency's leaders; others 403)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
from openpyxl import load_workbook

from tests.reports.conftest import PERIOD, at, clock, province  # noqa: F401 - the small province
from vpdt.reports import facts, services

pytestmark = pytest.mark.django_db
QUERY = {"start": "29/12/2025", "end": "06/01/2026"}


@pytest.fixture
def built(province):  # noqa: F811
    facts.rebuild_period(dt.date(2025, 12, 1), dt.date(2026, 1, 31))
    return province


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def ranked_names(page: str) -> list[str]:
    return re.findall(r'data-testid="ranked-item"[^>]*>\s*<span class="fw-semibold">([^<]+)</span>', page)


def table_names(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="metrics-row"><th scope="row">([^<]+)</th>', page)


def test_the_platform_admin_sees_the_agencies_ranked_by_weakness_with_their_sentences(built, client):
    w = built
    client.force_login(w.admin)
    page = page_text(client.get("/bao-cao/vi-sao/", QUERY))
    expected = [r for r in services.why_signals(*PERIOD, viewer=w.admin) if r["signals"]]
    assert expected, "the small province has an agency behind the median"
    assert ranked_names(page) == [r["agency_name"] for r in expected]
    for item in expected:
        for signal in item["signals"][:5]:
            assert signal["sentence"] in page
    # the table: every agency, with the province's median below
    assert sorted(table_names(page)) == sorted([w.p.name, w.a.name, w.b.name])
    assert "Trung vị tỉnh" in page


def test_the_table_is_sorted_on_the_server_by_any_metric_either_way(built, client):
    w = built
    client.force_login(w.admin)
    table = {r["agency_name"]: r for r in services.agency_table(*PERIOD, viewer=w.admin)}
    for metric in ("incoming_total", "paper_share", "median_hours_to_register"):
        known = sorted((r for r in table.values() if r[metric] is not None), key=lambda r: (r[metric], r["agency_name"]))
        unknown = [r["agency_name"] for r in table.values() if r[metric] is None]
        up = table_names(page_text(client.get("/bao-cao/vi-sao/", {**QUERY, "sort": metric})))
        down = table_names(page_text(client.get("/bao-cao/vi-sao/", {**QUERY, "sort": metric, "dir": "desc"})))
        assert up[:len(known)] == [r["agency_name"] for r in known], metric
        assert down[:len(known)] == [r["agency_name"] for r in reversed(known)], metric
        assert sorted(up[len(known):]) == sorted(unknown)  # no value: last, either way
    # an unknown column is not a column: the default order (by name)
    names = table_names(page_text(client.get("/bao-cao/vi-sao/", {**QUERY, "sort": "password"})))
    assert names == sorted(names)


def test_a_leader_sees_the_units_of_their_agency_only(built, client):
    w = built
    client.force_login(w.leader_a)
    page = page_text(client.get("/bao-cao/vi-sao/", QUERY))
    names = table_names(page)
    assert names[0] == w.a.name and set(names[1:]) == {w.bgd.name, w.cds.name, w.vp.name}
    assert w.b.name not in page and w.th.name not in page
    ranked = [r for r in services.why_signals(*PERIOD, viewer=w.leader_a, agency=w.a.code, level="unit")
              if r["signals"]]
    assert ranked_names(page) == [r["unit_name"] for r in ranked]


def test_the_adoption_details_of_one_agency(built, client):
    """People active per role, drafts returned per step, failures by cause: the leader's own
    agency (another agency's code in the address changes nothing); the platform admin's choice."""
    w = built
    client.force_login(w.leader_a)
    page = page_text(client.get("/bao-cao/vi-sao/", {**QUERY, "agency": w.b.code}))
    assert f"Chi tiết sử dụng: {w.a.name}" in page and w.b.name not in page
    roles = re.search(r'data-testid="details-roles">(.*?)</table>', page, re.S).group(1)
    for row in services.active_by_role(*PERIOD, viewer=w.leader_a, agency=w.a.code):
        assert f'<th scope="row">{row["role_label"]}</th><td>{row["people"]}</td><td>{row["active_people"]}</td>' in roles
    client.force_login(w.admin)
    assert 'data-testid="details"' not in page_text(client.get("/bao-cao/vi-sao/", QUERY))
    page = page_text(client.get("/bao-cao/vi-sao/", {**QUERY, "agency": w.a.code}))
    assert f"Chi tiết sử dụng: {w.a.name}" in page and 'data-testid="details-link"' in page


@pytest.mark.parametrize("who", ["spec_a", "clerk_a", "idle_b"])
def test_others_get_403_on_every_report_page(built, client, who):
    client.force_login(getattr(built, who))
    for url in ("/bao-cao/vi-sao/", "/bao-cao/bieu-do/?scope=agency", "/bao-cao/vi-sao/tai/xlsx/",
                "/bao-cao/trien-khai/", "/bao-cao/trien-khai/tai/pdf/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Không có quyền truy cập" in page_text(response)
    assert client.post("/bao-cao/trien-khai/bo-nguoi-nhan/", {"recipient": 1}).status_code == 403


def test_a_leader_may_not_ask_for_the_provinces_charts(built, client):
    client.force_login(built.leader_a)
    assert client.get("/bao-cao/bieu-do/?scope=province").status_code == 403


def test_a_bad_period_is_said_next_to_its_field_and_kept(built, client):
    client.force_login(built.admin)
    page = page_text(client.get("/bao-cao/vi-sao/", {"start": "06/01/2026", "end": "29/12/2025"}))
    assert "Ngày kết thúc phải từ ngày bắt đầu trở đi." in page
    assert 'value="29/12/2025"' in page and "is-invalid" in page
    page = page_text(client.get("/bao-cao/vi-sao/", {"start": "31/02/2026", "end": "06/01/2026"}))
    assert "Ngày không hợp lệ: 31/02/2026 (dd/mm/yyyy)." in page


def test_the_leaders_charts_are_their_agencys_monthly_figures(built, client):
    w = built
    client.force_login(w.leader_a)
    with clock(at(2026, 1, 20)):
        figures = client.get("/bao-cao/bieu-do/", {"scope": "agency"}).json()
    assert figures["scope"] == "agency"
    charts = {c["id"]: c for c in figures["charts"]}
    assert set(charts) == {"volume", "shares"}
    volume = charts["volume"]
    assert len(volume["labels"]) == 12 and volume["labels"][-2:] == ["12/2025", "01/2026"]
    december = services.usage(dt.date(2025, 12, 1), dt.date(2025, 12, 31), viewer=w.leader_a)[0]
    january = services.usage(dt.date(2026, 1, 1), dt.date(2026, 1, 20), viewer=w.leader_a)[0]
    incoming, outgoing = (d["data"] for d in volume["datasets"])
    assert incoming[-2:] == [december["incoming_total"], january["incoming_total"]]
    assert outgoing[-2:] == [december["outgoing_total"], january["outgoing_total"]]
    electronic = charts["shares"]["datasets"][0]["data"]
    assert electronic[-2] == round(100 * december["incoming_electronic"] / december["incoming_total"], 1)
    assert electronic[0] is None  # a month without documents has no share, not 0 %


def test_the_platform_admin_sees_the_province_per_agency(built, client):
    client.force_login(built.admin)
    with clock(at(2026, 1, 20)):
        figures = client.get("/bao-cao/bieu-do/", {"scope": "province"}).json()
    agencies = next(c for c in figures["charts"] if c["id"] == "agencies")
    assert set(agencies["labels"]) == {built.p.name, built.a.name, built.b.name}


def test_the_home_page_of_a_leader_and_of_the_platform_admin_carries_the_charts(built, client):
    client.force_login(built.leader_a)
    page = client.get("/").content.decode()
    # the scope names the room kept for the charts while they load (vpdt.css)
    assert 'data-charts data-scope="agency" data-src="/bao-cao/bieu-do/?scope=agency"' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "<script>" not in page
    client.force_login(built.admin)
    assert 'data-scope="province" data-src="/bao-cao/bieu-do/?scope=province"' in client.get("/").content.decode()
    client.force_login(built.spec_a)
    assert "data-charts" not in client.get("/").content.decode()


def test_the_why_views_table_downloads_as_xlsx_and_pdf(built, client):
    from pypdf import PdfReader

    client.force_login(built.admin)
    response = client.get("/bao-cao/vi-sao/tai/xlsx/", QUERY)
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    codes = [r[0] for r in rows[2:]]
    assert codes == [i["agency_code"] for i in services.usage(*PERIOD, viewer=built.admin)]
    response = client.get("/bao-cao/vi-sao/tai/pdf/", QUERY)
    text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
    assert built.a.code in text
    assert client.get("/bao-cao/vi-sao/tai/docx/", QUERY).status_code == 404


def test_the_report_pages_speak_english_once_switched(built, client):
    client.force_login(built.admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = page_text(client.get("/bao-cao/vi-sao/", QUERY))
    for words in ("Why: how well the e-office is used", "Agencies to improve, ranked", "Metrics table",
                  "Province median", "Download the figures (XLSX)", "Roll-out report (PDF)", "Reports"):
        assert words in page, words
    for words in ("Vì sao", "Bảng chỉ số", "Trung vị tỉnh", "Tải bảng số liệu", "trung vị tỉnh"):
        assert words not in page, words
    page = page_text(client.get("/bao-cao/trien-khai/"))
    assert "Recipients of the monthly report" in page and "Make the report (PDF)" in page
    assert "Người nhận báo cáo định kỳ" not in page
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})

"""Out-of-range input answers 400/404, never 500: JSON {"code", "message"} under /api/, a
Vietnamese page elsewhere (the numbers an attacker tried: past SQLite's and PostgreSQL's BIGINT)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from tests import factories
from vpdt.api.models import ApiToken
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

HUGE = "99999999999999999999"  # > 2**64
INT64_MAX = "9223372036854775807"


@pytest.fixture
def person(client):
    cache.clear()
    agency = factories.agency("000.00.13.H90", abbreviation="SKHCN")
    clerk = factories.clerk(agency, username="clerk_errors")
    factories.person(agency, Role.LEADER, username="leader_errors")
    factories.document(agency, direction=Direction.INCOMING, subject="Văn bản đến để liệt kê")
    return clerk


@pytest.fixture
def api_get(client, person):
    token = ApiToken.issue(person)
    return lambda url, **kw: client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **kw)


def _json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] and body["message"]
    if code:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("url", [f"/api/documents?page={HUGE}", f"/api/documents?page={INT64_MAX}",
                                 "/api/documents?page=0", "/api/documents?page=abc", f"/api/documents/{HUGE}",
                                 f"/api/documents/{INT64_MAX}0", "/api/documents/0"])
def test_api_out_of_range_numbers_are_400_json(api_get, url):
    body = _json_error(api_get(url), 400, "INVALID_INPUT")
    assert "không hợp lệ" in body["message"] and body["detail"]


def test_api_largest_id_is_a_plain_404(api_get):
    _json_error(api_get(f"/api/documents/{INT64_MAX}"), 404, "NOT_FOUND")


def test_api_errors_outside_the_operations_are_json_too(client, api_get):
    _json_error(client.get("/api/documents"), 401, "UNAUTHORIZED")
    _json_error(client.get("/api/khong-co"), 404, "NOT_FOUND")
    response = api_get("/api/documents", REQUEST_METHOD="DELETE")
    _json_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response["Allow"]
    _json_error(client.post("/api/auth/token", "{not json", content_type="application/json"), 400)


@pytest.mark.parametrize("url", [f"/van-ban-den/?page={INT64_MAX}", f"/van-ban-den/?page={HUGE}",
                                 f"/van-ban-di/?register={HUGE}", f"/van-ban-den/?type={HUGE}",
                                 f"/viec/waiting/?page={HUGE}", f"/?urgency={HUGE}"])
def test_web_out_of_range_query_numbers_are_a_400_page(client, person, url):
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Yêu cầu không hợp lệ" in page and "vượt giới hạn" in page and 'data-testid="error-page"' in page


@pytest.mark.parametrize("url", [f"/van-ban/{HUGE}/", f"/van-ban/{INT64_MAX}/", f"/van-ban/{HUGE}/phan-cong/",
                                 f"/tep/{HUGE}/", f"/phien-ban/{HUGE}/", f"/thong-bao/{HUGE}/"])
def test_web_out_of_range_path_ids_are_a_404_page(client, person, url):
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()


def test_a_page_past_the_last_still_lists_nothing(client, person):
    client.force_login(person)
    assert client.get("/van-ban-den/?page=999999").status_code == 200
    assert client.get("/van-ban-den/?page=abc").status_code == 200  # not a number: ignored, as before


def test_a_form_with_a_stale_csrf_token_gets_the_vietnamese_page(person):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/dang-nhap/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Phiên làm việc đã hết hạn" in response.content.decode()


def test_a_server_error_page_under_api_becomes_json():
    """What Django's handler500 (or a DEBUG page) answers under /api/ leaves as ErrorOut JSON."""
    from django.http import HttpResponse, HttpResponseServerError
    from django.test import RequestFactory

    from vpdt.api.middleware import ApiJsonErrorsMiddleware

    html = ApiJsonErrorsMiddleware(lambda request: HttpResponseServerError("<h1>Server Error (500)</h1>"))
    response = html(RequestFactory().get("/api/documents"))
    _json_error(response, 500, "INTERNAL_ERROR")
    page = ApiJsonErrorsMiddleware(lambda request: HttpResponse("<h1>lỗi</h1>", status=500))
    assert page(RequestFactory().get("/van-ban-den/"))["Content-Type"].startswith("text/html")  # pages keep theirs

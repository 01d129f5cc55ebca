"""The JSON API: tokens, throttling, isolation between agencies and between people."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests import factories
from vpdt.directory.roles import Role
from vpdt.records import services
from vpdt.records.choices import AccessReason, Direction, Secrecy

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def token(client, username, password="Secret#12345"):
    response = client.post("/api/auth/token", {"username": username, "password": password},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def get(client, url, tok):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {tok}")


@pytest.fixture
def two_agencies():
    a = factories.agency("000.00.13.H90", abbreviation="SKHCN", name="Sở KH&CN")
    b = factories.agency("000.00.03.H90", abbreviation="STC", name="Sở Tài chính")
    unit_a1 = factories.unit(a, "VP")
    unit_a2 = factories.unit(a, "CDS")
    people = {
        "clerk_a": factories.clerk(a, username="clerk_a", unit=unit_a1),
        "clerk_b": factories.clerk(b, username="clerk_b"),
        "head_a2": factories.person(a, Role.UNIT_HEAD, unit=unit_a2, username="head_a2"),
        "spec_a2": factories.person(a, Role.SPECIALIST, unit=unit_a2, username="spec_a2"),
        "spec_a1": factories.person(a, Role.SPECIALIST, unit=unit_a1, username="spec_a1"),
    }
    docs = {
        "a_in": factories.document(a, direction=Direction.INCOMING, subject="Về việc chuyển đổi số tỉnh Đồng Nai"),
        "a_out": factories.document(a, subject="Kế hoạch điện tử hóa", drafting_unit=unit_a2),
        "b_out": factories.document(b, subject="Dự toán ngân sách"),
        "a_secret": factories.document(a, subject="Văn bản mật", secrecy=Secrecy.CONFIDENTIAL),
    }
    return a, b, people, docs


def test_token_with_wrong_password_is_401_with_a_clear_message(client, two_agencies):
    response = client.post("/api/auth/token", {"username": "clerk_a", "password": "sai"},
                           content_type="application/json")
    assert response.status_code == 401
    assert response.json()["message"] == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_no_token_or_a_bad_token_is_refused(client, two_agencies):
    assert client.get("/api/documents").status_code == 401
    assert get(client, "/api/documents", "not-a-token").status_code == 401


def test_an_agency_lists_only_its_own_documents(client, two_agencies):
    a, b, people, docs = two_agencies
    body = get(client, "/api/documents", token(client, "clerk_a")).json()
    ids = {item["id"] for item in body["items"]}
    assert ids == {docs["a_in"].pk, docs["a_out"].pk}
    assert body["total"] == 2
    assert {item["agency_code"] for item in body["items"]} == {a.code}
    body_b = get(client, "/api/documents", token(client, "clerk_b")).json()
    assert {item["id"] for item in body_b["items"]} == {docs["b_out"].pk}


def test_another_agencys_document_is_404_and_never_its_content(client, two_agencies):
    a, b, people, docs = two_agencies
    response = get(client, f"/api/documents/{docs['b_out'].pk}", token(client, "clerk_a"))
    assert response.status_code == 404
    assert "Dự toán" not in response.content.decode()


def test_direction_and_search_filters(client, two_agencies):
    a, b, people, docs = two_agencies
    tok = token(client, "clerk_a")
    incoming = get(client, "/api/documents?direction=incoming", tok).json()
    assert [i["id"] for i in incoming["items"]] == [docs["a_in"].pk]
    found = get(client, "/api/documents?q=dong%20nai", tok).json()
    assert [i["id"] for i in found["items"]] == [docs["a_in"].pk]
    found = get(client, "/api/documents?q=chuyen doi so", tok).json()
    assert found["total"] == 1


def test_search_by_exact_number_and_notation(client, two_agencies):
    a, b, people, docs = two_agencies
    services.issue_number(people["clerk_a"], docs["a_out"])
    tok = token(client, "clerk_a")
    found = get(client, "/api/documents?q=01/SKHCN-CDS", tok).json()
    assert [i["id"] for i in found["items"]] == [docs["a_out"].pk]
    assert found["items"][0]["number"] == "01"


def test_people_see_what_their_role_and_assignments_allow(client, two_agencies):
    a, b, people, docs = two_agencies
    spec_a1 = get(client, "/api/documents", token(client, "spec_a1")).json()
    assert spec_a1["total"] == 0
    # The unit head sees what the unit drafted; a specialist only what they are given.
    head = get(client, "/api/documents", token(client, "head_a2")).json()
    assert {i["id"] for i in head["items"]} == {docs["a_out"].pk}
    assert get(client, f"/api/documents/{docs['a_in'].pk}", token(client, "spec_a2")).status_code == 403
    services.grant_access(people["clerk_a"], docs["a_in"], people["spec_a2"], reason=AccessReason.MAIN)
    assert get(client, f"/api/documents/{docs['a_in'].pk}", token(client, "spec_a2")).status_code == 200


def test_secret_documents_need_an_explicit_grant_and_reads_are_audited(client, two_agencies):
    from vpdt.core.models import AuditEntry

    a, b, people, docs = two_agencies
    tok = token(client, "clerk_a")
    assert get(client, f"/api/documents/{docs['a_secret'].pk}", tok).status_code == 403
    assert docs["a_secret"].pk not in {i["id"] for i in get(client, "/api/documents", tok).json()["items"]}
    leader = factories.person(a, Role.LEADER)
    services.grant_access(leader, docs["a_secret"], people["clerk_a"], secret=True)
    response = get(client, f"/api/documents/{docs['a_secret'].pk}", tok)
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="document.read_secret", object_id=str(docs["a_secret"].pk)).get()
    assert entry.actor_id == people["clerk_a"].pk and entry.ip == "127.0.0.1" and entry.via == "api"


def test_document_detail_fields(client, two_agencies):
    a, b, people, docs = two_agencies
    body = get(client, f"/api/documents/{docs['a_in'].pk}", token(client, "clerk_a")).json()
    assert body["id"] == docs["a_in"].pk and body["direction"] == "incoming"
    assert body["agency_code"] == a.code and body["state"] == "received"
    assert body["document_type"] == "Công văn"


def test_openapi_schema_and_healthz(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/documents" in schema["paths"] and "/api/auth/token" in schema["paths"]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_pages_open_in_vietnamese_even_when_the_browser_asks_for_english(client):
    page = client.get("/dang-nhap/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Đăng nhập" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/dang-nhap/"})
    assert "Đăng nhập" not in client.get("/dang-nhap/").content.decode()

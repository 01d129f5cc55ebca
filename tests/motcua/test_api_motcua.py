"""The one-stop shop's API: a portal submits (idempotent), follows the history, and the public view."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from tests import factories
from tests.motcua.motcua2_world import dossier, world
from vpdt.directory import system_accounts
from vpdt.directory.models import ApiToken
from vpdt.directory.roles import Role
from vpdt.motcua.models import Dossier, DossierStatus

pytestmark = pytest.mark.django_db

BODY = {"procedure_code": "1.009972", "applicant_name": "Trần Thị Bình", "personal_id": "075095009999",
        "external_id": "DVCQG-0001", "source": "dvcqg", "phone": "0912000111", "email": "binh@example.vn",
        "papers": ["Đơn đề nghị"]}


@pytest.fixture
def api_world(blob_dir):
    cache.clear()
    w = world()
    admin = factories.person(w.commune, Role.AGENCY_ADMIN, username="xa.admin")
    portal = system_accounts.create_account(admin, w.commune, name="Cổng dịch vụ công", role=Role.CLERK)
    admin_d = factories.person(w.department, Role.AGENCY_ADMIN, username="so.admin")
    other = system_accounts.create_account(admin_d, w.department, name="Cổng sở", role=Role.CLERK)
    w.tokens = {
        "portal": system_accounts.issue_token(admin, portal, name="cổng", days=30,
                                              scopes=["motcua:write", "motcua:read"]),
        "read_only": system_accounts.issue_token(admin, portal, name="đọc", days=30, scopes=["motcua:read"]),
        "department": system_accounts.issue_token(admin_d, other, name="sở", days=30, scopes=["motcua:read"]),
        "person": ApiToken.issue(w.counter),
    }
    return w


def call(method, url, token=None, key=None, **kw):
    headers = {}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    if "data" in kw:
        kw["data"] = json.dumps(kw["data"])
        kw["content_type"] = "application/json"
    return getattr(Client(), method)(url, **headers, **kw)


def test_a_portal_submits_once_and_follows_the_history(api_world):
    w = api_world
    first = call("post", "/api/motcua/dossiers", w.tokens["portal"], key="k1", data=BODY)
    assert first.status_code == 201, first.content
    code = first.json()["code"]
    assert first.json()["status"] == DossierStatus.NEW and code.startswith(w.commune.code + "-")
    assert first.json()["resolving_agency_code"] == w.department.code
    # motcua3: made by the core's online submission, which issues the citizen's lookup secret once.
    from vpdt.motcua.services.counter import secret_matches

    secret = first.json()["lookup_secret"]
    assert secret and secret_matches(Dossier.objects.get(code=code), secret)
    # The same key answers the same; the same external id without a key gives the same dossier.
    again = call("post", "/api/motcua/dossiers", w.tokens["portal"], key="k1", data=BODY)
    assert again.status_code == 201 and again.json()["code"] == code
    replay = call("post", "/api/motcua/dossiers", w.tokens["portal"], data=BODY)
    assert replay.status_code == 200 and replay.json()["code"] == code and replay.json()["lookup_secret"] is None
    assert Dossier.objects.count() == 1
    history = call("get", f"/api/motcua/dossiers/{code}", w.tokens["portal"])
    assert history.status_code == 200
    assert [e["action"] for e in history.json()["history"]] == ["submit"]
    # The department resolves it: it sees the dossier too; the read-only token cannot submit.
    assert call("get", f"/api/motcua/dossiers/{code}", w.tokens["department"]).status_code == 200
    refused = call("post", "/api/motcua/dossiers", w.tokens["read_only"], data={**BODY, "external_id": "X"})
    assert refused.status_code == 403 and refused.json()["code"] == "SCOPE_MISSING"
    assert call("post", "/api/motcua/dossiers", w.tokens["person"], data=BODY).status_code == 403


def test_bad_submissions_change_nothing(api_world):
    w = api_world
    bad_id = call("post", "/api/motcua/dossiers", w.tokens["portal"], data={**BODY, "personal_id": "12"})
    assert bad_id.status_code == 400
    unknown = call("post", "/api/motcua/dossiers", w.tokens["portal"], data={**BODY, "procedure_code": "9.999"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "MOTCUA_UNKNOWN_PROCEDURE"
    assert Dossier.objects.count() == 0
    assert call("post", "/api/motcua/dossiers", None, data=BODY).status_code == 401


def test_another_agency_does_not_see_the_dossier(api_world):
    w = api_world
    d = dossier(w.birth, w.commune)  # resolved by the commune itself
    assert call("get", f"/api/motcua/dossiers/{d.code}", w.tokens["department"]).status_code == 404
    assert call("get", f"/api/motcua/dossiers/{d.code}", w.tokens["portal"]).status_code == 200


def test_public_view_shows_nothing_personal_and_is_limited(api_world, settings):
    w = api_world
    settings.VPDT_MOTCUA_PUBLIC_RATE = 2  # the lookup and the 404 count; a refused code does not
    d = dossier(w.build, w.commune, resolving=w.department, address="Ấp 1")
    answer = call("get", f"/api/public/dossiers/{d.code.lower()}")
    assert answer.status_code == 200
    text = answer.content.decode()
    for personal in (d.applicant_name, d.personal_id, d.phone, d.email, "Ấp 1"):
        assert personal not in text
    assert answer.json()["status"] == DossierStatus.RECEIVED and answer.json()["resolving_agency_name"] == w.department.name
    assert call("get", "/api/public/dossiers/not-a-code").status_code == 400
    assert call("get", f"/api/public/dossiers/{w.commune.code}-261130-9999").status_code == 404
    limited = call("get", f"/api/public/dossiers/{d.code}")
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"

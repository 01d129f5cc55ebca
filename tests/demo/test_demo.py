"""The demo province: every role has an account, documents exist in every state, and the
accounts printed by `vpdt demo accounts --json` log in."""

from __future__ import annotations

import json

import pytest

from vpdt.cli import main
from vpdt.demo.loader import load_demo
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo()
        yield
        from django.core.management import call_command

        # The demo registers its agencies in the hub's own store too: empty both.
        for alias in ("default", "hub"):
            call_command("flush", database=alias, interactive=False, verbosity=0)


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_province_shape(demo):
    codes = set(Agency.objects.values_list("code", flat=True))
    assert "000.00.00.H90" in codes and "000.00.01.H90" in codes
    levels = {a.code: a.level for a in Agency.objects.all()}
    assert sum(1 for c in codes if c.startswith("000.00.") and c != "000.00.00.H90") >= 7
    assert levels["000.01.31.H90"] == 3 and Agency.objects.get(code="000.01.31.H90").parent.code == "000.00.31.H90"
    assert Document.objects.count() >= 200
    incoming_states = set(Document.objects.filter(direction=Direction.INCOMING).values_list("state", flat=True))
    outgoing_states = set(Document.objects.filter(direction=Direction.OUTGOING).values_list("state", flat=True))
    assert {State.RECEIVED, State.REGISTERED, State.RETURNED, State.COMPLETED} <= incoming_states
    assert {State.DRAFT, State.IN_REVIEW, State.APPROVED, State.RELEASED, State.RECALLED} <= outgoing_states


@pytest.mark.django_db(databases=["default", "hub"])
@pytest.mark.slow
def test_demo_accounts_json_and_each_logs_in_seeing_only_its_agency(demo, client, capsys):
    assert main(["demo", "accounts", "--json"]) == 0
    accounts = json.loads(capsys.readouterr().out)
    roles = {a["role"] for a in accounts}
    assert set(Role.values) <= roles
    for account in accounts:
        assert set(account) == {"username", "password", "role", "agency_code", "agency_name"}
        response = client.post("/api/auth/token", {"username": account["username"], "password": account["password"]},
                               content_type="application/json")
        assert response.status_code == 200, account
        tok = response.json()["token"]
        items = client.get("/api/documents?page=1", HTTP_AUTHORIZATION=f"Bearer {tok}").json()["items"]
        if account["agency_code"]:
            assert {i["agency_code"] for i in items} <= {account["agency_code"]}
        if account["role"] == Role.CLERK:
            assert items, f"{account['username']} sees no document"

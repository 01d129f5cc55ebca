"""A system that called this hub process before is authenticated in one statement on
PostgreSQL (its signature remembered and its row read together), and what another process
changed meanwhile (deactivated, new secret, other time zone) still decides at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connections

from vpdt.hub import credentials, services
from vpdt.hub.models import SeenRequest, System
from vpdt.vxp import protocol as vxp

from .conftest import STT
from .test_accept_statements import Statements
from .test_replay import post, signed

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.backends]
COUNT = {"messagetype": "edoc"}


def _count(client, system, **values) -> dict:
    return post(client, "countReceiveEdoc", signed(system, {**COUNT, **values}))


def test_a_known_caller_takes_one_statement_to_authenticate(agencies, connect):
    client = connect(*agencies[STT])
    assert _count(client, agencies[STT])["status"] == "OK"  # first call: looked up in full
    seen = Statements()
    with connections["hub"].execute_wrapper(seen):
        assert _count(client, agencies[STT], n="2")["status"] == "OK"
    auth = [s for s in seen.sql if "hub_seenrequest" in s or "hub_system" in s]
    assert len(auth) == (1 if connections["hub"].vendor == "postgresql" else 2), "\n".join(auth)
    assert SeenRequest.objects.using("hub").count() == 2


def test_a_system_deactivated_by_another_process_is_refused_at_once(agencies, connect):
    client = connect(*agencies[STT])
    assert _count(client, agencies[STT])["status"] == "OK"
    System.objects.using("hub").filter(system_id="sys.stt").update(active=False)  # no cache told
    assert _count(client, agencies[STT], n="2")["ErrorCode"] == vxp.UNKNOWN_SYSTEM.code
    System.objects.using("hub").filter(system_id="sys.stt").update(active=True)
    assert _count(client, agencies[STT], n="3")["status"] == "OK"


def test_a_secret_changed_by_another_process_decides_at_once(agencies, connect):
    client = connect(*agencies[STT])
    assert _count(client, agencies[STT])["status"] == "OK"
    System.objects.using("hub").filter(system_id="sys.stt").update(secret_encrypted=credentials.encrypt("new"))
    old = _count(client, agencies[STT], n="2")
    assert old["ErrorCode"] == vxp.BAD_SIGNATURE.code
    assert _count(client, ("sys.stt", "new"), n="3")["status"] == "OK"
    assert _count(client, agencies[STT], n="4")["ErrorCode"] == vxp.BAD_SIGNATURE.code
    refused = [(r.error_code, r.authenticated) for r in services.refused("sys.stt")]
    assert refused == [(vxp.BAD_SIGNATURE.code, False)] * 2


def test_a_time_zone_changed_by_another_process_decides_at_once(agencies, connect):
    client = connect(*agencies[STT])
    utc_wall = datetime.now(UTC).replace(tzinfo=None)
    System.objects.using("hub").filter(system_id="sys.stt").update(time_zone="UTC")
    assert post(client, "countReceiveEdoc", signed(agencies[STT], COUNT, at=utc_wall))["status"] == "OK"
    System.objects.using("hub").filter(system_id="sys.stt").update(time_zone="")  # Vietnam time again
    answer = post(client, "countReceiveEdoc", signed(agencies[STT], {**COUNT, "n": "2"}, at=utc_wall))
    assert answer["ErrorCode"] == vxp.STALE_REQUEST.code and "Asia/Ho_Chi_Minh" in answer["ErrorDesc"]
    assert _count(client, agencies[STT], n="3")["status"] == "OK"


def test_a_replay_of_a_known_callers_request_is_refused(agencies, connect):
    client = connect(*agencies[STT])
    assert _count(client, agencies[STT])["status"] == "OK"
    headers = signed(agencies[STT], {**COUNT, "n": "2"})
    assert post(client, "countReceiveEdoc", headers)["status"] == "OK"
    assert post(client, "countReceiveEdoc", headers)["ErrorCode"] == vxp.REPLAYED.code

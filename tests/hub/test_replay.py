"""Captured requests do not work twice, stale ones not at all, and each refusal is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vpdt.hub import services
from vpdt.hub.models import Delivery, RefusedRequest, SeenRequest
from vpdt.vxp import protocol as vxp
from vpdt.vxp.client import CRLF, VxpRemoteError, file_sha256

from . import factories
from .conftest import H53, STT

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def post(client, operation: str, headers, body: bytes = b"{}") -> dict:
    """One raw request with exactly these headers, as an attacker replays it."""
    response = client._http.post(client.url(operation), headers=headers, content=body)
    return vxp.json.loads(response.content)


def signed(system: tuple[str, str], values: dict, *, at: datetime | None = None,
           content_type: str = "application/json") -> list[tuple[str, str]]:
    stamp = vxp.sdk_timestamp(at) if at else None
    return vxp.sign_headers(*system, values, timestamp=stamp, content_type=content_type)


@pytest.mark.backends
def test_replayed_send_is_refused_the_second_time(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    client = connect(*agencies[H53])
    headers = signed(agencies[H53], {"from": H53, "to": f'["{STT}"]', "servicetype": "eDoc", "messagetype": "edoc",
                                     "hash-file": vxp.hash_file_hex(file_sha256(pkg))},
                     content_type="application/octet-stream")
    body = pkg.read_bytes() + CRLF
    first = post(client, "sendEdoc", headers, body)
    assert first["status"] == "OK" and first["DocId"]
    second = post(client, "sendEdoc", headers, body)
    assert (second["status"], second["ErrorCode"], second["DocId"]) == ("FAIL", vxp.REPLAYED.code, "")
    assert second["ErrorDesc"].startswith(vxp.REPLAYED.message)
    assert Delivery.objects.using("hub").count() == 1


def test_replayed_read_and_acknowledge_are_refused(agencies, connect, tmp_path):
    client = connect(*agencies[STT])
    for operation, values in [("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}),
                              ("updateStatus", {"docId": "x" * 32, "status": "done"}),
                              ("deleteAgency", {"AgencyCode": "001.00.13.H53"})]:
        headers = signed(agencies[STT], values)
        assert post(client, operation, headers)["ErrorCode"] != vxp.REPLAYED.code
        assert post(client, operation, headers)["ErrorCode"] == vxp.REPLAYED.code, operation


@pytest.mark.backends
@pytest.mark.parametrize("minutes", [-6, 6])
def test_stale_or_future_request_is_refused(agencies, connect, minutes):
    client = connect(*agencies[STT])
    at = datetime.now(UTC) + timedelta(minutes=minutes)
    answer = post(client, "countReceiveEdoc", signed(agencies[STT], {"messagetype": "edoc"}, at=at))
    assert (answer["status"], answer["ErrorCode"]) == ("FAIL", vxp.STALE_REQUEST.code)
    assert ("ahead of" if minutes > 0 else "behind") in answer["ErrorDesc"]
    assert SeenRequest.objects.using("hub").count() == 0  # refused before it is remembered


def test_within_the_window_is_accepted(agencies, connect):
    client = connect(*agencies[STT])
    for minutes in (-4.5, 4.5):
        at = datetime.now(UTC) + timedelta(minutes=minutes)
        answer = post(client, "countReceiveEdoc", signed(agencies[STT], {"messagetype": "edoc"}, at=at))
        assert answer["status"] == "OK", answer


def test_timestamp_is_read_in_the_configured_zone(agencies, connect, settings):
    """A JVM on UTC writes UTC wall time: refused as 7 h behind unless the hub is told."""
    client = connect(*agencies[STT])
    utc_wall = datetime.now(UTC).replace(tzinfo=None)  # naive: written as is
    answer = post(client, "countReceiveEdoc", signed(agencies[STT], {"messagetype": "edoc"}, at=utc_wall))
    assert answer["ErrorCode"] == vxp.STALE_REQUEST.code and "Asia/Ho_Chi_Minh" in answer["ErrorDesc"]
    services.set_time_zone("sys.stt", "UTC")  # the operator, for this system only
    answer = post(client, "countReceiveEdoc", signed(agencies[STT], {"messagetype": "edoc"}, at=utc_wall))
    assert answer["status"] == "OK", answer
    other = connect(*agencies[H53])  # others still read in Vietnam time
    answer = post(other, "countReceiveEdoc", signed(agencies[H53], {"messagetype": "edoc"}, at=utc_wall))
    assert answer["ErrorCode"] == vxp.STALE_REQUEST.code
    services.set_time_zone("sys.stt", "")
    settings.HUB_CLIENT_TIME_ZONE = "UTC"  # or for the whole hub (a new request: the last one was accepted)
    answer = post(client, "countReceiveEdoc", signed(agencies[STT], {"messagetype": "edoc", "n": "2"}, at=utc_wall))
    assert answer["status"] == "OK", answer
    with pytest.raises(vxp.VxpError):
        services.set_time_zone("sys.stt", "Mars/Olympus")


def test_window_zero_turns_both_checks_off(agencies, connect, settings):
    settings.HUB_CLOCK_SKEW_SECONDS = 0
    client = connect(*agencies[STT])
    headers = signed(agencies[STT], {"messagetype": "edoc"}, at=datetime.now(UTC) - timedelta(hours=3))
    assert post(client, "countReceiveEdoc", headers)["status"] == "OK"
    assert post(client, "countReceiveEdoc", headers)["status"] == "OK"


@pytest.mark.backends
def test_expired_signatures_are_pruned(agencies, connect):
    client = connect(*agencies[STT])
    assert client.count_receive_edoc() == 0
    (seen,) = SeenRequest.objects.using("hub").all()
    assert seen.system_id == "sys.stt"
    assert services.prune_seen() == 0  # still inside the window
    assert services.prune_seen(seen.expires_at + timedelta(seconds=1)) == 1


@pytest.mark.backends
def test_refused_requests_are_recorded_with_their_reason(agencies, connect, tmp_path):
    stt = connect(*agencies[STT])
    headers = signed(agencies[STT], {"messagetype": "edoc"})
    post(stt, "countReceiveEdoc", headers)
    post(stt, "countReceiveEdoc", headers)  # replay
    post(stt, "countReceiveEdoc", signed(agencies[STT], {"messagetype": "edoc"},
                                         at=datetime.now(UTC) - timedelta(minutes=6)))  # stale
    post(stt, "getReceivedEdocList", signed(("sys.stt", "wrong secret"), {"messagetype": "edoc"}))  # known id
    post(stt, "getReceivedEdocList", signed(("sys.nobody", "x"), {"messagetype": "edoc"}))  # unknown: not recorded
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    with pytest.raises(VxpRemoteError):
        stt.send_edoc(pkg, from_code=H53, to=[STT])  # a From that is not its own
    rows = list(RefusedRequest.objects.using("hub").order_by("pk").values_list(
        "system_id", "operation", "error_code", "authenticated"))
    assert rows == [
        ("sys.stt", "countReceiveEdoc", vxp.REPLAYED.code, True),
        ("sys.stt", "countReceiveEdoc", vxp.STALE_REQUEST.code, True),
        ("sys.stt", "getReceivedEdocList", vxp.BAD_SIGNATURE.code, False),
        ("sys.stt", "sendEdoc", vxp.FORGED_FROM.code, True),
    ]
    reasons = [r.reason for r in services.refused("sys.stt")]
    assert "is not an agency of system 'sys.stt'" in reasons[0] and "already used" in reasons[3]
    assert all(r.remote_addr for r in services.refused())


@pytest.mark.backends
@pytest.mark.django_db(databases=["default", "hub"], transaction=True)
def test_the_same_signature_raced_from_many_threads_is_accepted_once(agencies):
    """The unique key, not a read-then-write, decides: as with several hub processes."""
    import threading

    from django.db import connections

    headers = dict(signed(agencies[STT], {"messagetype": "edoc"}))
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait(5)
            services.authenticate(headers)
            outcomes.append("ok")
        except vxp.VxpError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == sorted(["ok"] + [vxp.REPLAYED.code] * 7)
    assert SeenRequest.objects.using("hub").count() == 1

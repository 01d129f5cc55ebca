"""/metrics: the Prometheus text format (parsed by prometheus_client's own parser), the queues as
the tables say, guarded by a bearer token or the loopback address."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests import factories
from vpdt.core import blobs

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def _samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def _world():
    from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage
    from vpdt.hub.models import Delivery, Package, Submission

    agency = factories.agency("000.00.01.H99")
    package = blobs.store_stream(io.BytesIO(b"<edXML/>"))
    now = timezone.now()
    for i in range(3):
        m = OutboxMessage.objects.create(agency=agency, to_code="000.00.02.H99", message_type="edoc", package=package,
                                         attempts=1 if i == 0 else 0, last_error="timeout" if i == 0 else "")
        OutboxMessage.objects.filter(pk=m.pk).update(created_at=now - timedelta(minutes=10 * (i + 1)))
    OutboxMessage.objects.create(agency=agency, to_code="x", message_type="edoc", package=package, state="failed")
    conn = HubConnection(endpoint="/hub", system_id="sys-1", failures=4)
    conn.set_secret("s")
    conn.save()
    InboxItem.objects.create(connection=conn, hub_doc_id="d1", agency=agency, message_type="edoc",
                             outcome="quarantined", reason_code="EDXML_INVALID")
    p = Package.objects.create(sha256="a" * 64, size=1, message_type="edoc", from_code="000.00.01.H99")
    sub = Submission.objects.create(doc_id="s1", package=p, from_code="000.00.01.H99")
    Delivery.objects.create(doc_id="d1", submission=sub, package=p, message_type="edoc", from_code="000.00.01.H99",
                            to_code="000.00.02.H99", route="local")


def test_metrics_parse_and_say_what_the_queues_hold(client):
    _world()
    client.get("/healthz")  # one request timed
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=")
    s = _samples(answer.content.decode())
    code = "000.00.01.H99"
    assert s[("vpdt_outbox_messages", (("agency", code), ("state", "pending")))] == 3
    assert s[("vpdt_outbox_messages", (("agency", code), ("state", "failed")))] == 1
    assert s[("vpdt_outbox_retrying", (("agency", code),))] == 1
    assert 29 * 60 < s[("vpdt_outbox_oldest_pending_age_seconds", (("agency", code),))] < 31 * 60
    assert s[("vpdt_inbox_items", (("agency", code), ("outcome", "quarantined")))] == 1
    assert s[("vpdt_inbox_unacknowledged", ())] == 1
    assert s[("vpdt_hub_connection_consecutive_failures", (("connection", "sys-1@/hub"),))] == 4
    assert s[("vpdt_hub_connection_last_ok_age_seconds", (("connection", "sys-1@/hub"),))] == -1
    assert s[("vpdt_hub_deliveries", (("route", "local"), ("state", "pending")))] == 1
    assert s[("vpdt_hub_waiting", (("receiver", "000.00.02.H99"),))] == 1
    assert ("vpdt_task_queue_pending", ()) in s
    assert all(v == 0 for (name, _), v in s.items() if name == "vpdt_metrics_errors")
    timed = [v for (name, labels), v in s.items() if name == "vpdt_http_request_duration_seconds_count"
             and ("route", "healthz") in labels]
    assert timed and timed[0] >= 1


def test_metrics_are_for_the_loopback_or_the_token_holder(client):
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 403
    with override_settings(VPDT_METRICS_TOKEN="t0k3n-long-enough"):
        assert client.get("/metrics").status_code == 403  # a token is set: loopback alone is not enough
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        ok = client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_AUTHORIZATION="Bearer t0k3n-long-enough")
        assert ok.status_code == 200 and b"vpdt_task_queue_pending" in ok.content


def test_each_hub_operation_is_timed_under_its_own_name_and_unknown_names_share_one(client):
    client.post("/hub/getReceivedEdocList", data=b"{}", content_type="application/json")  # unsigned: refused, timed
    client.post("/hub//getSentEdocList", data=b"{}", content_type="application/json")  # the SDK's double slash
    for name in ("nope1", "nope2"):
        client.post(f"/hub/{name}", data=b"{}", content_type="application/json")
    routes = {dict(labels)["route"] for (name, labels), _ in _samples(client.get("/metrics").content.decode()).items()
              if name == "vpdt_http_request_duration_seconds_count"}
    assert {"hub/getReceivedEdocList", "hub/getSentEdocList", "hub/unknown"} <= routes
    assert not any("(?" in r or "nope" in r for r in routes), routes

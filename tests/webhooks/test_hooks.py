"""Webhooks: an agency admin's subscriptions, signed deliveries to a real local receiver, the
order and the once-only rule across a receiver's outage, re-sending, and who may manage what."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time

import pytest
from django.utils import timezone

from tests import factories
from tests.workflow.walk import assigned, incoming, registered
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.core.models import AuditEntry
from vpdt.directory.roles import Role
from vpdt.records.choices import State
from vpdt.records.models import Document
from vpdt.webhooks import events, sender, services
from vpdt.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

from .conftest import Receiver

ALL = list(events.EVENTS)


def run(now=None) -> int:
    """The job as the worker runs it, until there is nothing left to do at `now`."""
    events.collect()
    sent = total = 0
    while True:
        sent = sender.deliver_due(now)
        total += sent
        if not sent:
            return total


def later(hours: float = 2):
    return timezone.now() + dt.timedelta(hours=hours)


def test_a_delivery_is_signed_with_the_secret_and_timestamped(world, receiver):
    subscription, secret = services.subscribe(world.admin, world.agency, receiver.url, ALL)
    assert secret.startswith("whsec_") and secret not in subscription.secret  # kept sealed
    doc = registered(world)
    run()
    assert [e["event"] for e in receiver.events()] == ["document.arrived", "document.registered"]
    for request in receiver.requests:
        headers, body = request["headers"], request["body"]
        stamp = headers["X-Vpdt-Timestamp"]
        assert abs(int(stamp) - time.time()) < 300
        expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Vpdt-Signature"], f"sha256={expected}")
        wrong = hmac.new(b"another secret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert headers["X-Vpdt-Signature"] != f"sha256={wrong}"
        payload = json.loads(body)
        assert headers["X-Vpdt-Event"] == payload["event"] and headers["X-Vpdt-Delivery"] == payload["id"]
        assert payload["agency_code"] == world.agency.code
        assert payload["document"]["id"] == doc.pk and payload["document"]["subject"] == doc.subject
        assert payload["occurred_at"].endswith("+00:00")
    assert receiver.events()[1]["document"]["state"] == State.REGISTERED
    assert WebhookDelivery.objects.filter(state="delivered").count() == 2
    assert WebhookAttempt.objects.filter(status=200).count() == 2


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(world, receiver):
    services.subscribe(world.admin, world.agency, receiver.url, ALL)
    receiver.status = 500
    first = assigned(world)  # arrived, registered, directed
    run()
    assert len(receiver.requests) == 1  # the oldest failed: nothing later went before it
    run()  # its retry is not due yet
    assert len(receiver.requests) == 1
    second = incoming(world, number=389)
    run(later(0.01))
    for hours in (1, 3):  # still down at the next retries
        run(later(hours))
    down = len(receiver.requests)
    assert down >= 2 and all(r["body"] == receiver.requests[0]["body"] for r in receiver.requests)
    receiver.status = 200  # back
    run(later(8))
    got = receiver.events()
    assert [(e["event"], e["document"]["id"]) for e in got] == [
        ("document.arrived", first.pk), ("document.registered", first.pk), ("document.directed", first.pk),
        ("document.arrived", second.pk)]
    assert len({e["id"] for e in got}) == len(got)  # each once
    run(later(24))
    assert len(receiver.events()) == 4  # nothing again


def test_a_receiver_refusing_connections_then_listening_gets_everything_in_order(world, closed_port):
    url = f"http://127.0.0.1:{closed_port}/hook"
    subscription, _secret = services.subscribe(world.admin, world.agency, url, ALL)
    doc = registered(world)
    run()
    head = WebhookDelivery.objects.filter(subscription=subscription).order_by("pk").first()
    assert head.state == "pending" and head.attempts == 1 and head.last_status is None
    assert head.last_error.startswith("Không kết nối được tới nơi nhận")
    assert WebhookDelivery.objects.filter(subscription=subscription, attempts=0).count() == 1
    back = Receiver(port=closed_port)
    try:
        run(later(1))
        assert [(e["event"], e["document"]["id"]) for e in back.events()] == [
            ("document.arrived", doc.pk), ("document.registered", doc.pk)]
    finally:
        back.close()


def test_a_failed_delivery_is_resent_by_hand(world, receiver, client):
    subscription, _secret = services.subscribe(world.admin, world.agency, receiver.url, [events.REGISTERED])
    receiver.status = 503
    registered(world)
    for hours in range(0, 60, 2):
        run(later(hours))
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == "failed" and delivery.attempts == sender.MAX_ATTEMPTS
    assert len(receiver.requests) == sender.MAX_ATTEMPTS
    receiver.status = 200
    client.force_login(world.admin)
    page = client.get(f"/quan-tri/webhook/{subscription.pk}/").content.decode()
    assert "Gửi lại" in page and "503" in page
    answer = client.post(f"/quan-tri/webhook/{subscription.pk}/", {"action": "resend", "delivery": delivery.pk})
    assert answer.status_code == 302
    run()
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and len(receiver.events()) == 1
    assert receiver.events()[0]["id"] == str(delivery.uuid)
    assert AuditEntry.objects.filter(action="webhook.resend", object_id=str(subscription.pk)).exists()
    # and a delivered one again (the receiver lost it): the same id, so the receiver can tell
    services.resend(world.admin, delivery)
    run()
    assert [e["id"] for e in receiver.events()] == [str(delivery.uuid)] * 2


def test_another_agencys_events_are_never_delivered(world, receiver):
    services.subscribe(world.admin, world.agency, receiver.url, ALL)
    clerk = factories.person(world.other, Role.CLERK, username="vanthu.stc")
    from vpdt.workflow import services as wf

    wf.receive_paper(clerk, world.other, {"document_type": factories.doc_type("CV"), "subject": "Của Sở Tài chính"})
    run()
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
    incoming(world)
    run()
    assert [e["agency_code"] for e in receiver.events()] == [world.agency.code]


def test_only_the_events_ticked_are_sent_and_directed_once(world, receiver):
    services.subscribe(world.admin, world.agency, receiver.url, [events.DIRECTED])
    doc = assigned(world)
    run()
    got = receiver.events()
    assert [e["event"] for e in got] == ["document.directed"] and got[0]["document"]["id"] == doc.pk


def test_overdue_is_told_once_when_the_due_date_passes(world, receiver):
    services.subscribe(world.admin, world.agency, receiver.url, [events.OVERDUE])
    doc = assigned(world)
    today = timezone.localdate()
    Document.objects.filter(pk=doc.pk).update(due_date=today - dt.timedelta(days=1))
    done = assigned(world, number=390)
    Document.objects.filter(pk=done.pk).update(due_date=today - dt.timedelta(days=1), state=State.COMPLETED)
    events.collect_overdue(today)
    events.collect_overdue(today)
    run()
    got = receiver.events()
    assert [(e["event"], e["document"]["id"]) for e in got] == [("document.overdue", doc.pk)]
    events.collect_overdue(today + dt.timedelta(days=1))
    run()
    assert len(receiver.events()) == 1


def test_a_paused_subscription_takes_nothing_and_resumes(world, receiver):
    subscription, _secret = services.subscribe(world.admin, world.agency, receiver.url, ALL)
    services.set_active(world.admin, subscription, False)
    incoming(world)
    run()
    assert receiver.requests == []
    services.set_active(world.admin, subscription, True)
    incoming(world, number=391)
    run()
    assert [e["document"]["state"] for e in receiver.events()] == [State.RECEIVED]


def test_redirects_are_not_followed(world, receiver):
    services.subscribe(world.admin, world.agency, receiver.url, ALL)
    other = Receiver()
    try:
        receiver.status, receiver.location = 307, other.url
        incoming(world)
        run()
        assert other.requests == [] and len(receiver.requests) == 1
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == "pending" and delivery.last_status == 307
    finally:
        other.close()


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "file:///etc/passwd", "javascript:alert(1)",
                                 "127.0.0.1/hook", "http://user:pw@127.0.0.1/hook", ""])
def test_only_http_urls_are_accepted(world, url):
    with pytest.raises(InvalidInput):
        services.subscribe(world.admin, world.agency, url, ALL)
    assert not WebhookSubscription.objects.exists()


def test_only_the_agencys_admin_manages_its_subscriptions(world, receiver, client):
    subscription, _secret = services.subscribe(world.admin, world.agency, receiver.url, ALL)
    other_admin = factories.person(world.other, Role.AGENCY_ADMIN, username="quantri.stc")
    for someone in (world.leader, world.clerk, other_admin):
        with pytest.raises(PermissionDenied):
            services.set_active(someone, subscription, False)
        with pytest.raises(PermissionDenied):
            services.subscribe(someone, world.agency, receiver.url, ALL)
    client.force_login(other_admin)
    assert client.get(f"/quan-tri/webhook/{subscription.pk}/").status_code == 404
    assert client.post(f"/quan-tri/webhook/{subscription.pk}/", {"action": "delete"}).status_code == 404
    assert receiver.url not in client.get("/quan-tri/webhook/").content.decode()
    client.force_login(world.spec)
    assert client.get("/quan-tri/webhook/").status_code == 403
    assert WebhookSubscription.objects.get(pk=subscription.pk).active


def test_the_pages_subscribe_show_the_secret_once_pause_resume_delete_and_audit(world, receiver, client):
    client.force_login(world.admin)
    page = client.get("/quan-tri/webhook/")
    assert page.status_code == 200 and "Văn bản đến" in page.content.decode()
    answer = client.post("/quan-tri/webhook/", {"url": receiver.url, "events": [events.ARRIVED, events.RELEASED],
                                                "description": "Cổng dịch vụ công"})
    text = answer.content.decode()
    secret = re.search(r"whsec_[A-Za-z0-9_-]+", text).group(0)
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret_value() == secret and subscription.events == [events.ARRIVED, events.RELEASED]
    assert secret not in client.get("/quan-tri/webhook/").content.decode()
    assert secret not in client.get(f"/quan-tri/webhook/{subscription.pk}/").content.decode()
    refused = client.post("/quan-tri/webhook/", {"url": "ftp://x/", "events": [events.ARRIVED]})
    assert refused.status_code == 200 and WebhookSubscription.objects.count() == 1
    incoming(world)
    run()
    detail = client.get(f"/quan-tri/webhook/{subscription.pk}/").content.decode()
    assert "200" in detail and "Văn bản đến" in detail
    assert "document.arrived" not in detail  # never an internal code to a person
    client.post(f"/quan-tri/webhook/{subscription.pk}/", {"action": "pause"})
    assert not WebhookSubscription.objects.get().active
    client.post(f"/quan-tri/webhook/{subscription.pk}/", {"action": "resume"})
    assert WebhookSubscription.objects.get().active
    client.post(f"/quan-tri/webhook/{subscription.pk}/", {"action": "delete"})
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    actions = list(AuditEntry.objects.filter(object_type="webhooks.webhooksubscription",
                                             object_id=str(subscription.pk)).order_by("seq")
                   .values_list("action", "agency_code"))
    assert actions == [("webhook.create", world.agency.code), ("webhook.pause", world.agency.code),
                       ("webhook.resume", world.agency.code), ("webhook.delete", world.agency.code)]


def test_release_each_recipients_status_and_recall_are_told(world, receiver):
    from tests.workflow.walk import approved
    from vpdt.workflow import services as wf

    services.subscribe(world.admin, world.agency, receiver.url, [events.RELEASED, events.RECIPIENT_STATUS,
                                                                  events.RECALLED])
    doc = approved(world)
    wf.issue_number(world.clerk, doc)
    wf.release(world.clerk, doc)
    wf.acknowledge(world.head_bcvt, doc)
    wf.recall(world.leader, doc, "Sai thẩm quyền ký")
    run()
    got = receiver.events()
    names = [e["event"] for e in got]
    assert names.count("document.released") == 1 and names.count("document.recalled") == 1
    released = got[names.index("document.released")]
    assert released["document"]["code"] == "01/SKHCN-CĐS" and released["document"]["state"] == State.RELEASED
    moves = [(e["recipient"]["name"], e["recipient"]["previous_state"], e["recipient"]["state"])
             for e in got if e["event"] == "recipient.status"]
    accepted = ("Phòng Bưu chính, Viễn thông", "delivered", "accepted")
    assert accepted in moves
    # in the order things happened: the release, then the unit's acknowledgement, then the recall
    at_accept = next(i for i, e in enumerate(got) if e["event"] == "recipient.status"
                     and e["recipient"]["state"] == "accepted")
    assert names.index("document.released") < at_accept < names.index("document.recalled")
    assert all(before != after for _name, before, after in moves)
    assert any(after == "recalled" for _name, _before, after in moves)


def test_completed_is_told(world, receiver):
    from vpdt.workflow import services as wf

    services.subscribe(world.admin, world.agency, receiver.url, [events.COMPLETED])
    doc = assigned(world)
    wf.reassign(world.head, doc, handler=world.spec)
    wf.complete(world.spec, doc, summary="Đã trả lời")
    run()
    got = receiver.events()
    assert [(e["event"], e["document"]["id"], e["document"]["state"]) for e in got] == [
        ("document.completed", doc.pk, State.COMPLETED)]


def test_the_job_is_registered_and_does_the_whole_round(world, receiver):
    from vpdt.core import tasks
    from vpdt.webhooks import jobs

    assert "webhooks.dispatch" in {j.name for j in tasks.jobs()}
    registered(world)  # before anyone listens: never replayed later
    assert jobs.dispatch() >= 0
    services.subscribe(world.admin, world.agency, receiver.url, ALL)
    doc = incoming(world, number=392)
    assert jobs.dispatch() > 0  # work found: the worker runs it again at once
    jobs.dispatch()
    assert [(e["event"], e["document"]["id"]) for e in receiver.events()] == [("document.arrived", doc.pk)]


def test_old_delivered_deliveries_are_forgotten_failed_ones_kept(world, receiver):
    subscription, _secret = services.subscribe(world.admin, world.agency, receiver.url, ALL)
    incoming(world)
    run()
    delivery = WebhookDelivery.objects.get()
    failed = WebhookDelivery.objects.create(subscription=subscription, event=events.ARRIVED, event_id="x",
                                            occurred_at=timezone.now(), state="failed")
    assert events.prune(later(24 * 30)) == 0
    assert events.prune(later(24 * (events.RETENTION_DAYS + 1))) >= 1
    assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()
    assert WebhookDelivery.objects.filter(pk=failed.pk).exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://10.1.2.3/hook", "https://192.168.1.5/",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook",
                                 "http://localhost:8080/"])
def test_inside_addresses_are_refused_unless_the_deployment_allows_them(world, settings, url):
    settings.VPDT_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(InvalidInput) as refused:
        services.subscribe(world.admin, world.agency, url, ALL)
    assert refused.value.code == "WEBHOOK_URL_PRIVATE" and not WebhookSubscription.objects.exists()
    settings.VPDT_WEBHOOKS_ALLOW_PRIVATE = True
    services.subscribe(world.admin, world.agency, url, ALL)


def test_nothing_is_sent_inside_once_the_deployment_forbids_it(world, settings, receiver):
    subscription, _secret = services.subscribe(world.admin, world.agency, receiver.url, ALL)
    settings.VPDT_WEBHOOKS_ALLOW_PRIVATE = False
    incoming(world)
    run()
    assert receiver.requests == []
    head = WebhookDelivery.objects.get(subscription=subscription)
    assert head.state == "pending" and head.last_error.startswith("Địa chỉ nhận trỏ vào mạng nội bộ")


def test_the_audit_log_keeps_the_url_without_its_query(world, receiver):
    subscription, _secret = services.subscribe(world.admin, world.agency, receiver.url + "?token=bi-mat", ALL)
    services.delete(world.admin, subscription)
    kept = [e.detail["url"] for e in AuditEntry.objects.filter(object_type="webhooks.webhooksubscription")]
    assert kept == [receiver.url, receiver.url]


def test_a_secret_documents_subject_never_leaves(world, receiver):
    services.subscribe(world.admin, world.agency, receiver.url, ALL)
    doc = incoming(world, secrecy=1, subject="Về phương án bảo vệ bí mật nhà nước")
    run()
    sent = receiver.events()[0]["document"]
    assert sent["id"] == doc.pk and sent["secret"] is True and sent["subject"] == ""
    assert "bảo vệ bí mật".encode() not in receiver.requests[0]["body"]


def test_a_run_with_nothing_to_send_builds_no_http_client(world, monkeypatch):
    """The job runs every few seconds; an HTTP client costs an SSL context (the CA bundle read)."""
    def no_client():
        raise AssertionError("an HTTP client was built with nothing to send")

    monkeypatch.setattr(sender, "client", no_client)
    assert sender.deliver_due() == 0
    subscription, _ = services.subscribe(world.admin, world.agency, "https://example.invalid/hook", ALL)
    registered(world)
    events.collect()
    assert WebhookDelivery.objects.filter(subscription=subscription, state=WebhookDelivery.State.PENDING).exists()
    services.set_active(world.admin, subscription, False)  # waiting, but not for an active subscription
    assert sender.deliver_due() == 0

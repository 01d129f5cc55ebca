"""Webhooks through the interconnection: a document released by one agency travels the embedded
hub; the receiving agency's subscriber hears it arrive, the sender's hears its recipient's status
move; neither ever hears the other agency's events."""

from __future__ import annotations

import pytest

from tests.exchange.conftest import RECEIVER, SENDER, released, run_exchange
from vpdt.records.choices import Direction
from vpdt.records.models import Document
from vpdt.webhooks import events, services
from vpdt.webhooks.models import WebhookDelivery

from .conftest import Receiver
from .test_hooks import ALL, run

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def test_an_electronic_arrival_and_the_senders_status_each_reach_only_their_agency(province):
    from tests import factories
    from vpdt.directory.roles import Role

    (a, clerk_a), (b, _clerk_b) = province[SENDER], province[RECEIVER]
    admin_a = factories.person(a, Role.AGENCY_ADMIN, username="quantri.a")
    admin_b = factories.person(b, Role.AGENCY_ADMIN, username="quantri.b")
    at_a, at_b = Receiver(), Receiver()
    try:
        services.subscribe(admin_a, a, at_a.url, ALL)
        services.subscribe(admin_b, b, at_b.url, ALL)
        sent = released(a, clerk_a, [b])
        run_exchange()
        run()
        arrived = Document.objects.get(agency=b, direction=Direction.INCOMING)
        got_b = at_b.events()
        assert [(e["event"], e["document"]["id"]) for e in got_b] == [(events.ARRIVED, arrived.pk)]
        assert got_b[0]["agency_code"] == RECEIVER and got_b[0]["document"]["subject"] == sent.subject
        got_a = at_a.events()
        assert {e["agency_code"] for e in got_a} == {SENDER}
        assert {e["document"]["id"] for e in got_a} == {sent.pk}
        names = [e["event"] for e in got_a]
        assert events.RELEASED in names
        moves = [e["recipient"]["state"] for e in got_a if e["event"] == events.RECIPIENT_STATUS]
        assert moves[:2] == ["sent", "delivered"], moves  # the hub took it, then the receiver's status 01
        assert WebhookDelivery.objects.filter(state="pending").count() == 0
    finally:
        at_a.close()
        at_b.close()

"""The receiving agency is offline for a (simulated) day while documents wait for it.

What is proved: nothing reaches an offline agency, and once it is back every waiting document
arrives exactly once and every status returns, however many pages each step takes. Sixty
documents in pages of twelve fill five pages of each step (the outbox's batch, the hub's list
of waiting messages); the 1,000 documents this test used to send filled two pages of the
outbox's 500 and one of the hub's 1,000, and took minutes. VPDT_OFFLINE_DOCUMENTS=1000
VPDT_OFFLINE_PAGE=0 still runs that case (production page sizes).
"""

from __future__ import annotations

import os
import time

import pytest

from vpdt.exchange import inbox, outbox
from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage, StatusEvent
from vpdt.records.choices import DeliveryState, Direction
from vpdt.records.models import Document, Recipient

from .conftest import RECEIVER, SENDER, released

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.slow]
COUNT = int(os.environ.get("VPDT_OFFLINE_DOCUMENTS", "60"))
PAGE = int(os.environ.get("VPDT_OFFLINE_PAGE", "12"))  # 0: the production page sizes


def test_documents_wait_for_an_offline_agency_then_each_arrives_once(province, settings):
    settings.EXCHANGE_KEEP_PACKAGES = False
    if PAGE:
        settings.HUB_LIST_LIMIT = PAGE  # the hub lists at most a page of waiting messages per call
    send = (lambda: outbox.send_pending(limit=PAGE)) if PAGE else outbox.send_pending
    assert not PAGE or COUNT > 4 * PAGE, "fewer documents than pages: the paging is not exercised"
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    HubConnection.objects.filter(agencies=b).update(enabled=False)  # the receiver is offline
    started = time.monotonic()
    docs = [released(a, clerk, [b], attachment=b"", subject=f"Văn bản {i}") for i in range(COUNT)]
    t_release = time.monotonic()
    while send():
        pass
    t_send = time.monotonic()
    assert OutboxMessage.objects.filter(state=OutboxMessage.SENT).count() == COUNT
    assert inbox.poll_all() == 0  # nobody polls for the offline agency
    assert Document.objects.filter(agency=b).count() == 0

    HubConnection.objects.filter(agencies=b).update(enabled=True)  # back the next day
    while inbox.poll_all():
        pass
    t_receive = time.monotonic()
    while send() or inbox.poll_all():
        pass
    t_back = time.monotonic()

    incoming = Document.objects.filter(agency=b, direction=Direction.INCOMING)
    assert incoming.count() == COUNT
    assert incoming.values("edxml_document_id").distinct().count() == COUNT
    assert set(incoming.values_list("edxml_document_id", flat=True)) == {d.edxml_document_id for d in docs}
    assert InboxItem.objects.filter(agency=b, acknowledged_at__isnull=False).count() == COUNT
    assert Recipient.objects.filter(document__in=docs, state=DeliveryState.DELIVERED, status_code="01").count() == COUNT
    assert StatusEvent.objects.filter(direction=StatusEvent.RECEIVED, status_code="01").count() == COUNT
    print(f"\n{COUNT} documents: release {t_release - started:.1f}s, send {t_send - t_release:.1f}s, "
          f"receive {t_receive - t_send:.1f}s, status back {t_back - t_receive:.1f}s")

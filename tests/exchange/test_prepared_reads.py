"""The reads every exchange makes are written out once (vpdt.core.prepared), not refused.

A refused read still answers, through the ORM, so a shape the prepared reads cannot take would
silently cost what it cost before: this test runs a release, its package and its status 01 back,
then asks each read of the path whether it compiled on this backend.
"""

from __future__ import annotations

import pytest

from vpdt.core import incidents
from vpdt.directory import models as directory
from vpdt.exchange import handlers, inbox, outbox, statuses
from vpdt.exchange.models import OutboxMessage
from vpdt.motcua import joint, opinions
from vpdt.records.choices import DeliveryState, Direction
from vpdt.records.models import Document
from vpdt.signing import services as signing

from .conftest import RECEIVER, SENDER, released, run_exchange

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def test_the_exchanges_reads_are_prepared_not_refused(province):
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    sent = released(a, clerk, [b])
    run_exchange()

    copy = Document.objects.get(agency=b, direction=Direction.INCOMING)
    assert copy.attachments.count() == 1 and copy.signature_checks.count() == 1
    assert sent.recipients.get().state == DeliveryState.DELIVERED  # status 01 came back and applied
    assert not OutboxMessage.objects.filter(state=OutboxMessage.PENDING).exists()

    reads = [outbox._DELIVERED, outbox._DUE, statuses._SENT, statuses._BY_AGENCY, handlers._FILES,
             handlers._RECEIVED, incidents._OPEN, directory._ALIASES, signing._UNCHECKED, inbox._JOINED,
             joint._DATA_FILE, opinions._LINKS]
    for read in reads:
        assert read._compiled, f"{read._build} was not used by the exchange"
        assert all(c is not None for c in read._compiled.values()), f"{read._build} runs through the ORM"

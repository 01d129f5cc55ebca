"""The reads every exchange makes are written out once (vpdt.core.prepared), not refused.

A refused read still answers, through the ORM, so a shape the prepared reads cannot take would
silently cost what it cost before: this test runs a release, its package and its status 01 back,
then asks each read of the path whether it compiled on this backend.
"""

from __future__ import annotations

import pytest
from django.db import connection

from vpdt.core import incidents
from vpdt.directory import models as directory
from vpdt.exchange import connections, handlers, inbox, mapping, outbox, statuses
from vpdt.exchange.models import OutboxMessage
from vpdt.records import services as records
from vpdt.records.choices import DeliveryState, Direction
from vpdt.records.models import Document
from vpdt.search import services as search
from vpdt.signing import agency_keys
from vpdt.signing import services as signing
from vpdt.workflow.models import Notification
from vpdt.workflow.services import common as workflow
from vpdt.workflow.services import outgoing

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

    reads = [outbox._DELIVERED, statuses._RECIPIENT, handlers._RECEIVED, incidents._OPEN,
             directory._ALIASES, connections._FOR_AGENCY, inbox._KNOWN,
             mapping._AGENCY_BY_CODE, mapping._TYPE_BY_NAME, agency_keys._CANDIDATES, signing._ACTIVE_ANCHORS,
             workflow._ROLE_HOLDERS, records._DECIDED[0], workflow._LOCKED, outgoing._RECIPIENTS,
             outgoing._MAIN_FILE,
             # and its writes (vpdt.core.prepared.Update)
             outbox._SENT, inbox._POLL_LEASE, inbox._POLL_DONE, inbox._STAMP]
    if connection.vendor != "postgresql":
        reads += [outbox._DUE, outbox._CLAIM, outbox._CLAIMED]
    else:  # PostgreSQL claims the next due message and reads it in one statement of its own
        reads += [outbox._CLAIMED_NEXT]
    for read in reads:
        assert read._compiled, f"{read._build} was not used by the exchange"
        assert all(c is not None for c in read._compiled.values()), f"{read._build} runs through the ORM"


def test_a_new_arrival_is_not_read_back_by_the_intake_that_made_it(province):
    """The document a package makes, its links and its files are handed on as made: recording its
    PDF's verdict and the one-stop shop's look for a data file or a question it answers read none
    of them back (four statements per package); the verdict is still stored."""
    from django.db import connection as db

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b])
    assert outbox.send_pending() == 1
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(" ".join(sql.split()))
        return execute(sql, params, many, context)

    with db.execute_wrapper(count):
        inbox.poll_all()
    copy = Document.objects.get(agency=b, direction=Direction.INCOMING)
    assert copy.signature_checks.count() == 1 and copy.attachments.count() == 1
    reads = [sql for sql in statements if sql.startswith("SELECT") and (
        '"records_documentlink"' in sql or 'WHERE ("records_attachment"."document_id"' in sql
        or 'INNER JOIN "records_attachment"' in sql)]
    assert not reads, reads


def test_the_text_jobs_reads_are_prepared_not_refused(province):
    """The text job of the received file: its lease, the copy of a text already read from the
    same bytes, the row locked to record the outcome, and the idle step's look for files."""
    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b])
    run_exchange()
    while search.extract_next():
        pass
    reads = [search._DUE, search._LEASE, search._LOCKED, search._SAME, *search._NEWEST.values(), *search._PAST.values()]
    for read in reads:
        assert read._compiled, f"{read._build} was not used by the text job"
        assert all(c is not None for c in read._compiled.values()), f"{read._build} runs through the ORM"


def test_a_received_files_text_read_already_at_the_sender_is_taken_at_intake(province):
    """Both agencies on this e-office: the received file has the sender's bytes, whose text the
    search read already; the intake writes the receiver's row done (no text job), prepared."""
    from vpdt.search.models import FileText

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    released(a, clerk, [b])
    search.drain()
    run_exchange()
    copy = Document.objects.get(agency=b, direction=Direction.INCOMING)
    row = FileText.objects.get(attachment=copy.attachments.get())
    assert row.state == FileText.State.DONE and row.seconds == 0.0
    assert search.drain() == 0
    assert search._TEXT_OF._compiled and all(c is not None for c in search._TEXT_OF._compiled.values())


def test_a_status_for_a_recipient_this_agency_does_not_have_is_recorded_unmatched(province):
    """After handling, the item's outcome, note and document are written in one prepared UPDATE,
    also when no document was reached (a NULL)."""
    from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage
    from vpdt.records.models import Recipient

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    sent = released(a, clerk, [b])
    run_exchange()
    status = OutboxMessage.objects.get(agency=b, message_type=OutboxMessage.STATUS)
    Recipient.objects.filter(document=sent).delete()
    connection = HubConnection.objects.get(agencies=a)
    with outbox.package_path(status.package) as path:
        item = inbox.ingest_file(connection, "status-again-1", path, to_code=SENDER, message_type="status")
    stored = InboxItem.objects.get(pk=item.pk)
    assert (stored.outcome, stored.document_id) == (InboxItem.UNMATCHED, None)
    assert stored.detail.startswith("no recipient")


def test_a_poll_reads_its_reference_data_once_and_writes_each_item_once(province):
    """A run of the inbox's poll takes in many packages one after another: the agency a code
    names, the document type, the trust anchors and the clerks to tell are read once in the run
    (vpdt.core.prepared.ReferenceRead), not once per package."""
    from django.test.utils import CaptureQueriesContext

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    for n in range(3):
        released(a, clerk, [b], subject=f"Về việc báo cáo số {n}")
    outbox.send_pending()
    with CaptureQueriesContext(connection) as queries:
        assert inbox.poll_all() == 3
    assert Document.objects.filter(agency=b, direction=Direction.INCOMING).count() == 3

    def asked(table: str) -> int:
        return sum(1 for q in queries.captured_queries
                   if q["sql"].lstrip().startswith("SELECT") and f'FROM "{table}"' in q["sql"])

    assert asked("signing_trustanchor") == 1
    assert asked("records_documenttype") == 1
    assert asked("directory_user") == 1  # the clerks to tell of each arrival
    # A new arrival's document was made in the package's transaction: nobody can have its
    # notification's key yet, so nobody is asked (a concurrent row is still skipped by the INSERT).
    assert asked("workflow_notification") == 0
    assert Notification.objects.filter(kind="exchange_arrived", user__agency=b).count() == 3
    # the connection's agencies (once per run, as before) and the receiver's organisation in each status 01
    assert asked("directory_agency") == 2
    # Each package's inbox item is written once, with what handling made of it (then stamped
    # acknowledged, all three in one statement), not inserted, then updated.
    items = [q["sql"] for q in queries.captured_queries if '"exchange_inboxitem"' in q["sql"]
             and q["sql"].lstrip().startswith(("INSERT", "UPDATE"))]
    assert [sql.split()[0] for sql in items] == ["INSERT"] * 3 + ["UPDATE"], items
    assert "acknowledged_at" in items[-1]


def test_a_sent_delivery_is_marked_sent_with_its_recipient_read_in_the_same_statement(province):
    """Sending a first delivery marks the message sent and reads its recipient (to move it to
    "đã gửi"): one statement on PostgreSQL, the recipient read after the send as before."""
    from django.test.utils import CaptureQueriesContext

    (a, clerk), (b, _) = province[SENDER], province[RECEIVER]
    sent = released(a, clerk, [b])
    with CaptureQueriesContext(connection) as queries:
        assert outbox.send_pending() == 1
    assert sent.recipients.get().state == DeliveryState.SENT
    message = OutboxMessage.objects.get(document=sent)
    assert message.state == OutboxMessage.SENT and message.hub_doc_id and message.locked_until is None
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "records_recipient"' in q["sql"]]
    assert len(reads) == 1
    if connection.vendor == "postgresql":
        assert 'UPDATE "exchange_outboxmessage" SET "state"' in reads[0]

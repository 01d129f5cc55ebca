"""Senders running at once (threads here, processes in production) claim each due message once:
on PostgreSQL the next due one is claimed in one statement (FOR UPDATE SKIP LOCKED), so no
sender spends a statement on a message another one has."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.db import connection

from tests import factories
from vpdt.core import blobs

pytestmark = pytest.mark.django_db(transaction=True)


def _messages(count: int):
    from vpdt.exchange.models import HubConnection, OutboxMessage

    agency = factories.agency("000.00.05.H99", name="Sở Thử nghiệm")
    conn = HubConnection(endpoint="http://truc.tinh", system_id="vpdt-tn")
    conn.set_secret("s")
    conn.save()
    conn.agencies.add(agency)
    package = blobs.store_stream(io.BytesIO(b"<edXML/>"))
    return [OutboxMessage.objects.create(agency=agency, to_code=f"000.00.{i:02d}.H98", message_type="edoc",
                                         package=package) for i in range(count)]


class _Hub:
    def __init__(self):
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send_edoc(self, path, *, from_code, to, message_type, sha256=None):
        time.sleep(0.005)  # the other senders run meanwhile
        with self.lock:
            self.sent.append(to[0])
        return f"hub-{to[0]}"


def _claims(statements: list[str]) -> int:
    """PostgreSQL's claims of the next due message (each reads the message it claims too)."""
    return sum(1 for sql in statements if "SET locked_until" in sql and "FOR UPDATE SKIP LOCKED" in sql)


def test_three_senders_at_once_send_each_message_once(monkeypatch):
    from vpdt.exchange import clients, outbox
    from vpdt.exchange.models import OutboxMessage

    messages = _messages(30)
    hub = _Hub()
    monkeypatch.setattr(clients, "shared", lambda c: hub)
    statements: list[str] = []
    sent, errors = [], []

    def sender():
        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)
        try:
            with connection.execute_wrapper(count):
                sent.append(outbox.send_pending())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(hub.sent) == sorted(m.to_code for m in messages)  # each once
    assert sum(sent) == 30
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxMessage.SENT}
    if connection.vendor == "postgresql":
        # one claim per message, none lost to another sender; a sender's run ends with a claim
        # that finds nothing only where the messages it saw due were taken by the others
        assert 30 <= _claims(statements) <= 30 + 3
        # each message read in its claim's statement, none read again by another
        reads = [sql for sql in statements if sql.lstrip().startswith("SELECT") and '"exchange_outboxmessage"' in sql]
        assert not reads, reads
        # and marked sent by one statement each
        assert sum(1 for sql in statements if sql.lstrip().startswith("UPDATE")
                   and '"exchange_outboxmessage"' in sql and '"state"' in sql) == 30


def test_a_run_ends_with_its_last_due_message_not_with_a_claim_that_finds_nothing(monkeypatch):
    """Each claim says whether another message is due after it: one sender with five due messages
    makes five claims, not six. A message waiting for its retry time, or under another sender's
    lease, is not due: the run does not wait for it, nor claim it."""
    import datetime as dt

    from django.utils import timezone

    from vpdt.exchange import clients, outbox
    from vpdt.exchange.models import OutboxMessage

    if connection.vendor != "postgresql":
        pytest.skip("elsewhere the due messages are listed first, then claimed in turn")
    messages = _messages(7)
    later = timezone.now() + dt.timedelta(minutes=10)
    OutboxMessage.objects.filter(pk=messages[5].pk).update(next_attempt_at=later, attempts=1)  # retries later
    OutboxMessage.objects.filter(pk=messages[6].pk).update(locked_until=later)  # another sender's
    hub = _Hub()
    monkeypatch.setattr(clients, "shared", lambda c: hub)
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert outbox.send_pending() == 5
    assert sorted(hub.sent) == sorted(m.to_code for m in messages[:5])
    assert _claims(statements) == 5
    with connection.execute_wrapper(count):
        assert outbox.send_pending() == 0  # nothing due: one claim, which finds nothing
    assert _claims(statements) == 6
    assert set(OutboxMessage.objects.filter(pk__in=[m.pk for m in messages[5:]]).values_list("state", flat=True)) \
        == {OutboxMessage.PENDING}

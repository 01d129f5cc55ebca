"""How many statements the hub sends to accept a package (issue 17: the accept path must stay
near the machine's limit; each statement costs CPU in the hub and in the database)."""

from __future__ import annotations

import pytest
from django.db import connections

from vpdt.hub.models import Delivery

from . import factories
from .conftest import H53, STT

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.backends]


class Statements:
    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


def test_a_new_package_takes_six_statements_on_postgresql_five_once_the_caller_is_known_nine_on_sqlite(agencies, connect, tmp_path):
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], attachment=20_000)
    client = connect(*agencies[H53])
    sent = Statements()
    with connections["hub"].execute_wrapper(sent):
        doc_id = client.send_edoc(pkg, from_code=H53, to=[STT])
    # (savepoints: the test's own transaction; the prune of old signatures: once a minute)
    work = [s for s in sent.sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'DELETE FROM "hub_seen'))]
    # caller's system, its signature remembered, agencies + duplicate check, log head,
    # 3 inserts (package, submission, delivery), log entry, head; on PostgreSQL the 3 inserts
    # are one statement, and the log entry with the head one more; nothing read under the lock
    expected = 6 if connections["hub"].vendor == "postgresql" else 9
    assert len(work) <= expected, "\n".join(work)
    retry = Statements()
    with connections["hub"].execute_wrapper(retry):
        assert client.send_edoc(pkg, from_code=H53, to=[STT]) == doc_id
    # system and signature (one statement on PostgreSQL: a caller known since the first send),
    # agencies + duplicate check, the delivery found (nothing written)
    retried = [s for s in retry.sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'DELETE FROM "hub_seen'))]
    assert len(retried) <= (3 if connections["hub"].vendor == "postgresql" else 4), "\n".join(retried)
    assert Delivery.objects.using("hub").count() == 1
    other = factories.document(tmp_path / "e.edxml", from_code=H53, to=[STT], attachment=20_000, number=2)
    again = Statements()
    with connections["hub"].execute_wrapper(again):
        client.send_edoc(other, from_code=H53, to=[STT])
    work = [s for s in again.sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'DELETE FROM "hub_seen'))]
    assert len(work) <= (5 if connections["hub"].vendor == "postgresql" else 9), "\n".join(work)


def test_a_download_and_an_acknowledgement_read_the_delivery_in_one_statement(agencies, connect, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from vpdt.hub.models import System
    from vpdt.hub.services import Caller, _own_delivery

    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], attachment=20_000)
    connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    receiver = connect(*agencies[STT])
    (item,) = receiver.get_received_edoc_list()
    postgres = connections["hub"].vendor == "postgresql"
    for call in (lambda: receiver.get_edoc(item["docId"], tmp_path / "o"),
                 lambda: receiver.update_status(item["docId"], "done")):
        seen = Statements()
        with connections["hub"].execute_wrapper(seen):
            call()
        work = [s for s in seen.sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'DELETE FROM "hub_seen'))]
        # caller (system + signature: one statement on PostgreSQL), the delivery with its
        # package's hash, log head, the delivery's UPDATE, log entry + head (one on PostgreSQL)
        assert len(work) <= (5 if postgres else 7), "\n".join(work)
    row = Delivery.objects.using("hub").select_related("package").get(doc_id=item["docId"])
    now = timezone.now()
    for stamp in (row.fetched_at, row.done_at):  # written by SQL, read by the ORM as it writes them
        assert timezone.is_aware(stamp) and now - timedelta(minutes=1) < stamp <= now
    assert row.state == Delivery.DONE
    # what the SQL lookup loads is the row as the ORM reads it
    found = _own_delivery(Caller(System.objects.using("hub").get(pk=row.holder_id), None), item["docId"])
    for name in ("id", "doc_id", "state", "fetched_at", "from_code", "to_code", "message_type", "package_id"):
        assert getattr(found, name) == getattr(row, name), name
    assert found.package.sha256 == row.package.sha256
    assert found.done_at == row.done_at  # a field not loaded loads on access


@pytest.mark.parametrize("message_type", ["edoc", "status", None])
def test_a_poll_lists_what_the_orm_lists(agencies, connect, tmp_path, settings, message_type):
    """getReceivedEdocList's lookup (SQL) gives the deliveries, order, limit and fields of the
    ORM's query it replaced."""
    from vpdt.hub.models import System
    from vpdt.hub.services import Caller, received

    sender = connect(*agencies[H53])
    for n in range(4):
        sender.send_edoc(factories.document(tmp_path / f"d{n}.edxml", from_code=H53, to=[STT], number=n + 1),
                         from_code=H53, to=[STT])
    sender.send_edoc(factories.status(tmp_path / "s.edxml", from_code=H53, about_from=STT), from_code=H53, to=[STT],
                     message_type="status")
    receiver = connect(*agencies[STT])
    first = receiver.get_received_edoc_list()[0]["docId"]
    receiver.update_status(first, "done")  # no longer waiting
    settings.HUB_LIST_LIMIT = 3
    holder = Delivery.objects.using("hub").get(doc_id=first).holder
    query = Delivery.objects.using("hub").filter(holder=holder, state__in=[Delivery.PENDING, Delivery.PROCESSING])
    if message_type:
        query = query.filter(message_type=message_type)
    expected = list(query.order_by("id")[:3])
    got = received(Caller(System.objects.using("hub").get(pk=holder.pk), None), message_type)
    assert [d.pk for d in got] == [d.pk for d in expected] and got
    for a, b in zip(got, expected, strict=True):
        for name in ("doc_id", "message_type", "from_code", "to_code", "state", "created_at", "updated_at"):
            assert getattr(a, name) == getattr(b, name), name
        assert a.holder_id == b.holder_id  # a field not loaded loads on access

"""fastsql writes the same rows as the ORM's create()/bulk_create() (defaults, timestamps, keys)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from vpdt.hub.models import Delivery, LogEntry, Package, SeenRequest, Submission
from vpdt.hub.services import fastsql

pytestmark = pytest.mark.django_db(databases=["default", "hub"])

LATER = datetime(2030, 1, 1, tzinfo=UTC)
COLUMNS = ["size", "message_type", "from_code", "document_id", "business_type", "status_code", "subject",
           "notation", "purged_at"]


@pytest.mark.backends
def test_insert_writes_what_create_writes():
    fields = dict(size=140000, message_type="edoc", from_code="000.00.00.H53", document_id="d-1",
                  business_type=0, subject="Văn bản thử", notation="1/UBND-VP")
    orm = Package.objects.using("hub").create(sha256="a" * 64, **fields)
    fast = fastsql.insert(Package(sha256="b" * 64, **fields))
    assert fast.pk and fast.pk != orm.pk and not fast._state.adding and fast._state.db == "hub"
    stored = Package.objects.using("hub").get(pk=fast.pk)
    assert [getattr(stored, c) for c in COLUMNS] == [getattr(Package.objects.using("hub").get(pk=orm.pk), c)
                                                   for c in COLUMNS]
    assert stored.created_at is not None and stored.created_at == fast.created_at  # auto_now_add set as save() does
    sub = fastsql.insert(Submission(doc_id="s1", package=fastsql.existing(Package, fast.pk), from_code="X"))
    delivery = fastsql.insert(Delivery(doc_id="d1", submission=sub, package=stored, message_type="edoc",
                                       from_code="X", to_code="Y", route=Delivery.LOCAL, dedupe_key="k"))
    row = Delivery.objects.using("hub").get(pk=delivery.pk)
    assert (row.state, row.attempts, row.submission.doc_id, row.package_id) == (
        Delivery.PENDING, 0, "s1", fast.pk)
    assert row.updated_at is not None and row.created_at is not None


@pytest.mark.backends
def test_insert_many_sets_keys_in_order_and_unique_keys_still_hold():
    entries = [LogEntry(seq=900 + i, at="2026-11-30T00:00:00", action="accepted", prev_hash="0" * 64,
                        entry_hash=str(i) * 64) for i in range(3)]
    fastsql.insert_many(entries)
    assert [LogEntry.objects.using("hub").get(pk=e.pk).seq for e in entries] == [900, 901, 902]
    fastsql.insert(SeenRequest(signature="f" * 64, system_id="s", expires_at=LATER))
    with pytest.raises(IntegrityError), transaction.atomic(using="hub"):
        fastsql.insert(SeenRequest(signature="f" * 64, system_id="s", expires_at=LATER))


@pytest.mark.backends
def test_insert_unless_present_inserts_once_and_answers_whether_it_did():
    first = SeenRequest(signature="e" * 64, system_id="s", expires_at=LATER)
    assert fastsql.insert_unless_present(first, "signature") is True
    assert first.pk and not first._state.adding
    again = SeenRequest(signature="e" * 64, system_id="other", expires_at=LATER)
    assert fastsql.insert_unless_present(again, "signature") is False  # no error, nothing written
    assert again.pk is None
    assert list(SeenRequest.objects.using("hub").filter(signature="e" * 64).values_list("system_id", flat=True)) == ["s"]
    # inside a transaction the refusal does not spoil it (no IntegrityError to roll back)
    with transaction.atomic(using="hub"):
        assert fastsql.insert_unless_present(SeenRequest(signature="e" * 64, system_id="t", expires_at=LATER),
                                             "signature") is False
        assert SeenRequest.objects.using("hub").count() == 1


@pytest.mark.backends
def test_insert_unless_present_and_select_inserts_once_and_reads_the_row_in_the_same_statement():
    from django.db import connections

    if connections["hub"].vendor != "postgresql":
        with pytest.raises(NotImplementedError):
            fastsql.insert_unless_present_and_select(SeenRequest(signature="9" * 64, system_id="s",
                                                                 expires_at=LATER), "signature", "SELECT 1", [])
        return
    select = "SELECT signature, system_id FROM hub_seenrequest WHERE signature = %s"
    first = SeenRequest(signature="9" * 64, system_id="s", expires_at=LATER)
    # the SELECT sees the table as it was before the statement: the row is not there yet
    assert fastsql.insert_unless_present_and_select(first, "signature", select, ["9" * 64]) == (True, None)
    assert first.pk and not first._state.adding
    again = SeenRequest(signature="9" * 64, system_id="other", expires_at=LATER)
    assert fastsql.insert_unless_present_and_select(again, "signature", select, ["9" * 64]) == (False, ("9" * 64, "s"))
    assert again.pk is None and SeenRequest.objects.using("hub").filter(signature="9" * 64).count() == 1


class _Count:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


@pytest.mark.backends
def test_insert_linked_writes_rows_pointing_at_each_other_in_one_statement_on_postgresql():
    from django.db import connections

    pkg = Package(sha256="c" * 64, size=10, message_type="edoc", from_code="X", document_id="d-2")
    sub = Submission(doc_id="s2", package=pkg, from_code="X")
    deliveries = [Delivery(doc_id=f"d2{i}", submission=sub, package=pkg, message_type="edoc", from_code="X",
                           to_code=f"Y{i}", route=Delivery.LOCAL, dedupe_key=f"k2{i}") for i in range(2)]
    count = _Count()
    with connections["hub"].execute_wrapper(count):
        fastsql.insert_linked([pkg, sub, *deliveries])
    assert count.n == (1 if connections["hub"].vendor == "postgresql" else 4)
    assert pkg.pk and sub.pk and all(d.pk for d in deliveries)
    assert sub.package_id == pkg.pk and sub.package is pkg  # the instance is kept, not reloaded
    for i, d in enumerate(deliveries):
        row = Delivery.objects.using("hub").get(pk=d.pk)
        assert (row.submission_id, row.package_id, row.to_code, row.state) == (sub.pk, pkg.pk, f"Y{i}",
                                                                               Delivery.PENDING)
        assert d.submission is sub and not d._state.adding
    assert Submission.objects.using("hub").get(pk=sub.pk).created_at == sub.created_at
    # a package stored earlier is a plain key, not linked
    again = Submission(doc_id="s3", package=fastsql.existing(Package, pkg.pk), from_code="X")
    fastsql.insert_linked([again])
    assert Submission.objects.using("hub").get(pk=again.pk).package_id == pkg.pk


def test_insert_linked_refuses_a_link_to_an_object_not_in_the_list():
    loose = Package(sha256="d" * 64, size=1, message_type="edoc", from_code="X")
    with pytest.raises(ValueError, match="unsaved"):
        fastsql.insert_linked([Submission(doc_id="s4", package=loose, from_code="X")])


@pytest.mark.backends
def test_insert_many_then_runs_the_update_after_the_rows():
    from django.db import connections

    from vpdt.hub.models import LogHead

    LogHead.objects.using("hub").update_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    entries = [LogEntry(seq=700 + i, at="2026-12-01T00:00:00", action="accepted", prev_hash="0" * 64,
                        entry_hash=f"{i}" * 64) for i in range(2)]
    count = _Count()
    with connections["hub"].execute_wrapper(count):
        fastsql.insert_many(entries, then=('UPDATE "hub_loghead" SET seq = %s, hash = %s WHERE id = 1',
                                           [701, "1" * 64]))
    assert count.n == (1 if connections["hub"].vendor == "postgresql" else 2)
    assert [LogEntry.objects.using("hub").get(pk=e.pk).seq for e in entries] == [700, 701]
    head = LogHead.objects.using("hub").get(pk=1)
    assert (head.seq, head.hash) == (701, "1" * 64)

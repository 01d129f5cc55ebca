"""`audit.deferred()`: the entries of a block are appended to the chain at its end (the head
is not taken before), in the order recorded, except those whose savepoint rolled back; the
chain verifies. A release writes its package before taking the head."""

import pytest
from django.db import transaction

from tests import factories
from vpdt.core import audit
from vpdt.core.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def anchors(settings, tmp_path):
    settings.VPDT_AUDIT_ANCHOR_DIR = str(tmp_path / "audit")


def _actions(since: int) -> list[str]:
    return list(AuditEntry.objects.filter(pk__gt=since).order_by("seq").values_list("action", flat=True))


def _last() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_entries_are_appended_at_the_end_in_order_and_the_chain_verifies(monkeypatch):
    agency = factories.agency()
    audit.record("test.before", agency)
    since, taken = _last(), []
    append = audit._append_many
    monkeypatch.setattr(audit, "_append_many", lambda many: taken.append("head") or append(many))
    with transaction.atomic():
        with audit.deferred():
            first = audit.record("test.one", agency, detail={"n": 1})
            with transaction.atomic():  # a savepoint that holds: its entry stays
                audit.record("test.two", agency)
            assert taken == [] and _actions(since) == []  # nothing appended, the head not taken
            assert first.pk is None and first.action == "test.one"
            audit.record("test.three", agency)
        assert taken == ["head"]  # taken once for the block's three entries
        assert _actions(since) == ["test.one", "test.two", "test.three"]
    seqs = list(AuditEntry.objects.filter(pk__gt=since).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + 3)) and AuditHead.objects.get(pk=1).seq == seqs[-1]
    assert audit.verify(anchors=False).ok


def test_an_entry_of_a_savepoint_rolled_back_is_not_appended():
    agency = factories.agency()
    since = _last()
    with transaction.atomic(), audit.deferred():
        audit.record("test.kept", agency)
        try:
            with transaction.atomic():
                audit.record("test.undone", agency)
                raise ValueError("the change is undone")
        except ValueError:
            pass
        audit.record("test.after", agency)
    assert _actions(since) == ["test.kept", "test.after"]
    assert audit.verify(anchors=False).ok


def test_an_error_caught_inside_the_transaction_keeps_the_entries_of_what_was_done():
    agency = factories.agency()
    since = _last()
    with transaction.atomic():
        try:
            with audit.deferred():
                audit.record("test.done", agency)
                raise ValueError("after the change")
        except ValueError:
            pass
    assert _actions(since) == ["test.done"]


def test_nested_blocks_append_once_at_the_outer_end():
    agency = factories.agency()
    since = _last()
    with transaction.atomic(), audit.deferred():
        with audit.deferred():
            audit.record("test.inner", agency)
        assert _actions(since) == []
    assert _actions(since) == ["test.inner"]


def test_a_block_s_entries_are_written_together_and_chain_one_after_another(monkeypatch):
    """Five entries in batches of two: the same chain as five
    appends one by one, every entry numbered and linked to the one before."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agency = factories.agency()
    audit.record("test.before", agency)
    since = _last()
    monkeypatch.setattr(audit, "_BATCH", 2)
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), audit.deferred():
        for n in range(5):
            audit.record(f"test.n{n}", agency, detail={"n": n})
    assert _actions(since) == [f"test.n{n}" for n in range(5)]
    rows = list(AuditEntry.objects.filter(pk__gt=since - 1).order_by("seq").values_list("seq", "prev_hash", "entry_hash"))
    for (seq, _prev, hash_), (next_seq, next_prev, _hash) in zip(rows, rows[1:], strict=False):
        assert (next_seq, next_prev) == (seq + 1, hash_)
    assert (AuditHead.objects.get(pk=1).seq, AuditHead.objects.get(pk=1).hash) == rows[-1][::2]
    writes = [q["sql"] for q in queries.captured_queries if "auditentry" in q["sql"].lower() or "audithead" in q["sql"].lower()]
    if connection.vendor == "postgresql":  # one statement per batch, each taking the head as it writes
        assert len(writes) == 3, writes
    assert audit.verify(anchors=False).ok


def test_entries_appended_together_come_back_saved_with_their_ids():
    agency = factories.agency()
    with transaction.atomic():
        entries = audit._append_many([dict(action=f"test.m{n}", agency_code=agency.code, detail={}) for n in range(3)])
    assert [e.pk for e in entries] == list(AuditEntry.objects.filter(action__startswith="test.m").order_by("seq")
                                           .values_list("pk", flat=True))
    assert all(not e._state.adding for e in entries)
    assert entries[1].prev_hash == entries[0].entry_hash

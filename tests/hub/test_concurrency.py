"""Group commit of hub writes and concurrent senders: one chain, durable answers, no duplicates."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib

import pytest

from vpdt.hub import services
from vpdt.hub.models import LogEntry

from . import factories
from .conftest import H53, STT, XA
from .procs import HubProcess

pytestmark = pytest.mark.django_db(databases=["default", "hub"])


def test_a_failing_unit_rolls_back_alone_and_the_chain_stays_whole(agencies):
    before = LogEntry.objects.using("hub").count()

    def ok(name):
        def unit(w):
            w.log("registered", detail=name)
            return name
        return unit

    def broken(w):
        w.log("registered", detail="broken")
        LogEntry.objects.using("hub").create(seq=1, at="", action="x", prev_hash="", entry_hash="")  # seq taken
        return "never"

    batch = [services._Unit(ok("a")), services._Unit(broken), services._Unit(ok("b"))]
    services._run_batch(batch)
    assert [u.done for u in batch] == [True, True, True]
    assert (batch[0].result, batch[2].result) == ("a", "b")
    assert batch[1].error is not None and batch[1].result is None
    details = list(LogEntry.objects.using("hub").filter(seq__gt=before).values_list("detail", flat=True))
    assert details == ["a", "b"]
    assert services.verify_log().ok


def test_a_batch_without_failures_runs_together_without_a_savepoint_per_unit(agencies):
    from django.db import connections

    before = LogEntry.objects.using("hub").count()
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    batch = [services._Unit(lambda w, i=i: w.log("registered", detail=str(i)) or i) for i in range(5)]
    with connections["hub"].execute_wrapper(record):
        services._run_batch(batch)
    assert [u.result for u in batch] == [0, 1, 2, 3, 4] and all(u.error is None for u in batch)
    # at most the one of write() itself (the test runs inside a transaction), none per unit
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) <= 1
    details = list(LogEntry.objects.using("hub").filter(seq__gt=before).values_list("detail", flat=True))
    assert details == ["0", "1", "2", "3", "4"]
    assert services.verify_log().ok


def test_commit_failure_fails_every_unit_of_the_batch(agencies, monkeypatch):
    before = LogEntry.objects.using("hub").count()

    def boom(self):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(services._Writer, "flush", boom)
    batch = [services._Unit(lambda w: w.log("registered")) for _ in range(3)]
    services._run_batch(batch)
    assert all(isinstance(u.error, RuntimeError) for u in batch)
    assert LogEntry.objects.using("hub").count() == before


def _queue_after_a_stale_check(path, receivers, existing):
    """Accept as if another request committed between the duplicate check (`existing`, what it
    found) and the write: nothing is read under the lock, the unique constraints decide."""
    import importlib
    import io

    accept = importlib.import_module("vpdt.hub.services.accept")  # the module (services.accept is its function)
    data = path.read_bytes()
    incoming = services.receive_body(io.BytesIO(data).read, len(data), None)
    package = accept._read_edxml(incoming.path)
    return accept._queue(incoming, package, "edoc", H53, receivers, system=None, existing=existing)


@pytest.mark.backends
def test_a_receiver_queued_by_a_concurrent_request_is_answered_as_a_retry(agencies, connect, tmp_path):
    from vpdt.hub.models import Delivery

    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT])
    first = connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    late = _queue_after_a_stale_check(pkg, [STT], existing=[None])  # its check saw nothing yet
    assert late.duplicate and late.doc_id == first
    assert Delivery.objects.using("hub").count() == 1
    assert services.verify_log().ok


@pytest.mark.backends
def test_a_concurrent_request_that_queued_one_receiver_leaves_the_others_to_this_one(agencies, connect, tmp_path):
    from vpdt.hub.models import Delivery, Package

    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, XA])
    first = connect(*agencies[H53]).send_edoc(pkg, from_code=H53, to=[STT])
    late = _queue_after_a_stale_check(pkg, [STT, XA], existing=[None, None])
    assert not late.duplicate and late.doc_id != first
    assert sorted(d.to_code for d in late.deliveries) == sorted([STT, XA])
    assert Delivery.objects.using("hub").filter(to_code=STT).count() == 1
    assert Delivery.objects.using("hub").filter(to_code=XA, submission__doc_id=late.doc_id).count() == 1
    assert Package.objects.using("hub").count() == 1  # the same bytes: one package row
    assert services.verify_log().ok


@pytest.mark.parametrize("workers", [1, 2])
def test_concurrent_senders_and_retries_through_a_real_hub(tmp_path, workers):
    hub = HubProcess(f"conc{workers}", tmp_path)
    hub.run("add-agency", H53, "UBND", "--system-id", "s", "--secret", "s")
    hub.run("add-agency", STT, "STT", "--system-id", "r", "--secret", "r")
    hub.start("--threads", "8", "--workers", str(workers))
    try:
        packages = [factories.document(tmp_path / f"p{i}.edxml", from_code=H53, to=[STT], number=i, attachment=2000)
                    for i in range(30)]
        jobs = packages + packages[:10]  # ten sent twice, concurrently
        clients = [hub.client("s", "s") for _ in range(8)]
        with cf.ThreadPoolExecutor(8) as pool:
            doc_ids = list(pool.map(lambda ip: clients[ip[0] % 8].send_edoc(ip[1], from_code=H53, to=[STT]),
                                    enumerate(jobs)))
        assert doc_ids[:10] == doc_ids[30:]  # a retry gets the same DocId
        assert len(set(doc_ids)) == 30
        receiver = hub.client("r", "r")
        items = receiver.get_received_edoc_list()
        assert len(items) == 30
        got = set()
        for item in items:
            got.add(receiver.download_edoc(item["docId"], tmp_path / "in.edxml"))
            receiver.update_status(item["docId"], "done")
        assert got == {hashlib.sha256(p.read_bytes()).hexdigest() for p in packages}
        assert receiver.get_received_edoc_list() == []
        assert "OK" in hub.run("verify-log")
        for c in [*clients, receiver]:
            c.close()
    finally:
        hub.stop()

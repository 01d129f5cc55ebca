"""A hub write alone in its batch, on PostgreSQL, is one statement: an accept, a download's first
fetch, an acknowledgement. The rows, the answers and the message log are the ones the write
transaction makes (`fn`), and the chain verifies with Python's hashes.

These tests run outside a test transaction (`transaction=True`): inside one, the hub keeps its
write transaction (a statement cannot be its own transaction there)."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib

import pytest
from django.db import connections

from tests.hub import factories
from tests.hub.conftest import H53, STT, XA
from tests.hub.test_sdk_ops import _status
from vpdt.hub import services
from vpdt.hub.models import Delivery, LogEntry, Package, Submission, System

pytestmark = pytest.mark.django_db(databases=["default", "hub"], transaction=True)

UNKNOWN = "000.99.99.H53"


@pytest.fixture(autouse=True)
def _postgresql_hub():
    if connections["hub"].vendor != "postgresql":
        pytest.skip("one statement for a write alone is PostgreSQL's (SQLite runs the write transaction)")


@pytest.fixture
def statements():
    """The hub database's statements made inside `with statements() as made:`."""
    import contextlib

    @contextlib.contextmanager
    def watch():
        made: list[str] = []

        def record(execute, sql, params, many, context):
            made.append(sql)
            return execute(sql, params, many, context)

        with connections["hub"].execute_wrapper(record):
            yield made

    return watch


def _after(seq: int) -> list[tuple]:
    return [(e.action, e.doc_id, e.from_code, e.to_code, e.system_id, e.detail)
            for e in LogEntry.objects.using("hub").filter(seq__gt=seq).order_by("seq")]


def _head() -> int:
    return LogEntry.objects.using("hub").count()


def _writes(made: list[str]) -> list[str]:
    """The statements that write, but the caller's signature remembered (every request's)."""
    return [sql for sql in made if ("INSERT" in sql or "UPDATE" in sql) and "hub_seenrequest" not in sql]


def test_an_accept_a_first_download_and_an_acknowledgement_are_one_write_statement_each(
        agencies, connect, tmp_path, statements):
    sender, receiver = connect(*agencies[H53]), connect(*agencies[STT])
    sender.send_edoc(factories.document(tmp_path / "first.edxml", from_code=H53, to=[STT], number=1),
                     from_code=H53, to=[STT])  # a first write (the write transaction) made the log head
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], number=2, attachment=500)
    before = _head()
    with statements() as sent:
        doc_id = sender.send_edoc(pkg, from_code=H53, to=[STT])
    [item] = [i for i in receiver.get_received_edoc_list() if i["from"] == H53 and i["docId"] != ""][-1:]
    with statements() as fetched:
        receiver.download_edoc(item["docId"], tmp_path / "in.edxml")
    with statements() as again:
        receiver.download_edoc(item["docId"], tmp_path / "again.edxml")  # fetched before: nothing to log
    with statements() as acked:
        receiver.update_status(item["docId"], "done")
    # reads (the caller and its signature, the retry check), then the one write, last; a
    # download or an acknowledgement reads its delivery in the caller's statement, then writes
    [write] = _writes(sent)
    assert write == sent[-1] and all(table in write for table in ("hub_package", "hub_logentry", "hub_loghead"))
    for made in (fetched, acked):
        assert len(made) == 2 and _writes(made) == made[-1:] and "hub_logentry" in made[-1]
        assert all(table in made[0] for table in ("hub_seenrequest", "hub_system", "hub_delivery"))
    assert len(again) == 1 and not _writes(again)
    submission = Submission.objects.using("hub").get(doc_id=doc_id)
    delivery = Delivery.objects.using("hub").get(submission=submission)
    assert delivery.doc_id == item["docId"] and delivery.state == Delivery.DONE and delivery.fetched_at
    assert delivery.package.sha256 == hashlib.sha256(pkg.read_bytes()).hexdigest() == submission.package.sha256
    assert _after(before) == [
        (LogEntry.ACCEPTED, item["docId"], H53, STT, "sys.h53", "edoc route=local"),
        (LogEntry.DELIVERED, item["docId"], H53, STT, "sys.stt", ""),
        (LogEntry.ACKNOWLEDGED, item["docId"], H53, STT, "sys.stt", "done")]
    assert services.verify_log().ok


def test_an_accept_with_an_unknown_receiver_chains_both_entries_in_one_statement(agencies, connect, tmp_path,
                                                                                  statements):
    sender = connect(*agencies[H53])
    sender.send_edoc(factories.document(tmp_path / "first.edxml", from_code=H53, to=[XA], number=1),
                     from_code=H53, to=[XA])
    before = _head()
    with statements() as sent:
        sender.send_edoc(factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, UNKNOWN], number=2),
                         from_code=H53, to=[STT, UNKNOWN])
    assert len(_writes(sent)) == 1
    log = _after(before)
    assert [(action, to) for action, _, _, to, _, _ in log] == [(LogEntry.ACCEPTED, STT), (LogEntry.REFUSED, UNKNOWN)]
    refused = Delivery.objects.using("hub").get(to_code=UNKNOWN)
    assert refused.state == Delivery.FAIL and refused.route == Delivery.REFUSED and refused.error_code
    assert services.verify_log().ok


def test_a_status_is_noted_on_the_document_it_is_about_in_the_same_statement(agencies, connect, tmp_path,
                                                                             statements):
    sender = connect(*agencies[H53])
    doc_id = sender.send_edoc(factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT, XA], number=5),
                              from_code=H53, to=[STT, XA])
    stt, xa = connect(*agencies[STT]), connect(*agencies[XA])
    with statements() as sent:
        stt.send_edoc(_status(tmp_path / "s3.edxml", from_code=STT, about_from=H53, number=5, code="05",
                              stamp="2026/11/22 09:00:00"), from_code=STT, to=H53, message_type="status")
    [write] = _writes(sent)
    assert "receive_status" in write and "hub_logentry" in write
    stt.send_edoc(_status(tmp_path / "s1.edxml", from_code=STT, about_from=H53, number=5, code="03",
                          stamp="2026/11/22 08:00:00"), from_code=STT, to=H53, message_type="status")  # older
    xa.send_edoc(_status(tmp_path / "x.edxml", from_code=XA, about_from=H53, number=5, code="06",
                         stamp="2026/11/22 10:00:00"), from_code=XA, to=H53, message_type="status")
    rows = {r["toCode"]: r for r in sender.get_sent_edoc_list(doc_id)}
    assert (rows[STT]["receiveStatus"], rows[XA]["receiveStatus"]) == ("05", "06")
    assert services.verify_log().ok


def test_the_same_package_sent_again_is_answered_as_a_retry_and_a_concurrent_one_too(agencies, connect, tmp_path):
    sender = connect(*agencies[H53])
    pkg = factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], number=3)
    first = sender.send_edoc(pkg, from_code=H53, to=[STT])
    assert sender.send_edoc(pkg, from_code=H53, to=[STT]) == first
    from tests.hub.test_concurrency import _queue_after_a_stale_check

    late = _queue_after_a_stale_check(pkg, [STT], existing=[None])  # its check saw nothing: the index decides
    assert late.duplicate and late.doc_id == first
    assert Delivery.objects.using("hub").count() == 1 and Package.objects.using("hub").count() == 1
    assert services.verify_log().ok


def test_sends_downloads_and_acknowledgements_from_many_threads_keep_one_chain(agencies, connect, tmp_path):
    senders = [connect(*agencies[H53]) for _ in range(4)]
    packages = [factories.document(tmp_path / f"p{i}.edxml", from_code=H53, to=[STT], number=i) for i in range(24)]
    before = _head()

    def send(i):
        try:
            return senders[i % 4].send_edoc(packages[i], from_code=H53, to=[STT])
        finally:
            connections.close_all()

    with cf.ThreadPoolExecutor(4) as pool:
        assert len(set(pool.map(send, range(24)))) == 24
    caller = services.Caller(System.objects.using("hub").get(system_id="sys.stt"), None)

    def take(doc_id):
        try:
            _, fh = services.open_delivery(caller, doc_id)
            fh.close()
            services.acknowledge(caller, doc_id, "done")
        finally:
            connections.close_all()

    with cf.ThreadPoolExecutor(6) as pool:
        list(pool.map(take, Delivery.objects.using("hub").values_list("doc_id", flat=True)))
    assert LogEntry.objects.using("hub").filter(seq__gt=before).count() == 72
    assert set(Delivery.objects.using("hub").values_list("state", flat=True)) == {Delivery.DONE}
    assert services.verify_log().ok


def test_a_delivery_read_with_the_caller_is_the_callers_own_and_refusals_come_first(agencies, connect, tmp_path,
                                                                                     statements):
    """A download or an acknowledgement reads its delivery in authentication's statement: another
    system's docId is not found, a replayed call is refused as a replay though its delivery
    exists, a deactivated system as unknown, and nothing is written for any of them."""
    from tests.hub.test_replay import post, signed
    from vpdt.hub.models import SeenRequest
    from vpdt.vxp import protocol as vxp
    from vpdt.vxp.client import VxpRemoteError

    sender, receiver, other = connect(*agencies[H53]), connect(*agencies[STT]), connect(*agencies[XA])
    sender.send_edoc(factories.document(tmp_path / "d.edxml", from_code=H53, to=[STT], number=3),
                     from_code=H53, to=[STT])
    [item] = receiver.get_received_edoc_list()
    other.count_receive_edoc()  # known to this process: the one-statement authentication from now on
    before = _head()
    with statements() as made, pytest.raises(VxpRemoteError) as not_found:
        other.download_edoc(item["docId"], tmp_path / "stolen.edxml")
    assert not_found.value.code == vxp.NOT_FOUND.code and not (tmp_path / "stolen.edxml").exists()
    # the caller with the delivery asked, then the refusal recorded for the operator (services.guard)
    assert len(made) == 2 and "hub_delivery" in made[0] and "hub_refusedrequest" in made[1]
    with pytest.raises(VxpRemoteError) as not_found:
        other.update_status(item["docId"], "done")
    assert not_found.value.code == vxp.NOT_FOUND.code

    headers = signed(agencies[STT], {"docId": item["docId"], "status": "processing"})
    assert post(receiver, "updateStatus", headers)["status"] == "OK"
    assert post(receiver, "updateStatus", headers)["ErrorCode"] == vxp.REPLAYED.code
    assert Delivery.objects.using("hub").get(doc_id=item["docId"]).state == Delivery.PROCESSING

    System.objects.using("hub").filter(system_id=agencies[STT][0]).update(active=False)
    seen = SeenRequest.objects.using("hub").count()
    with pytest.raises(VxpRemoteError) as unknown:
        receiver.update_status(item["docId"], "done")
    assert unknown.value.code == vxp.UNKNOWN_SYSTEM.code
    assert Delivery.objects.using("hub").get(doc_id=item["docId"]).state == Delivery.PROCESSING
    assert SeenRequest.objects.using("hub").count() == seen + 1  # remembered, as every identified call
    assert [action for action, *_ in _after(before)] == ["status-processing"]

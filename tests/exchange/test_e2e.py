"""The e-office talks to real hubs over HTTP: `vpdt hub serve` processes, federation, crashes.

One multi-agency e-office (this test process, its test database) hosts the sender and
the receivers; each agency is its own system on the hub that serves its province. The
exchange's worker jobs run here, in the test's thread. Every test counts at the end:
each document delivered exactly once, each status arrived.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from django.db import transaction

from tests import factories
from tests.hub.procs import HubProcess, run_all
from vpdt.directory.roles import Role
from vpdt.exchange import inbox, outbox, services
from vpdt.exchange.models import InboxItem, StatusEvent
from vpdt.records import services as records
from vpdt.records.choices import DeliveryState, Direction, State
from vpdt.records.models import Document

from .conftest import make_agency, released

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]

S = "000.00.01.H90"  # sender, province hub P1 (Bình Sơn)
R1 = "000.00.02.H90"  # receiver in the same province
R2 = "000.00.00.H19"  # receiver in another province (P2)
R3 = "000.10.20.H19"  # a commune of that province
PROVINCES = {S: "p1", R1: "p1", R2: "p2", R3: "p2"}


@pytest.fixture
def env(settings, tmp_path, blob_dir):
    settings.DATA_DIR = tmp_path
    settings.EXCHANGE_RETRY_BASE_SECONDS = 0.2
    settings.EXCHANGE_RETRY_MAX_SECONDS = 1.0
    settings.EXCHANGE_HTTP_TIMEOUT_SECONDS = 10
    return tmp_path


@pytest.fixture
def federation(env, tmp_path):
    national, p1, p2 = HubProcess("national", tmp_path), HubProcess("p1", tmp_path), HubProcess("p2", tmp_path)
    hubs = {"national": national, "p1": p1, "p2": p2}
    # Each hub's registry in one process, the three side by side.
    plan = {national: [("add-downstream", "000.00.00.H90", "--system-id", "hub.h90", "--secret", "n-p1"),
                       ("add-downstream", "000.00.00.H19", "--system-id", "hub.h19", "--secret", "n-p2")],
            p1: [("set-upstream", national.url, "--system-id", "hub.h90", "--secret", "n-p1")],
            p2: [("set-upstream", national.url, "--system-id", "hub.h19", "--secret", "n-p2")]}
    for code, hub_name in PROVINCES.items():
        plan[hubs[hub_name]].append(("add-agency", code, f"Cơ quan {code}", "--system-id", f"sys.{code}",
                                     "--secret", f"secret-{code}"))
    run_all(plan)
    agencies = {}
    for code, hub_name in PROVINCES.items():
        agency = make_agency(code, f"Cơ quan {code}", endpoint=hubs[hub_name].url, hub_register=False)
        agencies[code] = (agency, factories.person(agency, Role.CLERK, Role.LEADER))
    for hub in hubs.values():
        hub.start()
    yield hubs, agencies
    for hub in hubs.values():
        hub.stop()
    for out in run_all({hub: [("verify-log",)] for hub in hubs.values()}):
        assert "OK" in out


def pump(predicate, timeout: float = 60.0):
    """Run the worker's jobs until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while True:
        outbox.send_pending()
        inbox.poll_all()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("exchange did not settle")
        time.sleep(0.1)


def copy_of(agency, document):
    return Document.objects.filter(agency=agency, direction=Direction.INCOMING,
                                   edxml_document_id=document.edxml_document_id).first()


def test_release_reaches_three_receivers_in_two_provinces_and_statuses_01_to_06_return(federation):
    _, agencies = federation
    sender, clerk = agencies[S]
    receivers = [agencies[c][0] for c in (R1, R2, R3)]
    doc = released(sender, clerk, receivers)
    pump(lambda: all(copy_of(r, doc) for r in receivers)
         and all(x.status_code == "01" for x in doc.recipients.all()))
    for code in (R1, R2, R3):
        agency, person = agencies[code]
        copy = copy_of(agency, doc)
        assert copy.state == State.RECEIVED and copy.attachments.count() == 1
        records.register_incoming(person, copy)
        with transaction.atomic():
            for state in (State.ASSIGNED, State.IN_PROGRESS, State.COMPLETED):
                records.set_state(copy, state, person, f"test.{state}")
    pump(lambda: all(x.state == DeliveryState.COMPLETED for x in doc.recipients.all()))
    for recipient in doc.recipients.all():
        codes = list(StatusEvent.objects.filter(recipient=recipient).order_by("id").values_list("status_code",
                                                                                              flat=True))
        assert sorted(codes) == ["01", "03", "04", "05", "06"], (recipient.organ_id, codes)
    # exactly once at each receiver
    for agency in receivers:
        assert Document.objects.filter(agency=agency, edxml_document_id=doc.edxml_document_id).count() == 1
        assert InboxItem.objects.filter(agency=agency, message_type="edoc").count() == 1


def test_revoke_update_replace_and_take_back_across_federation(federation):
    _, agencies = federation
    sender, clerk = agencies[S]
    r1, r2, r3 = (agencies[c][0] for c in (R1, R2, R3))
    docs = [released(sender, clerk, [r1, r2, r3], subject=f"Văn bản {i}") for i in range(3)]
    pump(lambda: all(copy_of(r, d) for r in (r1, r2, r3) for d in docs))

    # take-back (13) answered 15 by R1 and R3, 16 by R2
    services.request_take_back(clerk, docs[0], "Phát hành nhầm")
    pump(lambda: all(services.pending_take_back(copy_of(r, docs[0])) for r in (r1, r2, r3)))
    for code, accept in ((R1, True), (R2, False), (R3, True)):
        agency, person = agencies[code]
        services.answer_take_back(person, copy_of(agency, docs[0]), accept)
    pump(lambda: {x.organ_id: x.status_code for x in docs[0].recipients.all()} == {R1: "15", R2: "16", R3: "15"})
    assert [copy_of(r, docs[0]).state for r in (r1, r2, r3)] == [State.RECALLED, State.RECEIVED, State.RECALLED]

    # update (2)
    Document.objects.filter(pk=docs[1].pk).update(subject="Văn bản 1 (đã cập nhật)")
    docs[1].refresh_from_db()
    services.send_update(clerk, docs[1], "Sửa trích yếu")
    pump(lambda: all(copy_of(r, docs[1]).subject == "Văn bản 1 (đã cập nhật)" for r in (r1, r2, r3)))

    # revoke (1)
    with transaction.atomic():
        records.set_state(docs[1], State.RECALLED, clerk, "document.recall", {"reason": "Thu hồi"})
    pump(lambda: all(copy_of(r, docs[1]).state == State.RECALLED for r in (r1, r2, r3)))

    # replace (3)
    with transaction.atomic():
        records.set_state(docs[2], State.REPLACED, clerk, "document.replace", {"reason": "Thay thế"})
    pump(lambda: all(copy_of(r, docs[2]).state == State.REPLACED for r in (r1, r2, r3)))

    for r in (r1, r2, r3):
        assert Document.objects.filter(agency=r, direction=Direction.INCOMING).count() == 3


@pytest.fixture
def failures(monkeypatch):
    """Counts the times the exchange found a hub unreachable (proof that the kill landed)."""
    from vpdt.exchange import connections

    seen = []
    real = connections.failed

    def counting(connection, error):
        seen.append(error)
        return real(connection, error)

    monkeypatch.setattr(connections, "failed", counting)
    return seen


def _kill_and_restart(hub: HubProcess, after: float, down_for: float = 0.5) -> threading.Thread:
    def run():
        time.sleep(after)
        hub.kill()
        time.sleep(down_for)
        hub.start()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _count_exactly_once(docs, receiver):
    incoming = Document.objects.filter(agency=receiver, direction=Direction.INCOMING)
    assert incoming.count() == len(docs)
    assert sorted(incoming.values_list("edxml_document_id", flat=True)) == sorted(d.edxml_document_id for d in docs)
    assert InboxItem.objects.filter(agency=receiver, message_type="edoc", outcome=InboxItem.STORED).count() \
        == len(docs)
    for d in docs:
        assert StatusEvent.objects.filter(recipient__document=d, status_code="01").count() == 1


def test_hub_killed_during_send_each_document_delivered_once(federation, failures):
    hubs, agencies = federation
    sender, clerk = agencies[S]
    receiver = agencies[R2][0]  # across the federation
    docs = [released(sender, clerk, [receiver], attachment=factories.pdf_bytes(pad=50_000)) for _ in range(30)]
    # One at a time; the hub is killed once ten have gone, so that twenty are still to send
    # whatever the machine's speed (a kill after a fixed time missed them all on a fast one).
    killer = None
    deadline = time.monotonic() + 60
    for sent in itertools.count():
        if killer is None and sent == 10:
            killer = _kill_and_restart(hubs["p1"], after=0.0)
        if (killer is not None and not killer.is_alive()) or time.monotonic() > deadline:
            break
        outbox.send_pending(limit=1)
    killer.join()
    assert failures, "the hub was never seen down"
    pump(lambda: all(d.recipients.get().status_code == "01" for d in docs), timeout=90)
    _count_exactly_once(docs, receiver)


def test_hub_killed_during_fetch_each_document_delivered_once(federation, failures, monkeypatch):
    hubs, agencies = federation
    sender, clerk = agencies[S]
    receiver = agencies[R1][0]
    docs = [released(sender, clerk, [receiver], attachment=factories.pdf_bytes(pad=50_000)) for _ in range(30)]
    deadline = time.monotonic() + 60
    while not all(d.recipients.get().state == DeliveryState.SENT for d in docs):  # sent, none fetched yet
        assert time.monotonic() < deadline, "not all sent"
        outbox.send_pending()
    # The hub is killed once ten packages have been fetched, so that the poll is in the middle
    # of the list whatever the machine's speed.
    fetched, killer = [], []
    real = inbox._fetch_and_ingest

    def fetch(*args, **kwargs):
        fetched.append(1)
        if len(fetched) == 10 and not killer:
            killer.append(_kill_and_restart(hubs["p1"], after=0.0))
        return real(*args, **kwargs)

    monkeypatch.setattr(inbox, "_fetch_and_ingest", fetch)
    deadline = time.monotonic() + 60
    while (not killer or killer[0].is_alive()) and time.monotonic() < deadline:
        inbox.poll_all()
    assert killer, f"the poll fetched {len(fetched)} packages, the hub was not killed"
    killer[0].join()
    assert failures, "the hub was never seen down"
    pump(lambda: all(d.recipients.get().status_code == "01" for d in docs), timeout=90)
    _count_exactly_once(docs, receiver)

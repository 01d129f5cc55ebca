"""Province hub → national hub → province hub, with real processes, crashes and retries.

Each test starts `vpdt hub serve` processes, each with its own SQLite database and
data dir, and counts: every package delivered exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import time

import pytest

from tests.waiting import wait_until

from . import factories
from .procs import HubProcess, drain, retrying, run_all, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

C1 = "000.30.38.H53"  # UBND xã Phước Lưu, Tây Ninh (province hub P1)
A1 = "000.00.00.H53"  # UBND tỉnh Tây Ninh (P1)
C2 = "000.10.20.H19"  # a commune of Đồng Nai (province hub P2)
B2 = "000.00.00.H19"  # UBND tỉnh Đồng Nai (P2)
G22 = "000.00.00.G22"  # Văn phòng Chính phủ (national hub N)


@pytest.fixture
def federation(tmp_path):
    national, p1, p2 = HubProcess("national", tmp_path), HubProcess("p1", tmp_path), HubProcess("p2", tmp_path)
    # Each hub's registry in one process, the three side by side (a process per command cost
    # most of this fixture's time).
    run_all({
        national: [("add-downstream", "000.00.00.H53", "--system-id", "hub.h53", "--secret", "n-p1"),
                   ("add-downstream", "000.00.00.H19", "--system-id", "hub.h19", "--secret", "n-p2"),
                   ("add-agency", G22, "Văn phòng Chính phủ", "--system-id", "sys.g22", "--secret", "g22")],
        p1: [("add-agency", C1, "UBND xã Phước Lưu", "--system-id", "sys.c1", "--secret", "c1", "--parent", A1),
             ("add-agency", A1, "UBND tỉnh Tây Ninh", "--system-id", "sys.a1", "--secret", "a1"),
             ("set-upstream", national.url, "--system-id", "hub.h53", "--secret", "n-p1")],
        p2: [("add-agency", C2, "UBND xã X", "--system-id", "sys.c2", "--secret", "c2"),
             ("add-agency", B2, "UBND tỉnh Đồng Nai", "--system-id", "sys.b2", "--secret", "b2"),
             ("set-upstream", national.url, "--system-id", "hub.h19", "--secret", "n-p2")],
    })
    hubs = {"national": national.start(), "p1": p1.start(), "p2": p2.start()}
    yield hubs
    for hub in hubs.values():
        hub.stop()
    for out in run_all({hub: [("verify-log",)] for hub in hubs.values()}):
        assert "OK" in out


def test_document_reaches_three_receivers_in_two_provinces_and_status_returns(federation, tmp_path):
    p1, p2, national = federation["p1"], federation["p2"], federation["national"]
    pkg = factories.document(tmp_path / "d.edxml", from_code=C1, to=[C2, B2, G22], attachment=20_000)
    sender = p1.client("sys.c1", "c1")
    doc_id = sender.send_edoc(pkg, from_code=C1)
    rows = sender.get_sent_edoc_list(doc_id)
    assert {r["toCode"] for r in rows} == {C2, B2, G22}

    got = {}
    for hub, system, secret, code in ((p2, "sys.c2", "c2", C2), (p2, "sys.b2", "b2", B2),
                                      (national, "sys.g22", "g22", G22)):
        receiver = hub.client(system, secret)
        received: dict = {}
        wait_for(lambda r=receiver, rec=received, c=code: drain(r, tmp_path / c, rec) or len(rec) > 1, timeout=30)
        got[code] = received
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert all(r.get(sha) == 1 and len(r["_docids"]) == 1 for r in got.values())

    # the forwarder marks each upward leg as forwarded
    wait_for(lambda: {r["sendStatus"] for r in sender.get_sent_edoc_list(doc_id)} == {"forwarded"})

    # a status 01 back from the other province, through the national hub
    st = factories.status(tmp_path / "s.edxml", from_code=C2, about_from=C1, code="01")
    p2.client("sys.c2", "c2").send_edoc(st, from_code=C2, to=C1, message_type="status")
    statuses: dict = {}
    wait_for(lambda: drain(sender, tmp_path / "st", statuses, "status") or len(statuses) > 1, timeout=30)
    assert statuses.get(hashlib.sha256(st.read_bytes()).hexdigest()) == 1


def _hub_db(hub) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(hub.dir / "hub.sqlite3", timeout=30))


def end_leases(hubs) -> None:
    """A killed hub leaves the row it was forwarding leased for two minutes; end those leases
    now, as time would, so the forwarders push them again (the hub upstream must see the same
    package and make no second copy)."""
    for hub in hubs:
        with _hub_db(hub) as db, db:
            db.execute("UPDATE hub_delivery SET next_attempt_at = '2000-01-01 00:00:00' "
                       "WHERE route = 'upstream' AND state = 'pending'")


def settled(hubs) -> bool:
    """No delivery open on any hub: nothing is left that could still reach a receiver (each
    hub's forwarder stores a package before it acknowledges it upstream)."""
    for hub in hubs:
        with _hub_db(hub) as db:
            (open_,) = db.execute("SELECT count(*) FROM hub_delivery WHERE state IN ('pending', 'processing') "
                                  "AND route != 'refused'").fetchone()
        if open_:
            return False
    return True


def _send_all(hub, system, secret, packages, doc_ids):
    client = hub.client(system, secret)
    for pkg in packages:
        doc_ids.append(retrying(lambda p=pkg: client.send_edoc(p, from_code=C1, to=[C2]), attempts=600))


def test_province_hub_killed_during_send_delivers_each_once(federation, tmp_path):
    p1, p2 = federation["p1"], federation["p2"]
    packages = [factories.document(tmp_path / f"d{i}.edxml", from_code=C1, to=[C2], number=i, attachment=100_000)
                for i in range(40)]
    doc_ids: list = []
    sender = threading.Thread(target=_send_all, args=(p1, "sys.c1", "c1", packages, doc_ids))
    sender.start()
    wait_for(lambda: len(doc_ids) >= 5, timeout=30, pause=0.01)
    p1.kill()  # SIGKILL mid-stream: requests in flight are cut
    time.sleep(0.5)
    p1.start()
    sender.join(120)
    assert len(doc_ids) == len(packages)
    # the same package sent twice more after recovery changes nothing
    client = p1.client("sys.c1", "c1")
    assert client.send_edoc(packages[0], from_code=C1, to=[C2]) == doc_ids[0]

    receiver = p2.client("sys.c2", "c2")
    received: dict = {}
    expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in packages}
    # Drain until every package came and no hub holds an open delivery: a duplicate, had a
    # hub made one, would have reached the receiver by then.
    end_leases(federation.values())
    wait_until(lambda: drain(receiver, tmp_path / "in", received) is not None and expected <= set(received)
               and settled(federation.values()), timeout=90, interval=0.2,
               message="the packages did not all arrive, or a hub still holds an open delivery")
    drain(receiver, tmp_path / "in", received)
    assert {k: v for k, v in received.items() if k != "_docids"} == {sha: 1 for sha in expected}


def test_hub_killed_during_fetch_redelivers_until_acknowledged(federation, tmp_path):
    p1, p2, national = federation["p1"], federation["p2"], federation["national"]
    packages = [factories.document(tmp_path / f"d{i}.edxml", from_code=C1, to=[C2], number=i, attachment=100_000)
                for i in range(20)]
    client = p1.client("sys.c1", "c1")
    for pkg in packages:
        client.send_edoc(pkg, from_code=C1, to=[C2])
    national.kill()  # the national hub dies while P2 pulls from it
    time.sleep(0.5)
    national.start()
    receiver = p2.client("sys.c2", "c2")
    wait_for(lambda: receiver.count_receive_edoc() >= 10, timeout=60)
    received: dict = {}
    # the receiving agency fetches; its province hub is killed in the middle of that
    items = receiver.get_received_edoc_list()
    for n, item in enumerate(items):
        if n == 3:
            p2.kill()
            p2.start()
        retrying(lambda i=item: receiver.get_edoc(i["docId"], tmp_path / "x.edxml"))
        if n % 2 == 0:  # half of them acknowledged before the rest is drained
            retrying(lambda i=item: receiver.update_status(i["docId"], "done"))
            received.setdefault("_docids", set()).add(item["docId"])
            sha = hashlib.sha256((tmp_path / "x.edxml").read_bytes()).hexdigest()
            received[sha] = received.get(sha, 0) + 1
    expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in packages}
    # Drain until every package came and no hub holds an open delivery: a duplicate, had a
    # hub made one, would have reached the receiver by then.
    end_leases(federation.values())
    wait_until(lambda: drain(receiver, tmp_path / "in", received) is not None and expected <= set(received)
               and settled(federation.values()), timeout=90, interval=0.2,
               message="the packages did not all arrive, or a hub still holds an open delivery")
    drain(receiver, tmp_path / "in", received)
    assert {k: v for k, v in received.items() if k != "_docids"} == {sha: 1 for sha in expected}
    assert receiver.count_receive_edoc() == 0


def test_gunicorn_workers_run_the_federation_job_in_one_of_them(tmp_path):
    """`vpdt hub serve --workers 2` (gunicorn): one worker holds the job consumer; a package for
    the upper hub is forwarded (woken on commit), and again after that worker is killed."""
    import os
    import signal

    national, p1 = HubProcess("national", tmp_path), HubProcess("p1", tmp_path)
    national.run("add-downstream", "000.00.00.H53", "--system-id", "hub.h53", "--secret", "n-p1")
    national.run("add-agency", G22, "Văn phòng Chính phủ", "--system-id", "sys.g22", "--secret", "g22")
    p1.run("add-agency", C1, "UBND xã Phước Lưu", "--system-id", "sys.c1", "--secret", "c1", "--parent", A1)
    p1.run("set-upstream", national.url, "--system-id", "hub.h53", "--secret", "n-p1")
    national.start()
    p1.start("--workers", "2")
    try:
        sender, receiver = p1.client("sys.c1", "c1"), national.client("sys.g22", "g22")
        received: dict = {}
        for i in range(2):
            pkg = factories.document(tmp_path / f"g{i}.edxml", from_code=C1, to=[G22], number=i, attachment=5_000)
            sender.send_edoc(pkg, from_code=C1)
            sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
            wait_for(lambda s=sha: drain(receiver, tmp_path / "g22", received) or received.get(s), timeout=60)
            assert received[sha] == 1
            if i == 0:
                # kill the gunicorn workers (not the master): a new one takes the consumer over
                children = [int(p) for p in open(f"/proc/{p1.proc.pid}/task/{p1.proc.pid}/children").read().split()]
                assert len(children) == 2
                for pid in children:
                    os.kill(pid, signal.SIGKILL)
                wait_for(lambda: len(open(f"/proc/{p1.proc.pid}/task/{p1.proc.pid}/children").read().split()) == 2
                         and retrying(lambda: sender.get_sent_edoc_list() is not None), timeout=60)
    finally:
        p1.stop()
        national.stop()
    assert "OK" in p1.run("verify-log") and "OK" in national.run("verify-log")

"""The worker loop runs a job again at once while it finds work, and `wake` makes a job due now."""

from __future__ import annotations

import threading
import time

import pytest

from vpdt.core import worker


@pytest.fixture
def only_job(monkeypatch):
    monkeypatch.setattr(worker, "_jobs", {})
    return worker


def _run(stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, args=(stop,), kwargs={"tick": 0.05}, daemon=True)
    thread.start()
    return thread


def test_a_job_that_found_work_runs_again_at_once(only_job):
    calls = []
    backlog = [5]

    @worker.register("test.drain", interval=60.0)
    def drain():
        calls.append(time.monotonic())
        if backlog[0]:
            backlog[0] -= 1
            return 1
        return 0

    stop = threading.Event()
    thread = _run(stop)
    deadline = time.monotonic() + 5
    while len(calls) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    stop.set()
    thread.join(5)
    assert len(calls) == 6  # 5 with work, then one empty run, then the 60 s interval
    assert calls[-1] - calls[0] < 2


@pytest.mark.parametrize("result", [None, 0, True, "error", -1])
def test_an_idle_job_waits_its_interval(only_job, result):
    calls = []

    @worker.register("test.idle", interval=60.0)
    def idle():
        calls.append(1)
        return result

    stop = threading.Event()
    thread = _run(stop)
    time.sleep(0.3)
    stop.set()
    thread.join(5)
    assert calls == [1]


def test_wake_makes_a_job_due_now(only_job):
    calls = []

    @worker.register("test.woken", interval=60.0)
    def woken():
        calls.append(1)
        return 0

    stop = threading.Event()
    thread = _run(stop)
    time.sleep(0.2)
    assert calls == [1]
    worker.wake("test.woken")
    worker.wake("no.such.job")
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(5)
    assert calls == [1, 1]


@pytest.mark.django_db(databases=["default", "hub"], transaction=True)
def test_a_committed_outbox_message_wakes_the_send_job(province, monkeypatch):
    from tests.exchange.conftest import RECEIVER, SENDER, released

    woken = []
    monkeypatch.setattr(worker, "wake", woken.append)
    agency, clerk = province[SENDER]
    released(agency, clerk, [province[RECEIVER][0]])
    assert woken == ["exchange.send"]

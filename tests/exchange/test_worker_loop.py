"""The background jobs on Huey (vpdt.core.tasks): a job that found work runs again at once,
an idle one waits its interval, `wake` runs one now, and wake-ups never pile up."""

from __future__ import annotations

import time

import pytest
from huey.storage import MemoryStorage

from tests.waiting import wait_until
from vpdt.core import tasks


def wait_for(predicate, timeout: float = 10.0):
    return wait_until(predicate, timeout=timeout, interval=0.01)


@pytest.fixture
def only_jobs(monkeypatch):
    """An empty job registry and queue; the consumer (when started) stops at the end."""
    monkeypatch.setattr(tasks, "_jobs", {})
    monkeypatch.setattr(tasks.huey, "storage", MemoryStorage("test"))
    running = []
    yield running
    for consumer in running:
        consumer.stop(graceful=True)
    for job in tasks.jobs():
        job.task.unregister()


def _start(running):
    running.append(tasks.start_in_thread(workers=2))


def _next_run_in(name: str, *, moved: bool = False) -> float | None:
    """Seconds until the scheduled next run of job `name`, if one is scheduled (Huey queues a
    delayed task first; a consumer moves it to the schedule: `moved` waits for that)."""
    queued = [] if moved else tasks.huey.pending()
    etas = [t.eta for t in tasks.huey.scheduled() + queued if t.name == name and t.eta]
    if not etas:
        return None
    return (min(etas) - tasks.huey._get_timestamp()).total_seconds()


def _due_now(name: str) -> list:
    """The queued runs of job `name` that are due now (no eta): the wake-ups."""
    return [t for t in tasks.huey.pending() if t.name == name and not t.eta]


def test_a_job_that_found_work_runs_again_at_once(only_jobs):
    calls = []
    backlog = [5]

    @tasks.job("test.drain", every=60.0)
    def drain():
        calls.append(time.monotonic())
        if backlog[0]:
            backlog[0] -= 1
            return 1
        return 0

    _start(only_jobs)
    wait_for(lambda: len(calls) >= 6)
    # 5 runs with work, one empty run, then the next run is 60 s away
    next_run = wait_for(lambda: _next_run_in("test.drain", moved=True))
    assert 50 < next_run <= 60
    assert len(calls) == 6 and tasks.huey.pending_count() == 0
    assert calls[-1] - calls[0] < 2


@pytest.mark.parametrize("result", [None, 0, True, "error", -1])
def test_an_idle_job_waits_its_interval(only_jobs, result):
    calls = []

    @tasks.job("test.idle", every=60.0)
    def idle():
        calls.append(1)
        return result

    _start(only_jobs)
    wait_for(lambda: calls)
    next_run = wait_for(lambda: _next_run_in("test.idle", moved=True))
    assert 50 < next_run <= 60
    assert calls == [1] and tasks.huey.pending_count() == 0 and tasks.huey.scheduled_count() == 1


def test_a_failing_job_is_retried_by_huey_after_its_interval(only_jobs):
    calls = []

    @tasks.job("test.failing", every=30.0)
    def failing():
        calls.append(1)
        raise RuntimeError("boom")

    _start(only_jobs)
    wait_for(lambda: calls)
    retry = wait_for(lambda: [t for t in tasks.huey.scheduled() if t.name == "test.failing" and t.retries == 1])
    assert len(retry) == 1  # Huey's retry: two allowed, one left after it
    assert 20 < (retry[0].eta - tasks.huey._get_timestamp()).total_seconds() <= 30
    assert calls == [1]


def test_wake_makes_a_job_due_now(only_jobs):
    calls = []

    @tasks.job("test.woken", every=60.0)
    def woken():
        calls.append(1)
        return 0

    _start(only_jobs)
    wait_for(lambda: calls)
    wait_for(lambda: _next_run_in("test.woken"))
    assert calls == [1]
    tasks.wake("test.woken")
    tasks.wake("no.such.job")
    wait_for(lambda: len(calls) >= 2)
    assert calls == [1, 1]


def test_wake_ups_do_not_pile_up(only_jobs):
    calls = []

    @tasks.job("test.once", every=60.0)
    def once():
        calls.append(1)
        return 0

    for _ in range(50):
        tasks.wake("test.once")
    assert tasks.huey.pending_count() == 1  # one waiting run, whatever the number of wake-ups
    _start(only_jobs)
    wait_for(lambda: len(calls) >= 2)  # the fifty wake-ups' one run, and the consumer's start's
    wait_for(lambda: _next_run_in("test.once"))
    time.sleep(0.2)
    assert len(calls) == 2
    tasks.wake("test.once")  # taken: a new wake-up enqueues again
    tasks.wake("test.once")
    # At most one run due now (none if the consumer took it already). The next idle run (60 s
    # away) may still sit in the queue until the consumer's scheduler moves it to the
    # schedule: it has an eta and is not a wake-up.
    assert len(_due_now("test.once")) <= 1
    wait_for(lambda: len(calls) >= 3)


def test_a_lost_chain_is_restarted_by_the_periodic_kick(only_jobs):
    @tasks.job("test.chain", every=5.0)
    def chain():
        return 0

    assert _next_run_in("test.chain") is None
    tasks.kick.call_local()
    assert 0 < _next_run_in("test.chain") <= 5
    tasks.kick.call_local()  # a live chain: nothing more scheduled
    assert len([t for t in tasks.huey.pending() if t.name == "test.chain"]) == 1


def test_a_kick_landing_while_a_run_schedules_its_next_leaves_one_next_run(only_jobs, monkeypatch):
    """The per-minute kick and a run that just ended may schedule a job's next run at the same
    moment (the consumer's start enqueues both at once): one next run is scheduled, not two."""
    @tasks.job("test.raced", every=60.0)
    def raced():
        return 0

    job_ = tasks._jobs["test.raced"]
    storage = tasks.huey.storage
    other = []

    class Interleaved:
        """The storage, where the other caller runs to its end right after the first read or
        write of the key-value store: the worst interleaving of the two."""

        def __getattr__(self, name):
            attr = getattr(storage, name)
            if name in {"peek_data", "put_data", "put_if_empty", "pop_data"} and not other:
                def first(*args, **kwargs):
                    other.append(1)
                    result = attr(*args, **kwargs)
                    tasks._schedule_next(job_)
                    return result
                return first
            return attr

    monkeypatch.setattr(tasks.huey, "storage", Interleaved())
    tasks._schedule_next(job_)
    assert other == [1]
    assert len([t for t in tasks.huey.pending() if t.name == "test.raced"]) == 1


def test_the_periodic_kick_is_a_huey_periodic_task():
    assert tasks.kick.task_class in tasks.huey._registry._periodic_tasks


@pytest.mark.django_db(databases=["default", "hub"], transaction=True)
def test_a_committed_outbox_message_wakes_the_send_job(province, monkeypatch):
    from tests.exchange.conftest import RECEIVER, SENDER, released

    woken = []
    monkeypatch.setattr(tasks, "wake", woken.append)
    agency, clerk = province[SENDER]
    released(agency, clerk, [province[RECEIVER][0]])
    # the release's files also wake the text extraction (search.text); the send job is woken once
    assert [name for name in woken if name != "search.text"] == ["exchange.send"]


def test_an_unreachable_queue_does_not_fail_the_caller_of_wake(only_jobs, monkeypatch, caplog):
    """A release commits even when Redis is down: the outbox row waits for the next run."""
    @tasks.job("test.down", every=60.0)
    def down():
        return 0

    def unreachable(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks.huey, "put_if_empty", unreachable)
    tasks.wake("test.down")
    assert "could not wake job test.down" in caplog.text


def test_a_single_job_runs_in_one_thread_at_a_time_and_goes_again_for_a_run_it_held_back(only_jobs):
    """`single`: a run that starts while another runs (a wake-up taken by a second thread) does
    not run beside it; the running one goes again at once when it ends, so nothing is lost."""
    import threading

    inside, most, calls = [0], [0], []
    release = threading.Event()
    lock = threading.Lock()

    @tasks.job("test.single", every=60.0, single=True)
    def single():
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            calls.append(1)
        if len(calls) == 1:
            release.wait(5)  # the first run holds on while a wake-up arrives
        with lock:
            inside[0] -= 1
        return 0

    _start(only_jobs)
    wait_for(lambda: calls)
    tasks.wake("test.single")  # the second thread takes it while the first still runs
    wait_for(lambda: not _due_now("test.single"))
    time.sleep(0.3)
    assert len(calls) == 1  # held back, not run beside the first
    release.set()
    wait_for(lambda: len(calls) >= 2)  # the first run went again for it
    wait_for(lambda: _next_run_in("test.single"))
    time.sleep(0.2)
    assert most[0] == 1 and len(calls) == 2


def test_a_job_not_single_runs_beside_itself(only_jobs):
    inside, most, calls = [0], [0], []
    import threading

    release = threading.Event()
    lock = threading.Lock()

    @tasks.job("test.many", every=60.0)
    def many():
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            calls.append(1)
        release.wait(5)
        with lock:
            inside[0] -= 1
        return 0

    _start(only_jobs)
    wait_for(lambda: calls)
    tasks.wake("test.many")
    wait_for(lambda: len(calls) >= 2)
    assert most[0] == 2
    release.set()


def test_the_sqlite_queue_is_a_wal_synced_at_checkpoints(settings, tmp_path):
    """The queue holds wake-ups and schedules only (the work is in the database): its commits do
    not wait for the disk (synchronous=NORMAL, 1), its journal is a WAL (a power cut loses the last
    commits, never the file), and it still works as a queue."""
    settings.VPDT_TASKS = "sqlite"
    settings.VPDT_TASKS_FILE = str(tmp_path / "tasks.sqlite3")
    queue = tasks._make_huey()
    try:
        conn = queue.storage.conn
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert conn.execute("pragma synchronous").fetchone()[0] == 1
        assert queue.put_if_empty("k", 1) and not queue.put_if_empty("k", 2)
        assert queue.get("k", peek=True) == 1
    finally:
        queue.storage.close()

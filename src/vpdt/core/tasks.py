"""Background jobs on Huey (a maintained task queue): registration, wake-ups, the consumer.

Apps declare a job with `@job("exchange.send", every=2.0)`; the function takes no argument,
keeps its state in the database (the outbox/inbox tables stay the durable record: a job is
"do what is due now") and returns how much work it found. The queue itself lives where the
settings say (`VPDT_TASKS`):

- ``sqlite`` (default): a file in VPDT_DATA_DIR; the consumer runs inside `vpdt serve`,
  so the embedded default needs no other server;
- ``redis``: the scale path (`VPDT_REDIS_URL`), consumers in `vpdt worker` processes;
- ``memory``: one process only (the test suite).

How a job runs (each is one Huey task, named after the job):

- a run that found work (a positive int, not a bool) enqueues the next run at once, so a
  backlog drains at full speed;
- an idle run schedules the next one `every` seconds later (Huey's scheduler); a Huey
  periodic task (`vpdt.kick`, each minute) and the start of a consumer restart a chain
  that a killed process broke;
- `wake(name)` enqueues a run now (e.g. on commit of a new outbox message);
- a run that raises is retried by Huey after `every` seconds (`retries`, `retry_delay`).

At most one run of a job waits in the queue at a time (a flag in Huey's key-value store),
so wake-ups and chains never pile up. A job declared `single` also runs in at most one thread
of a process at a time: a run that starts while another runs hands over to it (the running one
goes again at once when it ends) instead of racing it for the same rows; the hub's poll is one,
as its connection's lease lets one poller through anyway.

A worker killed at any point loses nothing: the rows it was handling are leased in the
database and become due again.

The SQLite queue is written with `synchronous=NORMAL` (its journal is WAL): a commit no longer
waits for the disk, only a checkpoint does. A crash of the process loses nothing; a power cut
may lose the last wake-ups and schedules, never the file, and those are what the kick and a
consumer's start put back. Each exchange commits about ten times to the queue; Huey's default
(FULL, an fsync per commit) cost about 0.1 ms of CPU each here, NORMAL about 0.03 ms.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage

log = logging.getLogger("vpdt.tasks")

# A pending flag older than this is from a process that died holding it: ignore it.
STALE_SECONDS = 120.0


class QueueStorage(SqliteStorage):
    """Huey's SQLite storage, its WAL synced at checkpoints only (see the module's notes)."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


def _make_huey():
    from django.conf import settings

    kind = str(getattr(settings, "VPDT_TASKS", "sqlite")).lower()
    name = getattr(settings, "VPDT_TASKS_NAME", "vpdt")
    if kind == "redis":
        return RedisHuey(name, url=getattr(settings, "VPDT_REDIS_URL", "redis://127.0.0.1:6379/0"), results=False)
    if kind == "memory":
        return MemoryHuey(name, results=False)
    if kind != "sqlite":
        raise ValueError(f"VPDT_TASKS={kind!r}: expected sqlite, redis or memory")
    filename = getattr(settings, "VPDT_TASKS_FILE", None) or str(settings.DATA_DIR / "tasks.sqlite3")
    return SqliteHuey(name, filename=str(filename), results=False, timeout=60, storage_class=QueueStorage)


huey = _make_huey()


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every: float
    task: object = None
    single: bool = False


# The `single` jobs running in this process, and those asked to go again when their run ends.
_single_lock = threading.Lock()
_running: set[str] = set()
_again: set[str] = set()


_jobs: dict[str, Job] = {}


def found_work(result: object) -> bool:
    """A job's result that asks to be run again at once: a positive int (not a bool)."""
    return isinstance(result, int) and not isinstance(result, bool) and result > 0


def job(name: str, every: float, retries: int = 2, single: bool = False) -> Callable:
    """Decorator: `func` becomes the Huey task `name`, run again every `every` seconds when idle;
    `single`: one run at a time in a process (see the module's notes)."""

    def wrap(func: Callable[[], object]) -> Callable[[], object]:
        @huey.task(name=name, retries=retries, retry_delay=max(1, round(every)), context=True)
        def task(link: str = "", task=None):
            _run(name, link, task)

        _jobs[name] = Job(name, func, float(every), task, single)
        return func

    return wrap


def jobs() -> list[Job]:
    return list(_jobs.values())


def _queued_key(name: str) -> str:
    return f"vpdt:queued:{name}"


def _next_key(name: str) -> str:
    return f"vpdt:next:{name}"


def wake(name: str) -> None:
    """Enqueue a run of job `name` now, unless one is already waiting (no-op for unknown names)."""
    job_ = _jobs.get(name)
    if job_ is None:
        return
    try:
        now = time.time()
        key = _queued_key(name)
        if not huey.put_if_empty(key, now):
            stamp = huey.get(key, peek=True)
            if stamp is not None and stamp > now - STALE_SECONDS:
                return
            huey.put(key, now)
        job_.task()
    except Exception:  # noqa: BLE001 - the queue down must not fail the request that committed
        # The work is in the database: the job's next periodic run does it.
        log.warning("could not wake job %s (task queue unreachable)", name, exc_info=True)


def _schedule_next(job_: Job) -> None:
    """Schedule the next idle run unless a live one is already scheduled.

    The key is claimed atomically (`put_if_empty`): the per-minute kick and a run that just
    ended may both get here at once, and a read followed by a write let both schedule a run."""
    key = _next_key(job_.name)
    now = time.time()
    token = uuid.uuid4().hex
    claim = (token, now + job_.every)
    if not huey.put_if_empty(key, claim):
        current = huey.get(key, peek=True)
        if current is not None and current[1] > now - STALE_SECONDS:
            return
        huey.put(key, claim)  # a stale claim: its process died before the run it scheduled
    job_.task.schedule(kwargs={"link": token}, delay=job_.every)


def _run(name: str, link: str, task) -> None:
    from django.db import close_old_connections

    job_ = _jobs[name]
    if link:
        current = huey.get(_next_key(name), peek=True)
        if current is not None and current[0] == link:
            huey.delete(_next_key(name))
    else:
        huey.delete(_queued_key(name))
    if job_.single and not _enter(name):
        return  # another thread runs it now: that run goes again when it ends
    close_old_connections()
    result = None
    failed = True
    try:
        result = job_.func()
        failed = False
    finally:
        close_old_connections()
        again = job_.single and _leave(name)
        if failed and task is not None and task.retries:
            pass  # Huey runs it again after retry_delay; the chain goes on from that run
        elif found_work(result) or (again and not failed):
            wake(name)
        else:
            _schedule_next(job_)


def _enter(name: str) -> bool:
    """A `single` job's run may start (True), or one is running: it is asked to go again."""
    with _single_lock:
        if name in _running:
            _again.add(name)
            return False
        _running.add(name)
        _again.discard(name)
        return True


def _leave(name: str) -> bool:
    """A `single` job's run ends; True if a run arrived meanwhile (it goes again at once)."""
    with _single_lock:
        _running.discard(name)
        if name in _again:
            _again.discard(name)
            return True
        return False


@huey.periodic_task(crontab(), name="vpdt.kick")
def kick() -> None:
    """Each minute: restart the chain of any job whose next run was lost (a killed process)."""
    for job_ in jobs():
        _schedule_next(job_)


def kick_all() -> None:
    """At a consumer's start: run every job now (what was due while nobody ran them)."""
    for job_ in jobs():
        huey.delete(_queued_key(job_.name))
        wake(job_.name)


def run_once() -> dict[str, object]:
    """Run every job once now, in this thread, without the queue (tests, `vpdt worker --once`)."""
    from django.db import close_old_connections

    results = {}
    for job_ in jobs():
        close_old_connections()
        try:
            results[job_.name] = job_.func()
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            log.exception("job %s failed", job_.name)
            results[job_.name] = "error"
    return results


def consumer(workers: int | None = None):
    """A Huey consumer of this process's queue with thread workers."""
    from django.conf import settings

    count = workers or int(getattr(settings, "VPDT_TASK_WORKERS", 2))
    # The SQLite queue is polled: at most half a second between polls keeps a wake-up prompt.
    return huey.create_consumer(workers=count, worker_type="thread", periodic=True, max_delay=0.5,
                                check_worker_health=False)


def start_in_thread(workers: int | None = None):
    """Start a consumer inside this process (`vpdt serve`); returns it (call `.stop()`)."""
    running = consumer(workers)
    # Huey's consumer takes over SIGINT/SIGTERM/SIGHUP for its own `run()` loop, which does not
    # run here: the host (waitress, a gunicorn worker) keeps its signals, so Ctrl-C still stops it.
    running._set_signal_handlers = lambda: None
    running.start()
    kick_all()
    return running


def run_consumer(workers: int | None = None) -> None:
    """Run a consumer in the foreground until SIGINT/SIGTERM (`vpdt worker`)."""
    running = consumer(workers)
    kick_all()
    running.run()

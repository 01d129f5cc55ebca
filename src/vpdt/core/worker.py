"""The task worker: periodic jobs registered by apps, run in a loop (`vpdt worker`) or in a
thread of `vpdt serve` for the embedded default.

Jobs must be idempotent and keep their state in the database, so a worker killed at any
point and restarted carries on (the exchange outbox relies on this).

A job that returns a positive number (it found work, e.g. messages sent) runs again at
once instead of waiting its interval: a backlog drains at full speed, an idle job costs
one run per interval. `wake(name)` makes a job due now (e.g. on commit of new work) and
wakes the loop of this process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("vpdt.worker")


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    interval: float
    next_run: float = field(default=0.0)
    busy: bool = False  # its last run found work: idle threads of the loop may join in
    wakes: int = 0


_jobs: dict[str, Job] = {}
_wake = threading.Event()


def register(name: str, interval: float) -> Callable:
    """Decorator: run `func` every `interval` seconds in the worker."""

    def wrap(func: Callable[[], object]) -> Callable[[], object]:
        _jobs[name] = Job(name, func, interval)
        return func

    return wrap


def jobs() -> list[Job]:
    return list(_jobs.values())


def wake(name: str) -> None:
    """Make job `name` due now and wake this process's worker loop (no-op for unknown names)."""
    job = _jobs.get(name)
    if job is not None:
        job.wakes += 1
        job.next_run = 0.0
        _wake.set()


def found_work(result: object) -> bool:
    """A job's result that asks to be run again at once: a positive int (not a bool)."""
    return isinstance(result, int) and not isinstance(result, bool) and result > 0


def run_once() -> dict[str, object]:
    """Run every job once now (tests and `vpdt worker --once`)."""
    from django.db import close_old_connections

    results = {}
    for job in jobs():
        close_old_connections()
        try:
            results[job.name] = job.func()
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            log.exception("job %s failed", job.name)
            results[job.name] = "error"
    return results


def run_forever(stop: threading.Event | None = None, tick: float = 0.5) -> None:
    from django.db import close_old_connections

    stop = stop or threading.Event()
    while not stop.is_set():
        for job in jobs():
            if job.next_run <= time.monotonic():
                wakes = job.wakes
                if not job.busy:  # one thread runs an idle job; the others skip it meanwhile
                    job.next_run = time.monotonic() + job.interval
                close_old_connections()
                result = None
                try:
                    result = job.func()
                except Exception:  # noqa: BLE001
                    log.exception("job %s failed", job.name)
                job.busy = found_work(result)
                if job.busy or job.wakes != wakes:
                    job.next_run = 0.0
                else:
                    job.next_run = time.monotonic() + job.interval
        due = min((job.next_run for job in jobs()), default=time.monotonic() + tick)
        delay = min(tick, max(0.0, due - time.monotonic()))
        if delay > 0 and _wake.wait(delay):
            _wake.clear()


def start_in_thread() -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(stop,), name="vpdt-worker", daemon=True)
    thread.start()
    return stop

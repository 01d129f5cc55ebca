"""The task worker: periodic jobs registered by apps, run in a loop (`vpdt worker`) or in a
thread of `vpdt serve` for the embedded default.

Jobs must be idempotent and keep their state in the database, so a worker killed at any
point and restarted carries on (the exchange outbox relies on this).
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


_jobs: dict[str, Job] = {}


def register(name: str, interval: float) -> Callable:
    """Decorator: run `func` every `interval` seconds in the worker."""

    def wrap(func: Callable[[], object]) -> Callable[[], object]:
        _jobs[name] = Job(name, func, interval)
        return func

    return wrap


def jobs() -> list[Job]:
    return list(_jobs.values())


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
        now = time.monotonic()
        for job in jobs():
            if job.next_run <= now:
                close_old_connections()
                try:
                    job.func()
                except Exception:  # noqa: BLE001
                    log.exception("job %s failed", job.name)
                job.next_run = time.monotonic() + job.interval
        stop.wait(tick)


def start_in_thread() -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(stop,), name="vpdt-worker", daemon=True)
    thread.start()
    return stop

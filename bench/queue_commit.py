"""Benchmark: what one write to the embedded task queue (Huey on SQLite) costs this process.

    python bench/queue_commit.py [--writes 2000] [--dir DIR]

Runs the writes every job run and wake-up makes (put_if_empty of a flag, enqueue, dequeue,
delete of the flag; each its own commit) against a fresh queue file in DIR (default: a new
temporary directory, removed at the end), once with Huey's own SQLite storage (WAL, synchronous
FULL: an fsync at every commit) and once with vpdt's (`vpdt.core.tasks.QueueStorage`, WAL,
synchronous NORMAL: synced at checkpoints), alternating three rounds. Prints, per write, this
process's CPU (user + system: an fsync is the kernel's work) and wall time, beside a same-run
yardstick. The file system decides much of it: run it where the data directory lives.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
from yardstick import yardstick_ms  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _round(storage_class, directory: str, writes: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per write."""
    from huey import SqliteHuey

    path = os.path.join(directory, f"queue-{storage_class.__name__}.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    queue = SqliteHuey("bench", filename=path, results=False, storage_class=storage_class)
    storage = queue.storage
    queue.put_if_empty("warm", 1)
    rounds = writes // 4
    cpu, wall = _cpu(), time.perf_counter()
    for i in range(rounds):  # a wake-up and the run it starts (as vpdt.core.tasks): four commits
        queue.put_if_empty(f"vpdt:queued:job{i % 20}", time.time())
        storage.enqueue(b"task")
        storage.dequeue()
        queue.delete(f"vpdt:queued:job{i % 20}")
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    storage.close()
    return cpu * 1000 / (rounds * 4), wall * 1000 / (rounds * 4)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--dir", help="where the queue files are made (default: a new temporary directory)")
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
    os.environ.setdefault("VPDT_DATA_DIR", tempfile.mkdtemp(prefix="qbench-data-"))
    import django

    django.setup()
    from huey.storage import SqliteStorage

    from vpdt.core.tasks import QueueStorage

    directory = args.dir or tempfile.mkdtemp(prefix="qbench-")
    os.makedirs(directory, exist_ok=True)
    try:
        before = yardstick_ms()
        found: dict[str, list[tuple[float, float]]] = {"FULL (Huey's default)": [], "NORMAL (vpdt)": []}
        for _ in range(3):
            found["FULL (Huey's default)"].append(_round(SqliteStorage, directory, args.writes))
            found["NORMAL (vpdt)"].append(_round(QueueStorage, directory, args.writes))
        after = yardstick_ms()
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"queue file in {directory}; {args.writes} writes per round, 3 rounds each, alternating")
    for name, rounds in found.items():
        cpu = statistics.median(c for c, _ in rounds)
        wall = statistics.median(w for _, w in rounds)
        each = ", ".join(f"{c:.3f}" for c, _ in rounds)
        print(f"synchronous={name}: CPU {cpu:.3f} ms per write (rounds {each}), wall {wall:.3f} ms")
    print(f"yardstick (fixed pure-Python work, same run): {before:.1f} ms before / {after:.1f} ms after")
    return 0


if __name__ == "__main__":
    sys.exit(main())

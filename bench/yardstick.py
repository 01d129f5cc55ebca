"""The same-run yardstick: CPU ms of a fixed piece of pure-Python work (median of 5).

On a shared machine a process's CPU time per unit of work grows with the load (cores shared
with other processes' threads, caches, a neighbour on the same host); this grows with it, so a
benchmark's CPU figures divided by it compare runs made at different times."""

from __future__ import annotations

import hashlib
import json
import statistics
import time


def yardstick_ms() -> float:
    def once() -> float:
        start = time.thread_time()
        rows = [{"id": i, "name": f"văn bản {i}", "state": "sent"} for i in range(20000)]
        hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
        sum(len(r["name"]) for r in json.loads(json.dumps(rows)))
        return (time.thread_time() - start) * 1000

    return statistics.median(once() for _ in range(5))

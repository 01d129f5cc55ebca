"""Benchmark: the home page's counters and tabs (issue 14 "Dashboard") with 1,000,000 documents.

    python bench/dashboard_bench.py [--db sqlite|postgres] [--docs 1000000] [--runs 21] [--reuse]

The dataset is lists_bench's (256 agencies, one big agency with ~10 % of the documents, two
years of incoming and outgoing documents, handlers' assignments), in its own database
(var/bench/dashboard.sqlite3, or `vpdt_bench_dashboard` on 127.0.0.1:5432).

Measured server-side, median of RUNS after 3 warm-ups, `time.perf_counter()` around each,
as the clerk, the leader, a unit head and a specialist of the big agency:
- each counter alone (`vpdt.workflow.counters.count`: the queue's bounded COUNT, capped at
  1,000), and all of one person's tabs together (what the home page adds);
- the home page itself (Django test Client, in-process: middleware, session, view, the
  list's page, the counters, template), and a queue's other tab (/viec/overdue/);
- the home page again with every count answered 0 at once (what the counting adds);
- beside them, the machine's own limit in the same run: a trivial request (GET /healthz)
  and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lists_bench as lists  # noqa: E402  (the 1,000,000-document dataset)

BENCH_DIR = lists.BENCH_DIR
lists.SQLITE_PATH = SQLITE_PATH = BENCH_DIR / "dashboard.sqlite3"
lists.use_pg("vpdt_bench_dashboard")
ROLES = ("clerk", "leader", "unit_head", "specialist")


def _uncounted(user, keys, day=None, *, known=None) -> dict:
    from vpdt.workflow.counters import Counter

    return {key: Counter(key, key, 0, False) for key in keys}


def measure(runs: int) -> dict:
    from django.db import connection
    from django.test import Client

    from vpdt.directory.models import User
    from vpdt.workflow import counters

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return call

    results: dict[str, dict] = {"machine limit": {}}
    results["machine limit"]["GET /healthz"] = lists.median_ms(get(Client(), "/healthz"), runs)
    for role in ROLES:
        user = User.objects.get(username=f"bench_{role}")
        client = Client()
        client.force_login(user)
        row: dict[str, object] = {}
        keys = counters.queue_keys(user)
        for key in keys:
            row[f"count {key}"] = lists.median_ms(lambda key=key, user=user: counters.count(user, key), runs)
            row[f"value {key}"] = counters.count(user, key).value
        row["all tabs counted"] = lists.median_ms(lambda user=user, keys=keys: counters.counters(user, keys), runs)
        row["home page (list + counters)"] = lists.median_ms(get(client, "/"), runs)
        # the same page with every count answered 0 at once: what the counting adds to it
        with mock.patch("vpdt.workflow.counters.counters", _uncounted):
            row["home page, counting left out"] = lists.median_ms(get(client, "/"), runs)
        row["queue overdue page (list + tab counts)"] = lists.median_ms(get(client, "/viec/overdue/"), runs)
        results[role] = row
        print(f"  {connection.vendor:10s} {role:10s} {json.dumps(row, ensure_ascii=False)}", flush=True)
    results["machine limit"]["load average"] = os.getloadavg()
    return results


def run_one(db: str, n_docs: int, runs: int, reuse: bool) -> dict:
    if db == "postgres" and not (reuse and lists._exists(db)):
        lists._recreate_pg()
    if db == "sqlite" and not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    fresh = not (reuse and lists._exists(db))
    # Server-side time of the pages, not of the sign-in: the bench's people have no second factor.
    os.environ.setdefault("VPDT_MFA_REQUIRED_FOR", "none")
    lists._setup_env(db)
    if fresh:
        info = lists.load(db, n_docs)
        t = time.perf_counter()
        info["assignments"] = lists.load_workflow()
        info["assignments_s"] = round(time.perf_counter() - t, 1)
    else:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        info = {"reused": True}
    print(f"{db}: dataset {info}", flush=True)
    info["results"] = measure(runs)
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--out", default=str(BENCH_DIR / "dashboard.json"))
    args = parser.parse_args()
    info = run_one(args.db, args.docs, args.runs, args.reuse)
    info["machine"] = lists.machine()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(info, indent=1, ensure_ascii=False, default=str))
    print(json.dumps(info["results"], indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the usage API and the province dashboard's queries with 1,000,000 documents.

    python bench/reports_bench.py [--db sqlite|postgres|both] [--docs 1000000] [--runs 21] [--reuse]

The dataset is lists_bench's (256 agencies, one big agency with ~10 % of the documents, two
years of incoming and outgoing documents, handlers' assignments), in its own database
(var/bench/reports.sqlite3, or `vpdt_bench_reports` on 127.0.0.1:5432), plus what the
usage metrics read: an audit entry `document.register` for each registered incoming
document (arrival + 10 minutes to 3 days), directions a working day after arrival, a
platform admin. The daily facts are then built once from it (`facts.rebuild_period`, timed).

Measured server-side, median of RUNS after 3 warm-ups, `time.perf_counter()` around each:
- the API in-process (Django test Client, Bearer token: middleware, auth, view, queries,
  JSON): GET /api/reports/usage over the last 12 months up to today, province-wide per
  agency, with the roll-up, per unit, per person of the big agency, the big agency's leader;
  and over a closed year (2025), where "open past due at the period's end" reads documents;
- the province dashboard's queries (service calls): why_signals, agency_table,
  province_medians, usage over this month;
- beside them, in the same run, the machine's own limit: a trivial request (GET /healthz)
  and one COUNT(*) over the documents table (what any query that reads the documents
  themselves would cost at least), with the load average and how busy the machine was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lists_bench as lists  # noqa: E402  (the 1,000,000-document dataset)

BENCH_DIR = lists.BENCH_DIR
lists.SQLITE_PATH = SQLITE_PATH = BENCH_DIR / "reports.sqlite3"
lists.use_pg("vpdt_bench_reports")


def load_usage_data() -> dict:
    """Registrations in the audit log, directions after registration, a platform admin."""
    from django.db import connection, transaction

    from vpdt.core.models import AuditEntry
    from vpdt.directory.models import Agency, RoleAssignment, User
    from vpdt.directory.roles import Role
    from vpdt.workflow.models import Assignment

    if AuditEntry.objects.filter(action="document.register").exists():
        return {"registrations": AuditEntry.objects.filter(action="document.register").count()}
    t = time.perf_counter()
    rng = random.Random(14)
    actor = {a: p for a, p in User.objects.order_by("pk").values_list("agency_id", "pk")}
    codes = dict(Agency.objects.values_list("id", "code"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, agency_id, received_at FROM records_document WHERE direction = 'incoming' "
                       "AND state NOT IN ('received', 'returned')")
        docs = cursor.fetchall()
    rows = []
    for pk, agency, received in docs:
        if isinstance(received, str):
            received = dt.datetime.fromisoformat(received)
        at = received + dt.timedelta(minutes=rng.choice([10, 30, 45, 90, 240, 600, 1500, 4300]))
        rows.append((at, actor.get(agency), codes[agency], "document.register", "records.document", str(pk),
                     "web", "{}", "", ""))
    columns = ["at", "actor_id", "agency_code", "action", "object_type", "object_id", "via", "detail",
               "prev_hash", "entry_hash", "actor_name"]
    rows = [(*r, "") for r in rows]
    table = AuditEntry._meta.db_table
    if connection.vendor == "postgresql":
        lists._copy_pg(connection, table, columns, rows)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {Assignment._meta.db_table} SET created_at = created_at + interval '1 day'")
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
            cursor.execute(f"UPDATE {Assignment._meta.db_table} SET created_at = "
                           "strftime('%Y-%m-%d %H:%M:%f', created_at, '+1 day')")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    admin = User.objects.create(username="bench_admin", full_name="Bench admin",
                                agency_id=User.objects.get(username="bench_leader").agency_id)
    RoleAssignment.objects.create(user=admin, agency_id=admin.agency_id, role=Role.PLATFORM_ADMIN)
    return {"registrations": len(rows), "registrations_s": round(time.perf_counter() - t, 1)}


def build_facts() -> dict:
    from vpdt.reports import facts
    from vpdt.reports.models import DailyFact, DurationFact, IncomingHandler

    if DailyFact.objects.exists():
        info = {"facts_rows": DailyFact.objects.count() + DurationFact.objects.count()}
        if not IncomingHandler.objects.exists():  # facts built before the handlers' table existed
            t = time.perf_counter()
            info["handlers_rows"] = facts.sync_handlers()
            info["handlers_build_s"] = round(time.perf_counter() - t, 1)
        return info
    t = time.perf_counter()
    rows = facts.rebuild_period(dt.date(2024, 6, 1), dt.date.today())
    return {"facts_rows": rows, "facts_build_s": round(time.perf_counter() - t, 1)}


def _busy() -> tuple[float, float]:
    ticks = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def measure(runs: int) -> dict:
    from django.db import connection
    from django.test import Client

    from vpdt.directory.models import ApiToken, User
    from vpdt.reports import services

    admin = User.objects.get(username="bench_admin")
    leader = User.objects.get(username="bench_leader")
    big = leader.agency.code
    today = dt.date.today()
    year_ago = today - dt.timedelta(days=365)
    month = today.replace(day=1)
    client = Client()
    as_admin = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(admin)}"}
    as_leader = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(leader)}"}
    last_year = f"from={year_ago}&to={today}"

    def api(url, extra):
        def call():
            response = client.get(url, **extra)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return call

    def count_documents():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM records_document")
            cursor.fetchone()

    cases = [
        ("machine: GET /healthz", api("/healthz", {})),
        ("machine: SELECT count(*) FROM records_document", count_documents),
        ("API usage, 12 months, province, per agency", api(f"/api/reports/usage?{last_year}", as_admin)),
        ("API usage, 12 months, per unit, province", api(f"/api/reports/usage?{last_year}&level=unit", as_admin)),
        ("API usage, 12 months, per person, big agency",
         api(f"/api/reports/usage?{last_year}&level=person&agency={big}", as_admin)),
        ("API usage, 12 months, the big agency's leader", api(f"/api/reports/usage?{last_year}", as_leader)),
        ("API usage, year 2025 (closed), province", api("/api/reports/usage?from=2025-01-01&to=2025-12-31",
                                                        as_admin)),
        ("dashboard: usage this month, province", lambda: services.usage(month, today, viewer=admin)),
        ("dashboard: usage 12 months with roll-up", lambda: services.usage(year_ago, today, viewer=admin,
                                                                           rollup=True)),
        ("dashboard: why_signals 12 months, province", lambda: services.why_signals(year_ago, today, viewer=admin)),
        ("dashboard: agency_table 12 months", lambda: services.agency_table(year_ago, today, viewer=admin)),
        ("dashboard: province_medians 12 months", lambda: services.province_medians(year_ago, today)),
    ]
    results = {}
    load_before = os.getloadavg()
    busy0 = _busy()
    for label, func in cases:
        results[label] = lists.median_ms(func, runs)
        print(f"  {connection.vendor:10s} {label:55s} {results[label]:8.1f} ms", flush=True)
    busy1 = _busy()
    results["load average before / after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    results["machine busy during the measures"] = f"{(busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]):.0%}"
    return results


def run_one(db: str, n_docs: int, runs: int, reuse: bool, load_only: bool = False) -> dict:
    fresh = not (reuse and lists._exists(db))
    if fresh and db == "postgres":
        lists._recreate_pg()
    if fresh and db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    lists._setup_env(db)
    from django.core.management import call_command

    if fresh:
        info = lists.load(db, n_docs)
    else:
        call_command("migrate", interactive=False, verbosity=0)
        info = {"reused": True}
    info["assignments"] = lists.load_workflow()
    info.update(load_usage_data())
    if load_only:
        print(f"{db}: dataset {info}", flush=True)
        return info
    info.update(build_facts())
    print(f"{db}: dataset {info}", flush=True)
    info["results"] = measure(runs)
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--pg-name", default=lists.PG_NAME, help="the PostgreSQL database (default %(default)s)")
    parser.add_argument("--load-only", action="store_true", help="load the dataset (and its audit entries), stop")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(BENCH_DIR / "reports.json"))
    args = parser.parse_args()
    lists.use_pg(args.pg_name)
    if args.one:
        info = run_one(args.one, args.docs, args.runs, args.reuse, args.load_only)
        print("RESULT " + json.dumps(info, default=str), flush=True)
        return 0
    summary = {"machine": lists.machine(), "backends": {}}
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        cmd = [sys.executable, __file__, "--one", db, "--docs", str(args.docs), "--runs", str(args.runs)]
        if args.reuse:
            cmd.append("--reuse")
        if args.load_only:
            cmd.append("--load-only")
        cmd += ["--pg-name", args.pg_name]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        lines = proc.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("RESULT ")))
        found = [line for line in lines if line.startswith("RESULT ")]
        if proc.returncode or not found:
            print(f"{db}: failed ({proc.returncode})")
            continue
        summary["backends"][db] = json.loads(found[-1][7:])
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps({db: v["results"] for db, v in summary["backends"].items()}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the hourly deadline reminders (`workflow.notifications.send_reminders`, issue 17).

    python bench/reminders_bench.py [--db sqlite|postgres] [--assignments 20000] [--runs 3] [--reuse]
                                    [--src OTHER/src]

Before/after: `git archive BASE src | tar -x -C /tmp/vpdt-before` then `--src /tmp/vpdt-before/src`
measures that code on the same database (`--reuse`), in its own process (the code before issue 17's
batching takes 8–13 minutes for 3 runs; the bench itself, from an empty database, about 2).

One agency in its own database (var/bench/reminders.sqlite3, or `vpdt_bench_reminders` on
127.0.0.1:5432): 25 units (two active heads and one former head each, 8 specialists), ASSIGNMENTS
open assignments due within two working days or overdue on DAY (half to a specialist, half to a
unit, on documents being handled), beside what the query must pass over: 5,000 open ones not yet
due, 2,000 for information, 80,000 done ones on completed documents, and 200,000 earlier
reminders in the bell (keys of earlier days).

Measured, median of RUNS (`time.perf_counter()` around the call, SQL statements counted by an
execute wrapper): the first run of DAY (every reminder new), then a second run of DAY (nothing
new), then the first run's rows deleted (not timed). Beside them, in the same run, the machine's
own limit: the same number of notification rows inserted by one bare `executemany` INSERT in one
transaction (rolled back), and one bare SELECT of the due assignments with their documents'
fields; the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lists_bench as lists  # noqa: E402  (environment, PostgreSQL and machine helpers)

BENCH_DIR = lists.BENCH_DIR
lists.SQLITE_PATH = SQLITE_PATH = BENCH_DIR / "reminders.sqlite3"
lists.use_pg("vpdt_bench_reminders")
DAY = dt.date(2026, 7, 1)  # a Wednesday: due soon up to Friday 3/7
UNITS, SPECIALISTS = 25, 8
NOT_DUE, INFO, DONE, OLD_NOTICES = 5_000, 2_000, 80_000, 200_000


def _insert(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        lists._copy_pg(connection, table, columns, rows)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def load(n_due: int) -> dict:
    """The agency, its people, documents, assignments and earlier notifications."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from vpdt.directory.models import Agency, RoleAssignment, Unit, User
    from vpdt.directory.roles import Role
    from vpdt.records.models import Document, DocumentType
    from vpdt.records.seed import seed_document_types
    from vpdt.workflow import holidays
    from vpdt.workflow.models import Assignment, Notification

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    t_migrate = time.perf_counter()
    if not DocumentType.objects.exists():
        seed_document_types(DocumentType)
    doc_type = DocumentType.objects.get(code="CV").pk
    rng = random.Random(17)
    password = make_password("Bench@2026")
    agency = Agency.objects.create(code="000.00.00.H57", abbreviation="UBND", name="UBND tỉnh Bình Dương")
    units, specialists, roles = [], [], []
    for i in range(UNITS):
        unit = Unit.objects.create(agency=agency, abbreviation=f"P{i:02d}", name=f"Phòng {i}")
        units.append(unit.pk)
        for k in range(SPECIALISTS + 3):
            user = User.objects.create(username=f"u{i}_{k}", password=password, agency=agency, unit=unit,
                                       full_name=f"Cán bộ {i} {k}", email=f"u{i}_{k}@example.vn",
                                       is_active=k != SPECIALISTS + 2)
            roles.append(RoleAssignment(user=user, agency=agency, role=Role.UNIT_HEAD if k >= SPECIALISTS
                                        else Role.SPECIALIST))
            if k < SPECIALISTS:
                specialists.append(user.pk)
    RoleAssignment.objects.bulk_create(roles)

    horizon = holidays.add_working_days(DAY, holidays.DUE_SOON_WORKING_DAYS)
    fields = [f for f in Document._meta.concrete_fields if f.attname != "id"]
    defaults = {f.attname: (None if f.null else ("" if f.get_internal_type() in ("CharField", "TextField") else None))
                for f in fields}
    now = dt.datetime(2026, 6, 1, 8, 0, tzinfo=None if connection.vendor == "sqlite" else dt.UTC)
    docs, assignments = [], []
    plan = ([("due", "assigned")] * n_due + [("not_due", "in_progress")] * NOT_DUE
            + [("info", "assigned")] * INFO + [("done", "completed")] * DONE)
    rng.shuffle(plan)
    for doc_id, (what, state) in enumerate(plan, start=1):
        if what == "due" and rng.random() < 0.4:
            state = "in_progress"
        subject = f"Về việc triển khai nhiệm vụ số {doc_id} năm 2026"
        row = dict(defaults)
        row.update(agency_id=agency.pk, direction="incoming", state=state, source="electronic",
                   document_type_id=doc_type, subject=subject, subject_folded=subject.lower(), urgency=0,
                   secrecy=0, steering_type=0, created_at=now, updated_at=now, received_at=now,
                   incoming_number=doc_id, issuer_name="Văn phòng Chính phủ", place="Bình Dương")
        if rng.random() < 0.7:
            row.update(number=rng.randint(1, 3000), notation="VPCP-KSTT")
        docs.append((doc_id, *[row[f.attname] for f in fields]))
        if what == "due":
            deadline = (DAY - dt.timedelta(days=rng.randint(1, 30)) if rng.random() < 0.7
                        else DAY + dt.timedelta(days=rng.randint(0, (horizon - DAY).days)))
        elif what == "not_due":
            deadline = horizon + dt.timedelta(days=rng.randint(1, 30))
        else:
            deadline = DAY - dt.timedelta(days=rng.randint(1, 300))
        to_unit = rng.random() < 0.5
        assignments.append((doc_id, "info" if what == "info" else "main", rng.choice(units) if to_unit else None,
                            None if to_unit else rng.choice(specialists), "", deadline,
                            {"done": "done", "not_due": "in_progress"}.get(what, "pending"), "", now))
    old_notices = []
    for n in range(OLD_NOTICES):
        earlier = DAY - dt.timedelta(days=1 + n % 60)
        old_notices.append((rng.choice(specialists), rng.randint(1, len(plan)), "overdue", "Quá hạn xử lý",
                            f"overdue:{n}:{earlier.isoformat()}", now - dt.timedelta(days=1 + n % 60),
                            now - dt.timedelta(days=n % 60)))
    t_gen = time.perf_counter()
    with transaction.atomic():
        _insert(connection, Document._meta.db_table, ["id", *[f.column for f in fields]], docs)
        _insert(connection, Assignment._meta.db_table,
                ["document_id", "role", "unit_id", "user_id", "instructions", "deadline", "state", "note",
                 "created_at"], assignments)
        _insert(connection, Notification._meta.db_table,
                ["user_id", "document_id", "kind", "message", "key", "created_at", "read_at"], old_notices)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('records_document', 'id'), %s)", [len(plan)])
            for table in ("records_document", Assignment._meta.db_table, Notification._meta.db_table):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"documents": len(plan), "assignments": len(assignments), "due": n_due,
            "earlier_notifications": OLD_NOTICES, "migrate_s": round(t_migrate - t0, 1),
            "insert_s": round(time.perf_counter() - t_gen, 1)}


def _raw_limits(rows: int) -> dict:
    """The same number of notification rows by one bare executemany (rolled back); one SELECT."""
    from django.db import connection, transaction

    from vpdt.directory.models import User
    from vpdt.workflow.models import Notification

    people = list(User.objects.values_list("pk", flat=True))
    stamp = dt.datetime(2026, 7, 1, 8, 0, tzinfo=None if connection.vendor == "sqlite" else dt.UTC)
    values = [(people[i % len(people)], i + 1, "overdue", f"Quá hạn xử lý (hạn 01/06/2026): {i:02d}/VPCP-KSTT – "
               "Về việc triển khai nhiệm vụ năm 2026", f"raw:{i}", stamp) for i in range(rows)]
    table = Notification._meta.db_table
    sql = (f"INSERT INTO {table} (user_id, document_id, kind, message, key, created_at) "
           "VALUES (%s, %s, %s, %s, %s, %s)")
    with transaction.atomic():
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(sql, values)
        insert_s = time.perf_counter() - t
        transaction.set_rollback(True)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, a.deadline, a.user_id, a.unit_id, a.document_id, d.number, d.notation, d.incoming_number,"
            " d.subject FROM workflow_assignment a JOIN records_document d ON d.id = a.document_id"
            " WHERE a.state IN ('pending', 'in_progress') AND a.deadline <= %s AND a.role <> 'info'"
            " AND d.state IN ('assigned', 'in_progress')", [DAY + dt.timedelta(days=2)])
        selected = len(cursor.fetchall())
    return {"bare INSERT executemany s": round(insert_s, 3), "rows": rows,
            "bare SELECT of due assignments s": round(time.perf_counter() - t, 3), "selected": selected}


def measure(runs: int) -> dict:
    from django.db import connection

    from vpdt.workflow import notifications
    from vpdt.workflow.models import Notification

    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    load_before = os.getloadavg()
    first, second, made, counted = [], [], 0, {}
    for _ in range(runs):
        top = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for label, times in (("first run", first), ("second run", second)):
            statements[0] = 0
            with connection.execute_wrapper(count):
                t = time.perf_counter()
                result = notifications.send_reminders(DAY)
                times.append(time.perf_counter() - t)
            counted[f"{label}: SQL statements"] = statements[0]
            if label == "first run":
                made = result
            else:
                assert result == 0, result
        Notification.objects.filter(pk__gt=top).delete()
        print(f"  first {first[-1]:.2f} s, second {second[-1]:.2f} s, {made} notifications", flush=True)
    results = {"first run s (median)": round(statistics.median(first), 2), "first runs": [round(x, 2) for x in first],
               "second run s (median)": round(statistics.median(second), 2),
               "second runs": [round(x, 2) for x in second], "notifications added": made, **counted}
    results["machine limit"] = _raw_limits(made)
    results["load average before/after"] = [load_before, os.getloadavg()]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--assignments", type=int, default=20_000, help="open assignments due or overdue")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--src", default=str(lists.ROOT / "src"), help="the code to measure (another checkout's src/)")
    parser.add_argument("--out", default=str(BENCH_DIR / "reminders.json"))
    args = parser.parse_args()
    sys.path.insert(0, args.src)
    fresh = not (args.reuse and (lists._exists(args.db) if args.db == "postgres" else SQLITE_PATH.exists()))
    if fresh and args.db == "postgres":
        lists._recreate_pg()
    if fresh and args.db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    lists._setup_env(args.db)
    import vpdt

    if fresh:
        info = load(args.assignments)
    else:  # the code measured brings the schema to its own migrations (new indexes) and goes
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        info = {"reused": True}
    info["code"] = str(Path(vpdt.__file__).resolve().parents[1])
    print(f"{args.db}: dataset {info}", flush=True)
    info["results"] = measure(args.runs)
    info["machine"] = lists.machine()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(info, indent=1, ensure_ascii=False, default=str))
    print(json.dumps(info["results"], indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

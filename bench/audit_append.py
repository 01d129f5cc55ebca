"""Benchmark: what one audit append costs on PostgreSQL, in this process and in its backend.

    python bench/audit_append.py [--appends 1000] [--entries 1 3]

Appends `--appends` times in their own transactions (`audit.deferred()` blocks of `--entries`
entries each, as an intake or a release appends them together) to a fresh database
vpdt_audit_append at 127.0.0.1:5432 (re-created, dropped at the end). Prints, per append, the
CPU of this process and of its PostgreSQL backend (from /proc/<pid>/stat: this machine's server
only, 10 ms ticks, so keep `--appends` at 1,000 or more), beside a same-run yardstick.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
from yardstick import yardstick_ms  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
NAME = "vpdt_audit_append"


def _database(action: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{NAME}"')


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--appends", type=int, default=1000)
    ap.add_argument("--entries", type=int, nargs="+", default=[1, 3])
    args = ap.parse_args()
    _database("create")
    os.environ.update(DJANGO_SETTINGS_MODULE="vpdt.settings", VPDT_DATABASE_URL=f"{PG}/{NAME}",
                      VPDT_DATA_DIR=tempfile.mkdtemp(prefix="audit-append-"), VPDT_DEMO="1")
    try:
        return _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        _database("drop")


def _run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from vpdt.core import audit

    call_command("migrate", verbosity=0, interactive=False)

    def backend_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def append(times: int, entries: int) -> None:
        for i in range(times):
            with transaction.atomic(), audit.deferred():
                for j in range(entries):
                    audit.record("bench.append", None, agency_code="000.00.01.H90",
                                 detail={"i": i, "j": j, "ghi chú": "Nghị định 30/2020/NĐ-CP"})

    calib0 = yardstick_ms()
    for entries in args.entries:
        append(50, entries)  # warm: the statement prepared on the connection, the caches
        backend, client = backend_cpu(), time.process_time()
        append(args.appends, entries)
        backend, client = backend_cpu() - backend, time.process_time() - client
        print(f"{entries} entr{'y' if entries == 1 else 'ies'} per append: PostgreSQL backend "
              f"{backend * 1000 / args.appends:.3f} ms, this process {client * 1000 / args.appends:.3f} ms of CPU "
              f"per append (its transaction and commit included)")
    check = audit.verify(anchors=False)
    print(f"chain verified: {check.ok} ({check.entries} entries); yardstick (fixed pure-Python work, same run) "
          f"{calib0:.1f} ms before / {yardstick_ms():.1f} ms after")
    return 0 if check.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

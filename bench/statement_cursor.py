"""The CPU this process spends around one small statement: through Django's cursor (a new
wrapper and driver cursor each time) against `vpdt.core.prepared.cursor` (the driver's cursor
made once per connection), with the bare driver cursor beside them as the floor.

    python bench/statement_cursor.py [--statements 20000] [--rounds 3]

Each way runs STATEMENTS times `SELECT %s::int + 1, %s::text` and reads its row, inside one
transaction on PostgreSQL at 127.0.0.1:5432 (database vpdt_bench_cursor, made and dropped
here), alternating, ROUNDS times; prints each way's CPU per statement (`time.process_time`:
PostgreSQL's own CPU is not in it) and the wall time, with the yardstick of the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
from yardstick import yardstick_ms  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
NAME = "vpdt_bench_cursor"


def _database(create: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{NAME}"')


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    _database(True)
    os.environ.update(DJANGO_SETTINGS_MODULE="vpdt.settings", VPDT_DATABASE_URL=f"{PG}/{NAME}", VPDT_DEMO="1",
                      VPDT_DATA_DIR=tempfile.mkdtemp(prefix="vpdt-cursor-"))
    try:
        import django

        django.setup()
        from django.db import connection, transaction

        from vpdt.core import prepared

        sql, params = "SELECT %s::int + 1, %s::text", [1, "x"]
        connection.ensure_connection()
        bare = connection.create_cursor()

        def django_cursor():
            with connection.cursor() as c:
                c.execute(sql, params)
                c.fetchall()

        def hot_path():
            with prepared.cursor() as c:
                c.execute(sql, params)
                c.fetchall()

        def driver():
            bare.execute(sql, params)
            bare.fetchall()

        ways = {"driver cursor, bare": driver, "prepared.cursor": hot_path, "Django's cursor": django_cursor}
        cpu: dict[str, list[float]] = {name: [] for name in ways}
        wall: dict[str, list[float]] = {name: [] for name in ways}
        before = yardstick_ms()
        for _ in range(args.rounds):
            for name, way in ways.items():
                with transaction.atomic():
                    for _ in range(500):
                        way()
                    t, w = time.process_time(), time.perf_counter()
                    for _ in range(args.statements):
                        way()
                    cpu[name].append((time.process_time() - t) / args.statements * 1e6)
                    wall[name].append((time.perf_counter() - w) / args.statements * 1e6)
        after = yardstick_ms()
        print(f"{args.statements} statements x {args.rounds} rounds; yardstick {before:.1f} ms before, "
              f"{after:.1f} ms after")
        for name in ways:
            print(f"  {name:20s} CPU per statement {statistics.median(cpu[name]):6.1f} µs "
                  f"({', '.join(f'{v:.1f}' for v in cpu[name])}), wall {statistics.median(wall[name]):6.1f} µs")
        connection.close()
    finally:
        _database(False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

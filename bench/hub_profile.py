"""Where one hub accept (and one delivery) spends its CPU: cProfile in process, no HTTP server.

    python bench/hub_profile.py [--db sqlite|postgres] [--packages 200] [--top 30] [--no-profile]
                                [--callees NAME ...] [--polls 500] [--data-dir DIR]

Runs the hub's WSGI application (the standalone hub's settings) in this process through
Django's WSGI handler with signed sendEdoc requests as the SDK shapes them (100 KB
attachment), then lists, downloads and acknowledges them; prints the CPU per accept and
per delivery (process time) and the cProfile table (CPU time) of the accept phase,
grouped by the functions with the most cumulative time; then the CPU per empty poll
(getReceivedEdocList with nothing waiting, `--polls` of them: what every system's poll finds
most of the time). PostgreSQL: database vpdt_hub_profile on 127.0.0.1 (re-created; dropped at
the end, with the data directory, made in ./var/bench unless `--data-dir` says otherwise:
bench/datadir.py).
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import hashlib
import io
import json
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
import datadir  # noqa: E402

SENDER, RECEIVER = "000.00.00.H53", "000.00.13.H53"


class BackendMeter:
    """The PostgreSQL backend's CPU (its /proc/<pid>/schedstat, ns on the CPU; this machine's
    server only) around every statement and commit of this process, summed per kind of
    statement (its first words)."""

    def __init__(self):
        import psycopg

        self.cpu: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self._saved = [(psycopg.Cursor, "execute"), (psycopg.Connection, "commit")]
        self._originals = [getattr(cls, name) for cls, name in self._saved]
        meter = self
        execute, commit = self._originals

        def timed_execute(cursor, query, params=None, **kwargs):
            return meter.around(cursor.connection, meter.kind(query), execute, cursor, query, params, **kwargs)

        def timed_commit(connection):
            return meter.around(connection, "COMMIT", commit, connection)

        psycopg.Cursor.execute, psycopg.Connection.commit = timed_execute, timed_commit

    @staticmethod
    def kind(query) -> str:
        text = query if isinstance(query, str) else str(query)
        words = " ".join(text.split())
        if words.startswith("WITH"):
            return " ".join(words.split()[:6])[:90]
        return " ".join(words.split()[:4])[:90]

    def around(self, connection, kind: str, fn, *args, **kwargs):
        path = f"/proc/{connection.info.backend_pid}/schedstat"
        before = int(open(path).read().split()[0])
        try:
            return fn(*args, **kwargs)
        finally:
            spent = int(open(path).read().split()[0]) - before
            self.cpu[kind] = self.cpu.get(kind, 0) + spent / 1e6
            self.count[kind] = self.count.get(kind, 0) + 1

    def stop(self) -> None:
        for (cls, name), original in zip(self._saved, self._originals, strict=True):
            setattr(cls, name, original)

    def report(self, accepts: int) -> None:
        total = sum(self.cpu.values())
        print(f"PostgreSQL backend CPU per accept: {total / accepts:.2f} ms (statements and commits of this process)")
        for kind, ms in sorted(self.cpu.items(), key=lambda x: -x[1]):
            print(f"  {ms / accepts:6.3f} ms  x{self.count[kind] / accepts:.2f}  {kind}")


def _clean_up(tmp: Path, postgres: bool) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    if postgres:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vpdt_hub_profile WITH (FORCE)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--polls", type=int, default=500, help="empty getReceivedEdocList calls timed after the deliveries")
    parser.add_argument("--no-profile", action="store_true",
                        help="only the CPU per accept and per delivery, without cProfile's own cost")
    parser.add_argument("--callees", action="append", default=[], metavar="NAME",
                        help="also list what the functions matching NAME call (pstats' restriction), repeatable")
    parser.add_argument("--pg-statements", action="store_true",
                        help="PostgreSQL: the database backend's CPU per kind of statement during the accepts "
                             "(/proc/<pid>/schedstat around each statement and commit)")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"],
                        help="the table's order: cumulative time, or each function's own time")
    parser.add_argument("--data-dir", help="where the hub's data directory is made (default: ./var/bench, not /tmp: "
                                           "bench/datadir.py)")
    args = parser.parse_args()
    tmp = datadir.new_dir("hubprof-", args.data_dir)
    print(datadir.describe(tmp))
    atexit.register(_clean_up, tmp, args.db == "postgres")  # its packages and database not left behind
    os.environ.update(VPDT_HUB_DATA_DIR=str(tmp / "hub"), VPDT_DEMO="1", VPDT_HUB_MIN_FREE_MB="0",
                      DJANGO_SETTINGS_MODULE="vpdt.hub.settings")
    if args.db == "postgres":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vpdt_hub_profile WITH (FORCE)")
            conn.execute("CREATE DATABASE vpdt_hub_profile")
        os.environ["VPDT_HUB_DATABASE"] = "postgres://postgres@127.0.0.1:5432/vpdt_hub_profile"
    else:
        os.environ["VPDT_HUB_DATABASE"] = str(tmp / "hub.sqlite3")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    from hub import factories
    from vpdt.hub import services
    from vpdt.vxp import protocol as vxp

    call_command("migrate", database="hub", verbosity=0)
    services.add_agency(SENDER, "UBND tỉnh", system_id="p.s", secret="s")
    services.add_agency(RECEIVER, "Sở TT&TT", system_id="p.r", secret="r")
    app = WSGIHandler()

    def call(system_id, secret, op, values, body=b"", content_type="application/json", method="POST"):
        headers = vxp.sign_headers(system_id, secret, values, content_type=content_type)
        environ = {"REQUEST_METHOD": method, "PATH_INFO": "/" + op, "SERVER_NAME": "hub", "SERVER_PORT": "80",
                   "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "wsgi.url_scheme": "http",
                   "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": content_type}
        for name, value in headers:
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
        out = []
        result = app(environ, lambda status, hdrs: out.append(status))
        data = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return data

    packages = []
    for i in range(args.packages + 10):
        p = factories.document(tmp / f"p{i}.edxml", from_code=SENDER, to=[RECEIVER], number=i, attachment=100 * 1024)
        data = p.read_bytes()
        packages.append((data, vxp.hash_file_hex(hashlib.sha256(data).digest())))

    def send(pkg):
        data, hash_file = pkg
        raw = call("p.s", "s", "sendEdoc", {"from": SENDER, "servicetype": "eDoc", "messagetype": "edoc",
                                           "hash-file": hash_file, "to": json.dumps([RECEIVER])},
                   data + b"\r\n", "application/octet-stream")
        assert json.loads(raw)["status"] == "OK", raw[:300]

    def deliver_all():
        n = 0
        while True:
            items = json.loads(call("p.r", "r", "getReceivedEdocList",
                                    {"servicetype": "eDoc", "messagetype": "edoc", "n": str(time.time_ns())}))["data"]
            if not items:
                return n
            for item in items:
                body = call("p.r", "r", "downloadEdoc", {"docId": item["docId"]}, method="GET")
                assert body.startswith(b"<"), body[:200]
                assert json.loads(call("p.r", "r", "updateStatus",
                                       {"docId": item["docId"], "status": "done"}))["status"] == "OK"
                n += 1

    for pkg in packages[:10]:  # warm-up: imports, connection
        send(pkg)
    deliver_all()
    profile = cProfile.Profile(time.process_time)
    backend = BackendMeter() if args.pg_statements else None
    cpu = time.process_time()
    if not args.no_profile:
        profile.enable()
    for pkg in packages[10:]:
        send(pkg)
    profile.disable()
    if backend is not None:
        backend.stop()
    accept_cpu = (time.process_time() - cpu) / args.packages
    cpu = time.process_time()
    delivered = deliver_all()
    deliver_cpu = (time.process_time() - cpu) / delivered
    cpu = time.process_time()
    for _ in range(args.polls):  # what every system's poll finds most of the time: nothing
        assert json.loads(call("p.r", "r", "getReceivedEdocList",
                               {"servicetype": "eDoc", "messagetype": "edoc", "n": str(time.time_ns())}))["data"] == []
    poll_cpu = (time.process_time() - cpu) / max(args.polls, 1)
    print(f"{args.db}: CPU per accept {accept_cpu * 1000:.2f} ms, per delivery (list share + download + "
          f"acknowledge) {deliver_cpu * 1000:.2f} ms, per empty poll {poll_cpu * 1000:.2f} ms "
          f"(this process: hub code; the database's own CPU not counted)")
    if backend is not None:
        backend.report(args.packages)
    if not args.no_profile:
        stats = pstats.Stats(profile)
        stats.sort_stats(args.sort).print_stats(args.top)
        for name in args.callees:
            stats.print_callees(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The minimal-server ceiling for the hub's accept rate (issue 17), run by bench/hub_bench.py.

    python bench/hub_ceiling.py --port P --dir D --database postgresql://... [--threads 8] [--workers 1]

A WSGI application with nothing but what accepting a package physically needs, served by
the same server as `vpdt hub serve` with the same options (waitress with THREADS threads
for one worker; gunicorn gthread, WORKERS x THREADS, for more): each POST streams its
body (64 KiB reads, never held whole) to a temporary file while computing its SHA-256,
fsyncs the file, renames it to its hash, fsyncs the directory, then inserts one row
(hash, size) into PostgreSQL and commits (one connection per thread, psycopg,
synchronous commit). No authentication, no parsing, no routing, no log: what the hub
does beyond this is its own cost. The answer is the hub's JSON shape
({"status": "OK", "DocId": ...}) so the same load generator drives both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import threading
from pathlib import Path

TABLE = ("CREATE TABLE IF NOT EXISTS ceiling_accept (id bigserial PRIMARY KEY, sha256 char(64) NOT NULL, "
         "size bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")


def make_app(root: Path, database: str):
    import psycopg

    local = threading.local()
    root.mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(exist_ok=True)
    dir_fd = os.open(root, os.O_RDONLY)

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(database)
        return conn

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        digest = hashlib.sha256()
        tmp = root / "tmp" / f"{threading.get_ident()}-{os.getpid()}"
        with open(tmp, "wb") as fh:
            left = length
            while left:
                chunk = stream.read(min(65536, left))
                if not chunk:
                    break
                digest.update(chunk)
                fh.write(chunk)
                left -= len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        sha = digest.hexdigest()
        os.replace(tmp, root / sha)
        os.fsync(dir_fd)
        conn = connection()
        with conn.cursor() as cur:
            cur.execute("INSERT INTO ceiling_accept (sha256, size) VALUES (%s, %s) RETURNING id", (sha, length))
            row_id = cur.fetchone()[0]
        conn.commit()
        body = json.dumps({"status": "OK", "DocId": str(row_id)}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    import psycopg

    with psycopg.connect(args.database, autocommit=True) as conn:
        conn.execute(TABLE)
    app = make_app(Path(args.dir), args.database)
    if args.workers == 1:  # what `vpdt hub serve` runs with one worker (vpdt.hub.cli._waitress_options)
        import waitress

        waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="ceiling",
                       channel_timeout=300, connection_limit=1000, _quiet=True)
        return 0
    from gunicorn.app.base import BaseApplication

    options = {"bind": [f"{args.host}:{args.port}"], "workers": args.workers, "worker_class": "gthread",
               "threads": args.threads, "timeout": 300, "graceful_timeout": 10, "reuse_port": True,
               "accesslog": None, "control_socket_disable": True, "proc_name": "ceiling"}

    class Application(BaseApplication):  # the options of vpdt.core.serving.serve_processes
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Application().run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

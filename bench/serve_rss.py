"""Idle memory of `vpdt serve` (one process: waitress and the job consumer thread).

    python bench/serve_rss.py [--pg-name vpdt_bench_load_small] [--runs 3] [--src OTHER/src]

Starts `vpdt serve` on a free loopback port against a bench database already built by
bench/load_test.py (PostgreSQL; its data dir under var/), waits for /healthz, opens the login
page once (templates, URLs and the middleware loaded), waits 5 s and reads the process's RSS
(/proc/<pid>/status VmRSS). Prints the median of RUNS starts and the heavy libraries a fresh
`django.setup()` + WSGI application loads (what a lazy import would spare).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["pyhanko", "docx", "segno", "holidays", "reportlab", "pypdf", "openpyxl", "signxml", "boto3",
         "ninja", "pydantic", "lxml", "cryptography", "psycopg", "huey", "redis", "httpx"]


def _env(pg_name: str, src: str) -> dict:
    data = ROOT / "var" / ("load" if pg_name == "vpdt_bench_load" else f"load-{pg_name}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(VPDT_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{pg_name}",
               VPDT_HUB_DATABASE_URL=f"sqlite:///{data / 'hub.sqlite3'}", VPDT_DATA_DIR=str(data),
               VPDT_SECRET_KEY="vpdt-bench-load-secret-key-never-deployed-0123456789abcdef",
               PYTHONPATH=src)
    return env


def one(env: dict) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "vpdt.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        httpx.get(f"http://127.0.0.1:{port}/dang-nhap/", timeout=30)
        time.sleep(5)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-name", default="vpdt_bench_load_small")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", default=str(ROOT / "src"), help="the code to measure (another checkout's src/)")
    args = parser.parse_args()
    env = _env(args.pg_name, args.src)
    sizes = [one(env) for _ in range(args.runs)]
    print(f"vpdt serve idle RSS: median {statistics.median(sizes):.0f} MB ({', '.join(f'{s:.0f}' for s in sizes)}); "
          f"load average {os.getloadavg()[0]:.1f}")
    probe = ("import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'vpdt.settings'); "
             "django.setup(); from vpdt.wsgi import application; from django.urls import resolve; resolve('/'); "
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout.strip()
    print(f"heavy libraries loaded at start: {loaded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

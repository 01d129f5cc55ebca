"""Benchmark: packages per second accepted and delivered by one hub process.

    python bench/hub_bench.py [--db sqlite|postgres|both] [--packages 600] [--runs 3] [--clients 8]

Starts `vpdt hub serve` (one process, waitress threads, forwarder idle), registers a
sender and a receiver system, then:
- accepted/s: CLIENTS threads send PACKAGES distinct packages (100 KB attachment, about
  137 KB of edXML) with sendEdoc as the SDK shapes it;
- delivered/s: CLIENTS threads of the receiver list, fetch (downloadEdoc), and acknowledge
  (updateStatus done) all of them.
Prints each run and the median. PostgreSQL: 127.0.0.1:5432, user postgres, database
vpdt_hub_bench (re-created each run).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from hub import factories  # noqa: E402
from hub.procs import HubProcess, wait_for  # noqa: E402

SENDER, RECEIVER = "000.00.00.H53", "000.00.13.H53"
PG_URL = "postgres://postgres@127.0.0.1:5432/vpdt_hub_bench"


def recreate_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS vpdt_hub_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE vpdt_hub_bench")


def one_run(db: str, packages: list[Path], clients: int, work: Path) -> tuple[float, float]:
    hub = HubProcess(f"hub-{db}-{time.monotonic_ns()}", work)
    if db == "postgres":
        recreate_pg()
        hub.args = lambda: ["--data-dir", str(hub.dir), "--database", PG_URL]  # type: ignore[method-assign]
    hub.run("add-agency", SENDER, "UBND tỉnh", "--system-id", "bench.s", "--secret", "s")
    hub.run("add-agency", RECEIVER, "Sở TT&TT", "--system-id", "bench.r", "--secret", "r")
    hub.start()
    try:
        send_clients = [hub.client("bench.s", "s") for _ in range(clients)]
        start = time.perf_counter()
        with cf.ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda ip: send_clients[ip[0] % clients].send_edoc(ip[1], from_code=SENDER, to=[RECEIVER]),
                          enumerate(packages)))
        accepted = len(packages) / (time.perf_counter() - start)

        recv_clients = [hub.client("bench.r", "r") for _ in range(clients)]
        items = []
        wait_for(lambda: items.extend(recv_clients[0].get_received_edoc_list()) or items)
        dest = hub.dir / "in"
        dest.mkdir()

        def fetch(ix):
            i, item = ix
            client = recv_clients[i % clients]
            client.download_edoc(item["docId"], dest / f"{item['docId']}.edxml")
            client.update_status(item["docId"], "done")

        start = time.perf_counter()
        delivered_count = 0
        while items:
            with cf.ThreadPoolExecutor(clients) as pool:
                list(pool.map(fetch, enumerate(items)))
            delivered_count += len(items)
            items = recv_clients[0].get_received_edoc_list()
        delivered = delivered_count / (time.perf_counter() - start)
        assert delivered_count == len(packages), delivered_count
        for c in send_clients + recv_clients:
            c.close()
        return accepted, delivered
    finally:
        hub.stop()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "?")
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return f"{os.cpu_count()} CPUs ({cpu}), {mem / 1024 / 1024:.1f} GiB RAM"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--packages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--attachment-kb", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        packages = [factories.document(work / f"p{i}.edxml", from_code=SENDER, to=[RECEIVER], number=i,
                                       attachment=args.attachment_kb * 1024) for i in range(args.packages)]
        size = packages[0].stat().st_size
        print(f"dataset: {args.packages} packages, {args.attachment_kb} KB attachment, {size} bytes each, "
              f"{args.clients} client threads")
        for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
            results = []
            for run in range(args.runs):
                accepted, delivered = one_run(db, packages, args.clients, work)
                results.append((accepted, delivered))
                print(f"{db} run {run + 1}: accepted {accepted:.0f}/s, delivered {delivered:.0f}/s", flush=True)
            print(f"{db} median: accepted {statistics.median(r[0] for r in results):.0f}/s, "
                  f"delivered {statistics.median(r[1] for r in results):.0f}/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: packages per second accepted and delivered by one hub process.

    python bench/hub_bench.py [--db sqlite|postgres|both] [--packages 600] [--runs 3] [--clients 8]
                              [--client raw|sdk] [--threads 8] [--workers 1]

Starts `vpdt hub serve` (one waitress process, or gunicorn with --workers; the
federation job idle), registers a sender and a receiver system, then:
- accepted/s: CLIENTS threads send PACKAGES distinct packages (100 KB attachment, about
  137 KB of edXML) with sendEdoc as the SDK shapes it (signed headers, body + CRLF);
- delivered/s: CLIENTS threads of the receiver list, fetch (downloadEdoc), and acknowledge
  (updateStatus done) all of them; the count must equal PACKAGES, and `verify-log` must
  pass after each run.
The load generator is `raw` (http.client keep-alive, hash-file computed beforehand) by
default, or `sdk` (vpdt's VxpClient on httpx, several ms of CPU per request on the same
cores). Each phase prints the CPU per package of the hub process(es), of PostgreSQL and
of the load generator, and how busy the whole machine was. Prints each run and the
median. PostgreSQL: 127.0.0.1:5432, user postgres, database vpdt_hub_bench (re-created
each run).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from hub import factories  # noqa: E402
from hub.procs import HubProcess, wait_for  # noqa: E402
from vpdt.vxp import protocol as vxp  # noqa: E402

SENDER, RECEIVER = "000.00.00.H53", "000.00.13.H53"
PG_URL = "postgres://postgres@127.0.0.1:5432/vpdt_hub_bench"


def recreate_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS vpdt_hub_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE vpdt_hub_bench")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its children (workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += sum(int(x) for x in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL processes of this machine."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if "(postgres)" in stat:
                total += sum(int(x) for x in stat.rsplit(")", 1)[1].split()[11:13])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    ticks = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


class Meter:
    """Wall time and CPU of the hub process and of this load generator over one phase."""

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        self.wall, self.server, self.client = time.perf_counter(), proc_cpu(self.pid), time.process_time()
        self.busy, self.db = machine_busy(), postgres_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.server = proc_cpu(self.pid) - self.server
        self.client = time.process_time() - self.client
        self.db = postgres_cpu() - self.db
        busy, total = machine_busy()
        self.busy = (busy - self.busy[0]) / (total - self.busy[1])

    def line(self, what: str, count: int) -> str:
        return (f"{what} {count / self.wall:.0f}/s (server {self.server / count * 1000:.1f} ms CPU/pkg, "
                f"PostgreSQL {self.db / count * 1000:.1f}, load generator {self.client / count * 1000:.1f}; "
                f"machine {self.busy:.0%} busy)")


class RawClient:
    """A lean load generator: the SDK's signed headers (vxp.sign_headers) over one
    keep-alive http.client connection, the body sent from memory. httpx (VxpClient)
    costs several ms of CPU per request, taken from the same 2 cores as the hub."""

    def __init__(self, port: int, system_id: str, secret: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.system_id, self.secret = system_id, secret
        self.timestamp = vxp.sdk_timestamp()

    def request(self, method: str, op: str, values: dict, body: bytes = b"", content_type="application/json"):
        headers = vxp.sign_headers(self.system_id, self.secret, values, timestamp=self.timestamp,
                                   content_type=content_type)
        self.conn.putrequest(method, "/" + op, skip_accept_encoding=True)
        for name, value in headers:
            self.conn.putheader(name, value.encode("utf-8"))
        self.conn.putheader("Content-Length", str(len(body)))
        self.conn.endheaders(body)
        response = self.conn.getresponse()
        return response.getheader("Content-Type", ""), response.read()

    def call(self, op: str, values: dict, body: bytes = b"{}") -> dict:
        _, raw = self.request("POST", op, values, body)
        answer = json.loads(raw)
        assert answer["status"] == "OK", answer
        return answer

    def send_edoc(self, package: tuple[bytes, str], *, from_code: str, to: list[str]) -> str:
        data, hash_file = package
        _, raw = self.request("POST", "sendEdoc", {
            "from": from_code, "servicetype": "eDoc", "messagetype": "edoc", "hash-file": hash_file,
            "to": json.dumps(to, separators=(",", ":"))}, data + b"\r\n", "application/octet-stream")
        answer = json.loads(raw)
        assert answer["status"] == "OK", answer
        return answer["DocId"]

    def get_received_edoc_list(self) -> list[dict]:
        return self.call("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, b"")["data"]

    def download_edoc(self, doc_id: str, dest: Path) -> None:
        content_type, raw = self.request("GET", "downloadEdoc", {"docId": doc_id})
        assert content_type.startswith("application/octet-stream"), raw[:300]
        dest.write_bytes(raw)

    def update_status(self, doc_id: str, status: str) -> dict:
        return self.call("updateStatus", {"docId": doc_id, "status": status})

    def close(self) -> None:
        self.conn.close()


def one_run(db: str, packages: list[Path], clients: int, work: Path, client_kind: str,
            server_args: list[str]) -> tuple[float, float]:
    hub = HubProcess(f"hub-{db}-{time.monotonic_ns()}", work)
    if db == "postgres":
        recreate_pg()
        hub.args = lambda: ["--data-dir", str(hub.dir), "--database", PG_URL]  # type: ignore[method-assign]
    hub.run("add-agency", SENDER, "UBND tỉnh", "--system-id", "bench.s", "--secret", "s")
    hub.run("add-agency", RECEIVER, "Sở TT&TT", "--system-id", "bench.r", "--secret", "r")
    hub.start(*server_args)
    try:
        if client_kind == "raw":
            def connect(system_id, secret):
                return RawClient(hub.port, system_id, secret)
            # the hash-file each sender computes is the load generator's work, done beforehand
            payload = [(p.read_bytes(), vxp.hash_file_hex(hashlib.sha256(p.read_bytes()).digest()))
                       for p in packages]
        else:
            connect = hub.client
            payload = packages
        opened = []
        local = threading.local()

        def own(system_id, secret):  # one client (connection) per load-generator thread
            client = getattr(local, system_id, None)
            if client is None:
                client = connect(system_id, secret)
                setattr(local, system_id, client)
                opened.append(client)
            return client

        with Meter(hub.proc.pid) as sent, cf.ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda p: own("bench.s", "s").send_edoc(p, from_code=SENDER, to=[RECEIVER]), payload))

        lister = connect("bench.r", "r")
        opened.append(lister)
        items = []
        wait_for(lambda: items.extend(lister.get_received_edoc_list()) or items)
        dest = hub.dir / "in"
        dest.mkdir()

        def fetch(item):
            client = own("bench.r", "r")
            client.download_edoc(item["docId"], dest / f"{item['docId']}.edxml")
            client.update_status(item["docId"], "done")

        delivered_count = 0
        with Meter(hub.proc.pid) as got:
            while items:
                with cf.ThreadPoolExecutor(clients) as pool:
                    list(pool.map(fetch, items))
                delivered_count += len(items)
                items = lister.get_received_edoc_list()
        assert delivered_count == len(packages), delivered_count
        print("   ", sent.line("accepted", len(packages)), "|", got.line("delivered", delivered_count), flush=True)
        for c in opened:
            c.close()
        check = hub.run("verify-log")
        assert "OK" in check, check
        return len(packages) / sent.wall, delivered_count / got.wall
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
    parser.add_argument("--client", choices=["raw", "sdk"], default="raw",
                        help="raw: http.client keep-alive (lean); sdk: vpdt's VxpClient on httpx")
    parser.add_argument("--threads", type=int, default=8, help="threads per hub worker process")
    parser.add_argument("--workers", type=int, default=1, help="hub worker processes (vpdt hub serve --workers)")
    args = parser.parse_args()
    server_args = ["--threads", str(args.threads), "--workers", str(args.workers)]
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        packages = [factories.document(work / f"p{i}.edxml", from_code=SENDER, to=[RECEIVER], number=i,
                                       attachment=args.attachment_kb * 1024) for i in range(args.packages)]
        size = packages[0].stat().st_size
        print(f"dataset: {args.packages} packages, {args.attachment_kb} KB attachment, {size} bytes each, "
              f"{args.clients} client threads ({args.client} client), hub: {' '.join(server_args)}")
        for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
            results = []
            for run in range(args.runs):
                accepted, delivered = one_run(db, packages, args.clients, work, args.client, server_args)
                results.append((accepted, delivered))
                print(f"{db} run {run + 1}: accepted {accepted:.0f}/s, delivered {delivered:.0f}/s", flush=True)
            print(f"{db} median: accepted {statistics.median(r[0] for r in results):.0f}/s, "
                  f"delivered {statistics.median(r[1] for r in results):.0f}/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
each run; every database the bench made is dropped when it ends).

    python bench/hub_bench.py --db postgres --ceiling [--packages 300] [--runs 3] [--workers N]

Ceiling (PostgreSQL): after each run, bench/hub_ceiling.py (a minimal WSGI app on the same
server with the same threads and workers: body streamed to disk with SHA-256, fsync of
file and directory, one PostgreSQL row committed) receives the same bodies from the same
load generator; the ratio hub/ceiling per run and its median is the figure (issue 17:
>= 0.3), with CPU per package of each. Both are served as docs/deploy.md serves the hub
(2 processes of 8 threads) unless --workers says otherwise (--workers 1: one waitress
process each).

    python bench/hub_bench.py --history --waiting 100000 --done 1000000 [--packages 300] [--runs 3]

History (PostgreSQL only): two hubs side by side, one empty and one whose database holds
WAITING deliveries queued for other agencies and DONE finished ones (each with its package
and submission, written by bulk SQL, not through the API, then ANALYZEd). Each round sends
the same fresh PACKAGES to both hubs in turn (empty, then history), then delivers them,
so both see the same machine load; the ratio history/empty per round and its median is
the figure (target: within 10 %).
"""

from __future__ import annotations

import argparse
import atexit
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
from hub.procs import HubProcess, finish, wait_for  # noqa: E402
from vpdt.vxp import protocol as vxp  # noqa: E402

SENDER, RECEIVER = "000.00.00.H53", "000.00.13.H53"
PG_URL = "postgres://postgres@127.0.0.1:5432/vpdt_hub_bench"


_MADE: set[str] = set()  # the databases this run made: dropped when it ends


def _created(conn, name: str) -> None:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
    _MADE.add(name)


def _drop_made() -> None:
    """Nothing left behind in PostgreSQL (a history hub's million rows take gigabytes)."""
    if not _MADE:
        return
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        for name in sorted(_MADE):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        _created(conn, "vpdt_hub_bench")


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


def postgres_cpu(database: str | None = None) -> float:
    """CPU seconds used so far by the PostgreSQL processes of this machine; with `database`,
    only the backends connected to it (other sessions share this server)."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
                if database is not None and f" {database} ".encode() not in open(
                        f"/proc/{entry}/cmdline", "rb").read() + b" ":
                    continue
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

    def __init__(self, pid: int, database: str | None = None):
        self.pid, self.database = pid, database

    def __enter__(self):
        # The files of the phase before are written back now, not during this one (on a
        # filesystem without a journal, a dirty inode table also makes every new file scan
        # longer past the inodes freed in the last five minutes).
        os.sync()
        self.wall, self.server, self.client = time.perf_counter(), proc_cpu(self.pid), time.process_time()
        self.busy, self.db = machine_busy(), postgres_cpu(self.database)
        self.load = os.getloadavg()[0]
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.server = proc_cpu(self.pid) - self.server
        self.client = time.process_time() - self.client
        self.db = postgres_cpu(self.database) - self.db
        busy, total = machine_busy()
        self.busy = (busy - self.busy[0]) / (total - self.busy[1])

    def line(self, what: str, count: int) -> str:
        return (f"{what} {count / self.wall:.0f}/s (server {self.server / count * 1000:.1f} ms CPU/pkg, "
                f"PostgreSQL {self.db / count * 1000:.1f}, load generator {self.client / count * 1000:.1f}; "
                f"machine {self.busy:.0%} busy, load {self.load:.1f})")


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
        try:
            return self._send(method, op, headers, body)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # an idle keep-alive connection the server closed (gunicorn's keepalive, 2 s):
            # the request never reached it; once more on a new connection
            self.conn.close()
            return self._send(method, op, headers, body)

    def _send(self, method: str, op: str, headers, body: bytes):
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
        self.timestamp = vxp.sdk_timestamp()  # the same list request twice is a replay without it
        return self.call("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, b"")["data"]

    def download_edoc(self, doc_id: str, dest: Path) -> None:
        content_type, raw = self.request("GET", "downloadEdoc", {"docId": doc_id})
        assert content_type.startswith("application/octet-stream"), raw[:300]
        dest.write_bytes(raw)

    def update_status(self, doc_id: str, status: str) -> dict:
        return self.call("updateStatus", {"docId": doc_id, "status": status})

    def close(self) -> None:
        self.conn.close()


CEILING_URL = "postgresql://postgres@127.0.0.1:5432/vpdt_hub_ceiling"


def ceiling_phase(payload: list[tuple[bytes, str]], clients: int, work: Path, server_args: list[str]) -> float:
    """The minimal-server ceiling (bench/hub_ceiling.py, same server and options as the hub):
    the same bodies sent the same way by the same load generator; packages/s."""
    import subprocess

    import psycopg

    from hub.procs import free_port

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        _created(conn, "vpdt_hub_ceiling")
    port, root = free_port(), work / f"ceiling-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "hub_ceiling.py"), "--port", str(port),
                             "--dir", str(root), "--database", CEILING_URL, *server_args])
    try:
        wait_for(lambda: _listening(port), timeout=30)
        opened = []
        local = threading.local()

        def own():
            client = getattr(local, "c", None)
            if client is None:
                client = local.c = RawClient(port, "bench.s", "s")
                opened.append(client)
            return client

        for p in payload[:10]:  # warm-up: connections, imports (not counted)
            own().send_edoc(p, from_code=SENDER, to=[RECEIVER])
        with Meter(proc.pid, "vpdt_hub_ceiling") as sent, cf.ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda p: own().send_edoc(p, from_code=SENDER, to=[RECEIVER]), payload))
        print("   ", sent.line("ceiling accepted", len(payload)), flush=True)
        for c in opened:
            c.close()
        with psycopg.connect(CEILING_URL) as conn:
            rows = conn.execute("SELECT count(*) FROM ceiling_accept").fetchone()[0]
        assert rows == len(payload) + 10, rows
        return len(payload) / sent.wall
    finally:
        proc.terminate()
        proc.wait(10)


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def one_run(db: str, packages: list[Path], clients: int, work: Path, client_kind: str,
            server_args: list[str], ceiling: bool = False,
            warm: list[Path] = ()) -> tuple[float, float, float | None]:
    """One hub: `warm` packages sent first and not counted (as the ceiling's warm-up: imports,
    connections), then `packages` accepted and delivered, timed; with `ceiling`, the minimal
    server on the same bodies."""
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
            warm_payload = [(p.read_bytes(), vxp.hash_file_hex(hashlib.sha256(p.read_bytes()).digest()))
                            for p in warm]
        else:
            connect = hub.client
            payload, warm_payload = packages, list(warm)
        opened = []
        local = threading.local()

        def own(system_id, secret):  # one client (connection) per load-generator thread
            client = getattr(local, system_id, None)
            if client is None:
                client = connect(system_id, secret)
                setattr(local, system_id, client)
                opened.append(client)
            return client

        database = "vpdt_hub_bench" if db == "postgres" else None
        for p in warm_payload:  # warm-up, as the ceiling's: not counted (packages of their own, not duplicates)
            own("bench.s", "s").send_edoc(p, from_code=SENDER, to=[RECEIVER])
        with Meter(hub.proc.pid, database) as sent, cf.ThreadPoolExecutor(clients) as pool:
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
        with Meter(hub.proc.pid, database) as got:
            while items:
                with cf.ThreadPoolExecutor(clients) as pool:
                    list(pool.map(fetch, items))
                delivered_count += len(items)
                items = lister.get_received_edoc_list()
        assert delivered_count == len(packages) + len(warm), delivered_count
        print("   ", sent.line("accepted", len(packages)), "|", got.line("delivered", delivered_count), flush=True)
        for c in opened:
            c.close()
        check = hub.run("verify-log")
        assert "OK" in check, check
    finally:
        hub.stop()
    top = None
    if ceiling:
        raw = [(p.read_bytes(), vxp.hash_file_hex(hashlib.sha256(p.read_bytes()).digest())) for p in packages]
        top = ceiling_phase(raw, clients, work, server_args)
        print(f"    hub/ceiling accepted: {len(packages) / sent.wall / top:.3f}", flush=True)
    return len(packages) / sent.wall, delivered_count / got.wall, top


OTHERS = [f"000.00.{n:02d}.H53" for n in range(20, 28)]  # the history's other receivers


def history_sql(waiting: int, done: int) -> list[str]:
    """Bulk SQL writing `done` finished and `waiting` pending deliveries (one package and
    submission each) into a hub database that has no package yet. Done ones go to the bench
    receiver and the others in turn; waiting ones to the others only (the bench receiver's
    own queue stays what the run sends it)."""
    total = waiting + done
    codes = [RECEIVER, *OTHERS]
    to_case = "CASE (i % {n}) {whens} END".format(n=len(codes), whens=" ".join(
        f"WHEN {k} THEN '{c}'" for k, c in enumerate(codes)))
    wait_case = "CASE (i % {n}) {whens} END".format(n=len(OTHERS), whens=" ".join(
        f"WHEN {k} THEN '{c}'" for k, c in enumerate(OTHERS)))
    to_expr = f"(CASE WHEN i <= {done} THEN {to_case} ELSE {wait_case} END)"
    age = f"now() - make_interval(secs => ({total} - i) * 30)"  # one every 30 s, oldest first
    return [
        f"""INSERT INTO hub_package (id, sha256, size, message_type, from_code, document_id, business_type,
                status_code, subject, notation, created_at, purged_at)
            SELECT i, md5('p' || i) || md5('q' || i), 140000, 'edoc', '{SENDER}', 'hist-' || i, 0, '',
                   'Văn bản lịch sử ' || i, i || '/UBND-VP', {age}, NULL
            FROM generate_series(1, {total}) AS i""",
        f"""INSERT INTO hub_submission (id, doc_id, package_id, system_id, from_code, via_upstream, created_at)
            SELECT i, 'hs-' || i, i, (SELECT id FROM hub_system WHERE system_id = 'bench.s'), '{SENDER}', false,
                   {age}
            FROM generate_series(1, {total}) AS i""",
        f"""INSERT INTO hub_delivery (id, doc_id, submission_id, package_id, message_type, from_code, to_code, route,
                holder_id, state, error_code, error_desc, dedupe_key, attempts, next_attempt_at, remote_doc_id,
                receive_status, receive_status_at, created_at, updated_at, fetched_at, done_at)
            SELECT i, 'hd-' || i, i, i, 'edoc', '{SENDER}', t.code, 'local',
                   (SELECT a.system_id FROM hub_agency a WHERE a.code = t.code),
                   CASE WHEN i <= {done} THEN 'done' ELSE 'pending' END, '', '',
                   '{SENDER}|hist-' || i || '|' || t.code, 0, NULL, '', '', NULL, {age}, {age},
                   CASE WHEN i <= {done} THEN {age} END, CASE WHEN i <= {done} THEN {age} END
            FROM generate_series(1, {total}) AS i, LATERAL (SELECT {to_expr} AS code) AS t""",
        "SELECT setval(pg_get_serial_sequence('hub_package', 'id'), (SELECT max(id) FROM hub_package))",
        "SELECT setval(pg_get_serial_sequence('hub_submission', 'id'), (SELECT max(id) FROM hub_submission))",
        "SELECT setval(pg_get_serial_sequence('hub_delivery', 'id'), (SELECT max(id) FROM hub_delivery))",
        "ANALYZE hub_package", "ANALYZE hub_submission", "ANALYZE hub_delivery",
    ]


def history_run(args, work: Path, server_args: list[str]) -> int:
    import psycopg

    rounds = [[factories.document(work / f"r{r}p{i}.edxml", from_code=SENDER, to=[RECEIVER],
                                  number=100000 + r * args.packages + i, attachment=args.attachment_kb * 1024)
               for i in range(args.packages)] for r in range(args.runs)]
    print(f"dataset: {args.runs} rounds of {args.packages} packages ({rounds[0][0].stat().st_size} bytes each), "
          f"{args.clients} client threads, hub: {' '.join(server_args)}; history hub: {args.waiting} waiting + "
          f"{args.done} done deliveries", flush=True)
    hubs = {}
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        for name in ("empty", "history"):
            _created(conn, f"vpdt_hub_bench_{name}")
    for name in ("empty", "history"):
        hub = HubProcess(f"hub-{name}-{time.monotonic_ns()}", work)
        url = f"postgres://postgres@127.0.0.1:5432/vpdt_hub_bench_{name}"
        hub.args = (lambda h, u: lambda: ["--data-dir", str(h.dir), "--database", u])(hub, url)  # type: ignore
        commands = [("add-agency", SENDER, "UBND tỉnh", "--system-id", "bench.s", "--secret", "s"),
                    ("add-agency", RECEIVER, "Sở TT&TT", "--system-id", "bench.r", "--secret", "r")]
        commands += [("add-agency", code, f"Đơn vị {code}", "--system-id", f"bench.o{k}", "--secret", "o")
                     for k, code in enumerate(OTHERS)]
        finish(hub.spawn(*commands), timeout=300)
        hubs[name] = (hub, url)
    started = time.perf_counter()
    with psycopg.connect(hubs["history"][1].replace("postgres://", "postgresql://"), autocommit=True) as conn:
        for statement in history_sql(args.waiting, args.done):
            conn.execute(statement)
        counts = conn.execute("SELECT state, count(*) FROM hub_delivery GROUP BY state ORDER BY state").fetchall()
    print(f"history written by SQL in {time.perf_counter() - started:.0f} s: {dict(counts)}", flush=True)
    results: dict[str, list[tuple[float, float]]] = {"empty": [], "history": []}
    try:
        warm = [factories.document(work / f"warm{i}.edxml", from_code=SENDER, to=[RECEIVER], number=90000 + i,
                                   attachment=args.attachment_kb * 1024) for i in range(20)]
        for name in hubs:
            hubs[name][0].start(*server_args)
            phase(hubs[name][0], warm, args.clients)  # not counted: imports, connections, caches
        for r, packages in enumerate(rounds):
            for name, (hub, _) in hubs.items():
                accepted, delivered = phase(hub, packages, args.clients, f"vpdt_hub_bench_{name}")
                results[name].append((accepted, delivered))
                print(f"round {r + 1} {name}: accepted {accepted:.0f}/s, delivered {delivered:.0f}/s", flush=True)
            ratio = results["history"][-1][0] / results["empty"][-1][0]
            print(f"round {r + 1} accept ratio history/empty: {ratio:.2f}", flush=True)
    finally:
        for hub, _ in hubs.values():
            hub.stop()
    for hub, _ in hubs.values():
        check = hub.run("verify-log")
        assert "OK" in check, check
    ratios = [h[0] / e[0] for h, e in zip(results["history"], results["empty"], strict=True)]
    dratios = [h[1] / e[1] for h, e in zip(results["history"], results["empty"], strict=True)]
    for name in hubs:
        print(f"{name} median: accepted {statistics.median(x[0] for x in results[name]):.0f}/s, "
              f"delivered {statistics.median(x[1] for x in results[name]):.0f}/s")
    print(f"median ratio history/empty: accepted {statistics.median(ratios):.2f}, "
          f"delivered {statistics.median(dratios):.2f}", flush=True)
    return 0


def phase(hub: HubProcess, packages: list[Path], clients: int, database: str | None = None) -> tuple[float, float]:
    """Send `packages` to a running hub, then list, fetch and acknowledge them all (raw client)."""
    payload = [(p.read_bytes(), vxp.hash_file_hex(hashlib.sha256(p.read_bytes()).digest())) for p in packages]
    opened = []
    local = threading.local()

    def own(system_id, secret):
        client = getattr(local, system_id + str(hub.port), None)
        if client is None:
            client = RawClient(hub.port, system_id, secret)
            setattr(local, system_id + str(hub.port), client)
            opened.append(client)
        return client

    with Meter(hub.proc.pid, database) as sent, cf.ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda p: own("bench.s", "s").send_edoc(p, from_code=SENDER, to=[RECEIVER]), payload))
    lister = RawClient(hub.port, "bench.r", "r")
    opened.append(lister)
    items = lister.get_received_edoc_list()
    dest = hub.dir / f"in-{time.monotonic_ns()}"
    dest.mkdir()

    def fetch(item):
        client = own("bench.r", "r")
        client.download_edoc(item["docId"], dest / f"{item['docId']}.edxml")
        client.update_status(item["docId"], "done")

    count = 0
    with Meter(hub.proc.pid, database) as got:
        while items:
            with cf.ThreadPoolExecutor(clients) as pool:
                list(pool.map(fetch, items))
            count += len(items)
            items = lister.get_received_edoc_list()
    assert count == len(packages), count
    print("   ", sent.line("accepted", len(packages)), "|", got.line("delivered", count), flush=True)
    for c in opened:
        c.close()
    for f in dest.iterdir():
        f.unlink()
    return len(packages) / sent.wall, count / got.wall


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
    parser.add_argument("--workers", type=int, default=None,
                        help="hub worker processes (vpdt hub serve --workers); default 2 with --ceiling (the "
                             "production setup of docs/deploy.md, for the hub and the ceiling alike), else 1")
    parser.add_argument("--ceiling", action="store_true",
                        help="PostgreSQL: after each run, the minimal server (bench/hub_ceiling.py) on the same "
                             "bodies, same server and options; prints the ratio hub/ceiling")
    parser.add_argument("--history", action="store_true",
                        help="PostgreSQL: an empty hub against one with --waiting and --done deliveries kept")
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--done", type=int, default=1_000_000)
    args = parser.parse_args()
    atexit.register(_drop_made)
    if args.workers is None:
        args.workers = 2 if args.ceiling else 1
    server_args = ["--threads", str(args.threads), "--workers", str(args.workers)]
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    if args.history:
        with tempfile.TemporaryDirectory() as tmp:
            return history_run(args, Path(tmp), server_args)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        packages = [factories.document(work / f"p{i}.edxml", from_code=SENDER, to=[RECEIVER], number=i,
                                       attachment=args.attachment_kb * 1024) for i in range(args.packages)]
        # as many warm-up packages as the ceiling's warm-up requests (ceiling_phase)
        warm = [factories.document(work / f"w{i}.edxml", from_code=SENDER, to=[RECEIVER], number=80000 + i,
                                   attachment=args.attachment_kb * 1024) for i in range(10)]
        size = packages[0].stat().st_size
        print(f"dataset: {args.packages} packages, {args.attachment_kb} KB attachment, {size} bytes each, "
              f"{args.clients} client threads ({args.client} client), hub: {' '.join(server_args)}")
        for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
            results = []
            ceiling = args.ceiling and db == "postgres"
            for run in range(args.runs):
                accepted, delivered, top = one_run(db, packages, args.clients, work, args.client, server_args,
                                                   ceiling, warm)
                results.append((accepted, delivered, top))
                extra = f", ceiling {top:.0f}/s, ratio {accepted / top:.3f}" if top else ""
                print(f"{db} run {run + 1}: accepted {accepted:.0f}/s, delivered {delivered:.0f}/s{extra}",
                      flush=True)
            extra = ""
            if ceiling:
                extra = (f", ceiling {statistics.median(r[2] for r in results):.0f}/s, median ratio hub/ceiling "
                         f"{statistics.median(r[0] / r[2] for r in results):.3f}")
            print(f"{db} median: accepted {statistics.median(r[0] for r in results):.0f}/s, "
                  f"delivered {statistics.median(r[1] for r in results):.0f}/s{extra}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: end-to-end exchange on PostgreSQL through a real hub process.

    python bench/exchange_bench.py [--documents 300] [--paced 50] [--workers 4] [--kb 100]
                                  [--data-dir DIR]

One `vpdt hub serve` process (its own PostgreSQL database) and one e-office (another
PostgreSQL database) hosting a sender and a receiver agency, each its own system on the
hub. `--workers` threads of the e-office's job consumer (vpdt.core.tasks on Huey, its
SQLite queue as in `vpdt serve`) run the exchange's jobs: send the outbox and poll the hub,
again at once while they find work; the send job is woken when an outbox message commits;
the hub is polled every `--poll` seconds when idle.

- bursts: DOCUMENTS released at once (one `--kb` KB attachment each), the workers running;
  exchanges per second = documents / (time from the first release to the last status 01 back
  at the sender). Two bursts run one after the other in the same processes: the first after
  start, when each connection meets its statements for the first time (psycopg prepares one
  on its 6th execution, PostgreSQL plans the first 5 executions of a prepared one for their
  values before it keeps one plan), printed on one line; the second, the steady state of a
  working office, is the figure and its details. The
  approved, numbered documents, their files and their recipient ("Nơi nhận", saved by the
  clerk before releasing) are made before (drafting, not the exchange: its CPU is printed
  apart), their text extracted too (the search's job on the drafter's file, done before any
  release); the exchange starts with "Phát hành" (workflow.release, as the clerk's click runs
  it: the state, the package, the outbox message). Each agency has a clerk: the receiver's is
  told of each arrival (a notification). The receiver is on the same e-office, so its copy of the file (the same bytes)
  takes the text already extracted; a receiver on another e-office would extract it, and that
  CPU is printed beside the drafting's.
- paced: PACED documents released one at a time, 0.2 s apart, workers running: the median
  latency release → "đã đến" at the receiver → status 01 back at the sender.
- CPU per exchange (burst) by process and in all processes together: the hub, this e-office
  process (the releases, on the main thread, and the rest: the workers), the PostgreSQL
  backends of the two bench databases and of the hub's alone (sampled from /proc; the sampler's
  own CPU and the main thread's wait for the statuses run in this process and are taken out of
  its figures); each worker job's thread CPU and SQL statements; the release's statements; a
  same-run yardstick (fixed pure-Python work) to compare runs under other load. Two warm-up
  exchanges run first. Both databases are analysed before each burst, as autovacuum would have
  on a working server (the CI machines run PostgreSQL with it off); the bench's own wait for the
  statuses runs on a connection of its own, whose backend's CPU is printed apart, not counted.
  `--sql-log` writes the workers' statements by job, `--profile` a cProfile on thread CPU time
  (workers; FILE.release for the releases).

Creates (and drops first) the databases vpdt_xbench and vpdt_xbench_hub at
127.0.0.1:5432 as user postgres; both sides' data directories in ./var/bench (`--data-dir`:
elsewhere; bench/datadir.py says why not /tmp), removed at the end.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
import datadir  # noqa: E402
from yardstick import yardstick_ms  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
SENDER, RECEIVER = "000.00.01.H90", "000.00.02.H90"


def _recreate(*names: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def _analyze(*names: str) -> None:
    """ANALYZE the bench's databases, as autovacuum would have by then on a working server.

    Tables are written before each burst (the documents made, the first burst's rows); a server
    with autovacuum off (the CI machines) would otherwise plan on no statistics at all, and a
    lookup by primary key (and each foreign key's check) became a sequential scan of the table:
    1,200-1,700 rows of records_document read per exchange, more as the bench's tables grew."""
    import psycopg

    for name in names:
        with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
            conn.execute("ANALYZE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    # The interpreter too: an optimised build (Debian's) runs the same Python ~8 % cheaper than a
    # default source build (docs/BENCHMARKS.md, "The interpreter"), so figures compare only with it.
    python = f"Python {platform.python_version()} ({os.path.realpath(sys.executable)})"
    return f"{os.cpu_count()} cores, {cpu}, {mem} GB RAM; {python}"


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


class PgCpu(threading.Thread):
    """CPU of the PostgreSQL backends serving the bench databases (their titles name them)."""

    def __init__(self, bench_backend: int | None = None):
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self.bench_backend = bench_backend  # the backend of the bench's own wait for the statuses
        self.hub: set[int] = set()  # the backends of the hub's database
        self.kinds: dict[int, bool] = {}  # pid -> a bench database's backend (True) or no PostgreSQL (False)
        self.stop = threading.Event()
        self.start()

    def sample(self) -> None:
        """Each process's title is read until it is known, not at every sample: reading every
        process's every 50 ms cost 2.6 ms a sample, in the process it measures (10 ms of CPU per
        exchange, about 8 % of what a burst measures; now 0.3 ms a sample). A PostgreSQL process
        without a bench database in its title is read again: a new backend has the postmaster's
        title until it sets its own. (A pid found not to be PostgreSQL's is not read again: a run
        is far too short for pids to wrap round to it.)"""
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            kind = self.kinds.get(pid)
            if kind is None:
                try:
                    title = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if title.startswith(b"postgres:") and b"vpdt_xbench" in title:
                    kind = self.kinds[pid] = pid != self.bench_backend
                    if kind and b"vpdt_xbench_hub" in title:
                        self.hub.add(pid)
                elif b"postgres" not in title:
                    kind = self.kinds[pid] = False
            if kind:
                cpu = _proc_cpu(pid)
                if cpu:
                    self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.sample()

    def total(self) -> float:
        self.sample()
        return sum(self.seen.values())

    def hub_total(self) -> float:
        """The part of `total` spent on the hub's database (after a `total`)."""
        return sum(cpu for pid, cpu in self.seen.items() if pid in self.hub)

    def own_cpu(self) -> float:
        """This sampler's own CPU (seconds): it runs in the e-office's process, and is not the e-office's."""
        return time.clock_gettime(time.pthread_getcpuclockid(self.ident))


def _pdf(size: int) -> bytes:
    """A valid one-page PDF of about `size` bytes (files are judged by their bytes)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = DecodedStreamObject()
    stream.set_data(b"% " + os.urandom(size // 2).hex().encode()[:size])
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=300)
    ap.add_argument("--paced", type=int, default=50)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--kb", type=int, default=100)
    ap.add_argument("--poll", type=float, default=0.5,
                    help="seconds between polls of the hub when idle (EXCHANGE_POLL_INTERVAL_SECONDS)")
    ap.add_argument("--profile", help="write the workers' cProfile (CPU time) of the burst to this file")
    ap.add_argument("--sql-log", help="write the workers' SQL statements of the burst, by job, to this file")
    ap.add_argument("--data-dir", help="where both sides' data directories are made (default: ./var/bench, as a "
                                       "deployment keeps them out of /tmp: bench/datadir.py)")
    args = ap.parse_args()

    tmp = datadir.new_dir("xbench-", args.data_dir)
    args.data_note = datadir.describe(tmp)
    _recreate("vpdt_xbench", "vpdt_xbench_hub")
    os.environ.update(VPDT_DATA_DIR=str(tmp / "office"), VPDT_DATABASE_URL=f"{PG}/vpdt_xbench",
                      VPDT_HUB_DATABASE_URL=f"{PG}/vpdt_xbench_hub", DJANGO_SETTINGS_MODULE="vpdt.settings",
                      VPDT_DEMO="1")  # demo mode: each side's own key made in its data dir
    port = _free_port()
    hub_env = dict(os.environ, VPDT_HUB_POLL_SECONDS="1")
    hub_env.pop("DJANGO_SETTINGS_MODULE")
    hub_args = ["--database", f"{PG}/vpdt_xbench_hub", "--data-dir", str(tmp / "hub")]
    vpdt = [sys.executable, "-m", "vpdt.cli", "hub"]
    for code in (SENDER, RECEIVER):
        subprocess.run([*vpdt, "add-agency", code, f"Cơ quan {code}", "--system-id", f"sys.{code}",
                        "--secret", f"secret-{code}", *hub_args], env=hub_env, check=True, capture_output=True)
    hub = subprocess.Popen([*vpdt, "serve", "--port", str(port), "--threads", "8", *hub_args], env=hub_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return _run(args, port, hub.pid)
    finally:
        hub.terminate()
        hub.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)  # both sides' data dirs: nothing left behind


def _run(args, port: int, hub_pid: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import close_old_connections, transaction

    call_command("migrate", verbosity=0, interactive=False)
    from vpdt.directory.models import Agency, RoleAssignment, User
    from vpdt.directory.roles import Role
    from vpdt.exchange import services
    from vpdt.exchange.models import StatusEvent
    from vpdt.records import services as records
    from vpdt.records.choices import Direction, RecipientKind, State
    from vpdt.records.models import Attachment, Document, DocumentType, Recipient
    from vpdt.records.services import add_attachment
    from vpdt.search import services as search
    from vpdt.workflow import services as workflow

    endpoint = f"http://127.0.0.1:{port}"
    agencies, clerks = {}, {}
    for code in (SENDER, RECEIVER):
        agency = Agency.objects.create(code=code, name=f"Cơ quan {code}", abbreviation="UBND")
        services.connect([agency], endpoint=endpoint, system_id=f"sys.{code}", secret=f"secret-{code}")
        agencies[code] = agency
        # each agency's clerk: the sender's releases, the receiver's is told of each arrival
        clerks[code] = User.objects.create_user(username=f"vanthu.{code}", password=None, agency=agency,
                                                full_name=f"Văn thư {code}")
        RoleAssignment.objects.create(user=clerks[code], agency=agency, role=Role.CLERK)
    cong_van = DocumentType.objects.get(code="CV")
    # Each document its own file (other bytes): the drafter's file is read for its text once,
    # as in an office; made before any timing (the bench's work, not the e-office's).
    payloads = [_pdf(args.kb * 1024) for _ in range(2 + 2 * args.documents + args.paced)]
    counter = {"n": 0}

    def make() -> Document:
        """An approved, numbered outgoing document with its file and its recipient chosen: the
        drafting's and the clerk's work before the exchange (the clerk saves "Nơi nhận", then
        releases)."""
        counter["n"] += 1
        with transaction.atomic():
            doc = Document.objects.create(agency=agencies[SENDER], direction=Direction.OUTGOING,
                                          state=State.APPROVED, document_type=cong_van, number=counter["n"],
                                          notation="UBND-VP", subject=f"Văn bản đo {counter['n']}")
            add_attachment(None, doc, io.BytesIO(payloads[counter["n"] - 1]), "vb.pdf", content_type="application/pdf",
                           kind=Attachment.Kind.MAIN)
            records.replace_recipients(
                clerks[SENDER], doc, [Recipient(document=doc, kind=RecipientKind.AGENCY, agency=agencies[RECEIVER],
                                                organ_id=RECEIVER)], recipients_text=f"- Cơ quan {RECEIVER};")
        return doc

    def release(doc: Document | None = None) -> Document:
        # What "Phát hành" runs (workflow.release): the document locked and checked, its state,
        # and the exchange's deliverer (records.seams): the package and the outbox message.
        doc = doc or make()
        workflow.release(clerks[SENDER], doc)
        return doc

    from vpdt.core import tasks

    # The exchange's jobs are registered by its app; the bench's idle poll interval.
    tasks._jobs["exchange.receive"].every = args.poll
    profiles: dict = {}
    queries = {"n": 0}
    profiling = {"on": False}
    # By job name: runs, CPU seconds of the thread that ran them, SQL statements.
    by_job: dict[str, list] = {}
    local = threading.local()
    sql_log: list | None = [] if args.sql_log else None

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        name = getattr(local, "job", None)
        if name:
            by_job.setdefault(name, [0, 0.0, 0])[2] += 1
            if sql_log is not None:
                sql_log.append((name, sql))
        return execute(sql, params, many, context)

    @tasks.huey.pre_execute()
    def _before(task) -> None:
        """In each consumer thread: count its SQL and CPU by job, profile its tasks during the burst."""
        from django.db import connection

        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)
        local.job = task.name
        by_job.setdefault(task.name, [0, 0.0, 0])[0] += 1
        local.cpu = time.thread_time()
        if profiling["on"]:
            import cProfile

            # CPU time of this thread, not wall time: waits on the hub and PostgreSQL are not the
            # e-office's CPU.
            profiles.setdefault(threading.get_ident(), cProfile.Profile(time.thread_time)).enable()

    @tasks.huey.post_execute()
    def _after(task, task_value, exc) -> None:
        prof = profiles.get(threading.get_ident())
        if prof is not None:
            prof.disable()
        if getattr(local, "job", None):
            by_job.setdefault(local.job, [0, 0.0, 0])[1] += time.thread_time() - local.cpu
            local.job = None

    def start_workers():
        """The e-office's job consumer on its SQLite queue, as `vpdt serve` runs it (its tasks
        profiled while a burst asks: `profiling`)."""
        return tasks.start_in_thread(workers=args.workers)

    # The bench's wait for the statuses, on a connection of its own: its backend's CPU is the
    # bench's, not the exchange's (PgCpu leaves it out; printed apart).
    import psycopg

    waiter = psycopg.connect(f"{PG}/vpdt_xbench", autocommit=True)
    back_sql = (f"SELECT count(*) FROM {StatusEvent._meta.db_table} s JOIN {Recipient._meta.db_table} r "
                f"ON r.id = s.recipient_id WHERE s.status_code = '01' AND s.direction = %s "
                f"AND r.document_id = ANY(%s)")

    def back(docs) -> int:
        return waiter.execute(back_sql, (StatusEvent.RECEIVED, [d.pk for d in docs])).fetchone()[0]

    # What starting made is frozen out of the garbage collector's sight, as `vpdt worker` and
    # `vpdt serve` do before they work (core.serving.settle_heap).
    from vpdt.core import serving

    serving.settle_heap()
    # Both bursts' documents, made before the workers start (drafting, not the exchange).
    made_cpu = time.process_time()
    made = [make() for _ in range(2 * args.documents)]
    made_cpu = (time.process_time() - made_cpu) / 2
    text_cpu = time.process_time()
    search.drain()  # the search job's work on the drafters' files: before any release, not the exchange's
    text_cpu = (time.process_time() - text_cpu) / 2
    # warm-up: two exchanges (modules imported on first use, the VXP clients' connections, caches)
    consumer = start_workers()
    warm = [release() for _ in range(2)]
    while back(warm) < len(warm):
        time.sleep(0.2)
    from django.db import connection as main_connection

    release_statements = {"n": 0}

    def count_release(execute, sql, params, many, context):
        release_statements["n"] += 1
        return execute(sql, params, many, context)

    def burst(made: list, profile: str | None) -> dict:
        """Release `made` at once, the workers running, until every status 01 is back: the CPU
        of each process (this one split into the releases, on this thread, and the rest: the
        workers), its SQL and its jobs."""
        by_job.clear()
        if sql_log is not None:
            sql_log.clear()
        queries["n"] = release_statements["n"] = 0
        _analyze("vpdt_xbench", "vpdt_xbench_hub")
        calib0 = yardstick_ms()
        pg = PgCpu(waiter.info.backend_pid)
        waiter0 = _proc_cpu(waiter.info.backend_pid)
        cpu0 = (_proc_cpu(hub_pid), time.process_time(), pg.total(), pg.hub_total(), time.thread_time())
        bench0 = pg.own_cpu()
        t0 = time.time()
        profiling["on"] = bool(profile)
        with main_connection.execute_wrapper(count_release):
            if profile:
                import cProfile

                release_profile = cProfile.Profile(time.thread_time)
                docs = release_profile.runcall(lambda: [release(doc) for doc in made])
                release_profile.dump_stats(profile + ".release")
            else:
                docs = [release(doc) for doc in made]
        t_released = time.time()
        released_cpu = time.thread_time()
        while back(docs) < len(docs):
            time.sleep(0.2)
        t_end = time.time()
        cpu1 = (_proc_cpu(hub_pid), time.process_time(), pg.total(), pg.hub_total(), time.thread_time())
        profiling["on"] = False
        pg.stop.set()
        bench_own = (pg.own_cpu() - bench0) + (cpu1[4] - released_cpu)  # the sampler; the wait for statuses
        waiter_pg = _proc_cpu(waiter.info.backend_pid) - waiter0
        per = 1000 / len(docs)
        out = {"n": len(docs), "per": per, "t_released": t_released - t0, "t_end": t_end - t0,
               "hub": (cpu1[0] - cpu0[0]) * per, "release": (released_cpu - cpu0[4]) * per,
               "pg": (cpu1[2] - cpu0[2]) * per, "pg_hub": (cpu1[3] - cpu0[3]) * per,
               "bench_own": bench_own * per, "waiter_pg": waiter_pg * per, "queries": queries["n"] / len(docs),
               "release_statements": release_statements["n"] / len(docs),
               "jobs": {name: list(v) for name, v in by_job.items()}, "calib0": calib0}
        # The workers: this process's CPU less the releases and the bench's own.
        out["workers"] = ((cpu1[1] - cpu0[1]) - (released_cpu - cpu0[4])) * per - out["bench_own"]
        out["total"] = out["hub"] + out["release"] + out["workers"] + out["pg"]
        out["calib1"] = yardstick_ms()
        return out

    # Two bursts, one after the other, the same processes: the first after start (each
    # connection's statements new to it: psycopg prepares a statement on its 6th execution and
    # PostgreSQL plans its first 5 executions of a prepared one for their values before it
    # keeps one plan), the second in the steady state of a working office, the figure.
    first = burst(made[:args.documents], None)
    result = burst(made[args.documents:], args.profile)
    if sql_log is not None:
        Path(args.sql_log).write_text("".join(f"{name}\t{' '.join(sql.split())}\n" for name, sql in sql_log))
        sql_log = None

    # paced
    time.sleep(1)
    paced = []
    for _ in range(args.paced):
        paced.append(release())
        time.sleep(0.2)
    while back(paced) < len(paced):
        time.sleep(0.1)
    consumer.stop(graceful=True)
    close_old_connections()
    waiter.close()
    if profiles:
        import pstats

        first_profile, *rest = profiles.values()
        stats = pstats.Stats(first_profile)
        for prof in rest:
            stats.add(prof)
        stats.dump_stats(args.profile)
    lat_arrive, lat_back = [], []
    for doc in paced:
        copy = Document.objects.get(agency=agencies[RECEIVER], edxml_document_id=doc.edxml_document_id)
        event = StatusEvent.objects.get(recipient__document=doc, status_code="01", direction=StatusEvent.RECEIVED)
        lat_arrive.append((copy.created_at - doc.updated_at).total_seconds())
        lat_back.append((event.created_at - doc.updated_at).total_seconds())
    print(f"machine: {_machine()}")
    print(args.data_note)
    r = result
    print(f"first burst after start: {first['n']} documents, CPU per exchange, all processes together: "
          f"{first['total']:.1f} ms (hub {first['hub']:.1f}, e-office release {first['release']:.1f} + workers "
          f"{first['workers']:.1f}, PostgreSQL {first['pg']:.1f} of which the hub's database {first['pg_hub']:.1f}); "
          f"the burst below is the next one, in the steady state")
    print(f"burst: {r['n']} documents ({args.kb} KB each), released in {r['t_released']:.1f}s, "
          f"all status 01 back after {r['t_end']:.1f}s: {r['n'] / r['t_end']:.1f} exchanges/s end to end "
          f"({r['n'] / (r['t_end'] - r['t_released']):.1f}/s once released), {args.workers} worker threads")
    print(f"burst CPU per exchange: hub {r['hub']:.1f} ms, e-office release {r['release']:.1f} ms + workers "
          f"{r['workers']:.1f} ms, PostgreSQL {r['pg']:.1f} ms (the hub's database {r['pg_hub']:.1f}); "
          f"{r['queries']:.0f} SQL statements per exchange by the workers; wall {r['t_end'] * r['per']:.1f} ms on "
          f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})")
    print(f"release: {r['release_statements']:.0f} SQL statements per exchange (workflow.release: the "
          f"document locked and checked, its state, the package and the outbox message, in one transaction)")
    calib = (r["calib0"] + r["calib1"]) / 2
    print(f"burst CPU per exchange, all processes together: {r['total']:.1f} ms; yardstick (fixed pure-Python "
          f"work, same run) {r['calib0']:.1f} ms before / {r['calib1']:.1f} ms after the burst: "
          f"{r['total'] / calib:.2f} yardsticks per exchange")
    print(f"  not counted: the bench's own CPU in the e-office's process (its PostgreSQL sampler, its wait "
          f"for the statuses) {r['bench_own']:.1f} ms per exchange, and its wait's PostgreSQL backend "
          f"{r['waiter_pg']:.1f} ms; making each approved document and storing its "
          f"100 KB file before the bursts (drafting, not the exchange) {made_cpu * r['per']:.1f} ms of the "
          f"e-office's CPU, and extracting its text {text_cpu * r['per']:.1f} ms (what a receiver on another "
          f"e-office would spend instead of taking the text already extracted for the same bytes)")
    for name, (runs, cpu, statements) in sorted(r["jobs"].items(), key=lambda kv: -kv[1][1]):
        print(f"  worker job {name}: {runs} runs, {cpu * r['per']:.1f} ms CPU and {statements / r['n']:.1f} "
              f"statements per exchange")
    if not paced:
        return 0
    print(f"paced: {len(paced)} documents 0.2 s apart: median release→đã đến {statistics.median(lat_arrive):.2f}s, "
          f"median release→status 01 back {statistics.median(lat_back):.2f}s "
          f"(p90 {sorted(lat_back)[math.ceil(len(lat_back) * 0.9) - 1]:.2f}s, nearest rank)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

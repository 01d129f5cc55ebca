"""Load test: the daily mix of PEOPLE simulated people against the production serving setup.

    python bench/load_test.py [--people 300] [--duration 300] [--web-workers 2] [--threads 8]
                              [--think 10 30] [--spawn-rate 5] [--docs 1000000] [--out FILE]

1. The dataset: lists_bench's province (256 agencies, 1,000,000 documents over two years, one
   big agency, handlers' assignments) in its own PostgreSQL database `vpdt_bench_load`, built
   once and reused (the build takes ~10 minutes; `--rebuild` makes it again).
2. The people: PEOPLE/5 teams, one per agency from the biggest down, each a clerk, a leader
   (with a TOTP device: the locust user types its current code, as the authenticator app
   would) and three specialists; and their work, made through the real services before the
   run: incoming paper documents to register, submitted ones to direct, assigned ones to give
   an opinion on (each with its scanned PDF), approved outgoing documents to release to another
   team's agency. Made again for each run (new documents; the accounts are kept).
3. The production serving setup: `vpdt serve --production` (gunicorn, WEB_WORKERS processes x
   THREADS threads, static files by whitenoise) and one `vpdt worker` (the release's jobs),
   on PostgreSQL, started here on a free loopback port.
4. locust, headless, on loopback, PEOPLE users spawned at SPAWN_RATE/s, for DURATION seconds,
   each pausing THINK seconds (uniform) between actions (bench/load/locustfile.py).
5. With `--backup SECONDS`: that long into the run, `vpdt backup` writes an encrypted archive
   while the people keep working (its time and exit beside the latencies); after the run,
   `vpdt restore` brings it into a fresh PostgreSQL database and data dir, where it checks every
   member against the manifest, the row count of every table against the snapshot's, and the
   file of every blob the database references (`docs/backup.md`).
6. Beside it, every 2 s: the CPU seconds and RSS of the server's processes (gunicorn master and
   workers, the worker), of PostgreSQL's, of locust's, and the machine's load average and busy
   share; the floor (`/healthz`, one SELECT 1) is one of locust's requests under the same load.

Writes a JSON (var/load/load.json) and prints a Markdown table for docs/BENCHMARKS.md:
p50/p95/p99 per action, requests, failures, and the resource figures.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import lists_bench as lists  # noqa: E402  (the 1,000,000-document dataset)
from yardstick import yardstick_ms  # noqa: E402

PG_NAME = "vpdt_bench_load"
lists.use_pg(PG_NAME)
lists.BENCH_DIR = BENCH_DIR = ROOT / "var" / "load"


def use_database(name: str) -> None:
    """The PostgreSQL database of the run, its data dir beside (var/load, var/load-<name>)."""
    global PG_NAME, BENCH_DIR
    PG_NAME = name
    lists.use_pg(name)
    if name != "vpdt_bench_load":
        lists.BENCH_DIR = BENCH_DIR = ROOT / "var" / f"load-{name}"
PASSWORD = "Bench@2026"  # lists_bench's, the same for every account
SECRET_KEY = "vpdt-bench-load-secret-key-never-deployed-0123456789abcdef"
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key; each leader its own below
TEAM = 5  # clerk, leader, three specialists
ITEMS = 4  # of each kind of work per person (a person acts on ~1 in 6 of their actions)


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(VPDT_DATABASE_URL=lists.PG_URL, VPDT_HUB_DATABASE_URL=f"sqlite:///{BENCH_DIR / 'hub.sqlite3'}",
               VPDT_DATA_DIR=str(BENCH_DIR), VPDT_SECRET_KEY=SECRET_KEY, PYTHONPATH=str(ROOT / "src"))
    if os.environ.get("VPDT_DB_PREPARE_AFTER"):  # the e-office's prepared statements (settings.py)
        env["VPDT_DB_PREPARE_AFTER"] = os.environ["VPDT_DB_PREPARE_AFTER"]
    return env


# --------------------------------------------------------------------------- 1-2: data (own process)

def prepare(people: int, n_docs: int, rebuild: bool) -> dict:
    """The dataset (built or reused), the teams and their work; returns the plan for locust."""
    os.environ.update(_env())
    fresh = rebuild or not lists._exists("postgres")
    if fresh:
        lists._recreate_pg()
    lists._setup_env("postgres")
    from django.core.management import call_command

    t = time.perf_counter()
    info = lists.load("postgres", n_docs) if fresh else {"reused": True}
    for alias in ("default", "hub"):
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    info["assignments"] = lists.load_workflow()
    info["dataset_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    plan = make_teams(people)
    info["work_s"] = round(time.perf_counter() - t, 1)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_document")
        info["documents"] = cursor.fetchone()[0]
    plan["dataset"] = info
    return plan


def make_teams(people: int) -> dict:
    from django.contrib.auth.hashers import identify_hasher, make_password
    from django.db import transaction
    from django.db.models import Count
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from tests import factories  # the suite's small valid PDF

    from vpdt.directory.models import Agency, RoleAssignment, Unit, User
    from vpdt.directory.roles import Role
    from vpdt.records.choices import State
    from vpdt.records.models import Attachment, Document, DocumentType
    from vpdt.records.permissions import visible_documents
    from vpdt.records.services import add_attachment
    from vpdt.workflow import services as wf

    pdf = factories.pdf_bytes("Van ban thu tai", pad=60_000)
    cv = DocumentType.objects.get(code="CV")
    teams = max(1, people // TEAM)
    biggest = Document.objects.values("agency").annotate(n=Count("id")).order_by("-n", "agency")[:teams]
    agencies = [Agency.objects.get(pk=row["agency"]) for row in biggest]
    password = make_password(PASSWORD)
    run = dt.datetime.now().strftime("%H%M%S")
    plan_people = []
    for t, agency in enumerate(agencies):
        unit = Unit.objects.filter(agency=agency).order_by("pk").first()
        accounts = {}
        for role, code in [("clerk", Role.CLERK), ("leader", Role.LEADER), ("spec0", Role.SPECIALIST),
                           ("spec1", Role.SPECIALIST), ("spec2", Role.SPECIALIST)]:
            user, made = User.objects.get_or_create(username=f"load{t}_{role}", defaults={
                "password": password, "agency": agency, "unit": unit, "full_name": f"Người thử tải {t} {role}"})
            if made:
                RoleAssignment.objects.create(user=user, agency=agency, role=code)
            elif identify_hasher(user.password).must_update(user.password):
                # made by an older run with other hasher parameters: a login would re-hash it
                # (two hashes); hashed as the code under test hashes, a login is one
                User.objects.filter(pk=user.pk).update(password=password)
            accounts[role] = user
        leader = accounts["leader"]
        key = f"{TOTP_KEY[:-4]}{t:04d}"
        TOTPDevice.objects.update_or_create(user=leader, name="load", defaults={"key": key, "confirmed": True,
                                                                                 "last_t": -1})
        clerk, specs = accounts["clerk"], [accounts[f"spec{i}"] for i in range(3)]
        # released to the next team's agency; a lone team sends to any other agency
        other = agencies[(t + 1) % len(agencies)] if len(agencies) > 1 else \
            Agency.objects.exclude(pk=agency.pk).order_by("pk").first()

        def received(i, _clerk=clerk, _agency=agency):
            data = {"document_type": cv, "subject": f"Về việc thử tải lần {run}, văn bản {i}",
                    "issuer_name": "Văn phòng Chính phủ", "issuer_code": "000.00.00.G22", "number": 1000 + i,
                    "notation": f"VPCP-{run}-{i}", "issued_date": dt.date(2026, 6, 1)}
            return wf.receive_paper(_clerk, _agency, data, scan=io.BytesIO(pdf), scan_name="ban-quet.pdf")

        def attachment_of(doc):
            return Attachment.objects.filter(document=doc).values_list("pk", flat=True).first()

        with transaction.atomic():
            to_register = [received(i).pk for i in range(ITEMS)]
            to_assign = []
            for i in range(ITEMS):
                doc = wf.register(clerk, received(100 + i))
                wf.submit_to_leader(clerk, doc, leader=leader)
                to_assign.append(doc.pk)
            assigned = {s.pk: [] for s in specs}
            for i in range(len(specs)):
                spec = specs[i % len(specs)]
                doc = wf.register(clerk, received(200 + i))
                wf.submit_to_leader(clerk, doc, leader=leader)
                wf.assign(leader, Document.objects.get(pk=doc.pk), main=spec, instructions="Tham mưu")
                assigned[spec.pk].append((doc.pk, attachment_of(doc)))
            to_release = []
            for i in range(ITEMS):
                doc = Document.objects.create(
                    agency=agency, direction="outgoing", state=State.APPROVED, document_type=cv,
                    subject=f"Về việc phát hành thử tải {run}, văn bản {i}", notation=f"{agency.abbreviation}-VP",
                    signer_name="Nguyễn Văn An", signer_position="Chủ tịch", place="Bình Dương")
                add_attachment(None, doc, io.BytesIO(pdf), "van-ban.pdf", content_type="application/pdf",
                               kind=Attachment.Kind.MAIN)
                doc = wf.issue_number(clerk, doc)
                wf.set_recipients(clerk, doc, agencies=[other])
                to_release.append(doc.pk)
        # something to open from the big dataset as well: the agency's own recent documents that
        # the person sees (a secret one is not in their lists: opening it is rightly refused)
        def recent(user, _agency=agency):
            return [(pk, None) for pk in visible_documents(user).filter(agency=_agency).order_by("-pk")
                    .values_list("pk", flat=True)[:40]]

        assigned_docs = [x for xs in assigned.values() for x in xs]
        mine = {"clerk": [(pk, attachment_of(pk)) for pk in to_register[:2]], "leader": []}
        plan_people.append({"username": clerk.username, "role": "clerk",
                            "open": recent(clerk) + assigned_docs + mine["clerk"],
                            "items": {"register": to_register, "release": to_release}})
        plan_people.append({"username": leader.username, "role": "leader", "totp": key,
                            "open": recent(leader) + assigned_docs,
                            "specialists": [s.pk for s in specs], "items": {"assign": to_assign}})
        for spec in specs:
            plan_people.append({"username": spec.username, "role": "specialist", "open": assigned[spec.pk] * 8,
                                "items": {"opinion": [pk for pk, _ in assigned[spec.pk]]}})
        print(f"  team {t + 1}/{teams}: {agency.code} ready", flush=True)
    # in team order (clerk, leader, three specialists): a partial run is a mix of roles too
    return {"password": PASSWORD, "people": plan_people[:people],
            "search_words": ["chuyển đổi số", "ngân sách", "kế hoạch", "báo cáo", "đất đai", "thử tải"]}


# --------------------------------------------------------------------------- 3-5: serve and load

class BackupDuringLoad:
    """`vpdt backup` started while locust runs, then `vpdt restore` of its archive into a fresh
    PostgreSQL database (`<db>_restored`) and data dir; both are the real commands, in their own
    processes, with the run's settings. The restore's own checks are the verdict (exit 0)."""

    def __init__(self, env: dict):
        self.env = env
        self.dir = BENCH_DIR / "backup"
        if self.dir.exists():
            import shutil

            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.key = self.dir / "backup.key"
        keygen = subprocess.run([sys.executable, "-m", "vpdt.cli", "backup", "keygen", str(self.key)], env=env,
                                cwd=ROOT, capture_output=True, text=True, check=True)
        self.recipient = keygen.stdout.strip().splitlines()[-1]
        self.archive = self.dir / "vpdt.age"
        self.log = open(self.dir / "backup.log", "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "vpdt.cli", "backup", str(self.archive),
                                      "--recipient", self.recipient], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.seconds = None
        print(f"backup started at {time.strftime('%H:%M:%S')}", flush=True)

    def poll(self) -> None:
        if self.seconds is None and self.proc.poll() is not None:
            self.seconds = round(time.monotonic() - self.t0, 1)

    def wait(self) -> None:
        self.proc.wait()
        self.poll()

    def restore(self) -> dict:
        name = f"{PG_NAME}_restored"
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        data = self.dir / "restored"
        env = dict(self.env, VPDT_DATABASE_URL=lists.PG_URL.rsplit("/", 1)[0] + "/" + name,
                   VPDT_HUB_DATABASE_URL=f"sqlite:///{data / 'hub.sqlite3'}", VPDT_DATA_DIR=str(data))
        t = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "vpdt.cli", "restore", str(self.archive),
                               "--identity", str(self.key)], env=env, cwd=ROOT, capture_output=True, text=True)
        (self.dir / "restore.log").write_text(done.stdout + done.stderr)
        return {"backup_exit": self.proc.returncode, "backup_s": self.seconds,
                "archive_mb": round(self.archive.stat().st_size / 2**20, 1) if self.archive.exists() else None,
                "restore_exit": done.returncode, "restore_s": round(time.monotonic() - t, 1),
                "restore_said": (done.stdout + done.stderr).strip().splitlines()[-6:]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


class Sampler:
    """CPU seconds and RSS of process groups, the machine's load, every `every` seconds."""

    def __init__(self, groups: dict, every: float = 2.0):
        import psutil

        self.psutil, self.groups, self.every = psutil, groups, every
        self.samples: list[dict] = []
        # Each process's CPU as last seen: a group's CPU is the sum over every process it ever
        # had, so a PostgreSQL backend that closes during the run keeps what it used (summing
        # only the living ones went down, even below zero, when backends came and went).
        self.seen: dict[str, dict[int, float]] = {name: {} for name in groups}

    def _procs(self, name):
        spec = self.groups[name]
        if callable(spec):
            return spec()
        out = []
        for pid in spec:
            try:
                parent = self.psutil.Process(pid)
                out += [parent, *parent.children(recursive=True)]
            except self.psutil.NoSuchProcess:
                pass
        return out

    def take(self) -> dict:
        sample = {"t": time.monotonic(), "load1": os.getloadavg()[0],
                  "busy": self.psutil.cpu_percent(interval=None), "machine": self.psutil.cpu_times()._asdict()}
        for name in self.groups:
            rss = 0.0
            seen = self.seen[name]
            for p in self._procs(name):
                try:
                    times = p.cpu_times()
                    seen[p.pid] = times.user + times.system
                    rss += p.memory_info().rss
                except self.psutil.Error:
                    pass
            sample[name] = {"cpu": sum(seen.values()), "rss_mb": rss / 2**20}
        self.samples.append(sample)
        return sample


def _postgres_procs():
    import psutil

    return [p for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and PG_NAME in " ".join(p.info["cmdline"] or [])]


def run(args) -> dict:
    env = _env()
    plan_path = BENCH_DIR / "plan.json"
    if not args.skip_prepare:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--prepare-only", "--people", str(args.people),
                               "--pg-name", PG_NAME,
                               "--docs", str(args.docs), *(["--rebuild"] if args.rebuild else [])],
                              env=env, cwd=ROOT, check=False)
        if proc.returncode:
            raise SystemExit("preparing the data failed")
        print(f"data ready in {time.perf_counter() - t:.0f} s", flush=True)
    plan = json.loads(plan_path.read_text())
    people = min(args.people, len(plan["people"]))
    port = free_port()
    serve_env = dict(env, VPDT_LOG_LEVEL="WARNING")
    if _redis():
        serve_env.update(VPDT_TASKS="redis", VPDT_TASKS_NAME=f"vpdt-load-{port}")
    logs = BENCH_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    web = subprocess.Popen([sys.executable, "-m", "vpdt.cli", "serve", "--production", "--host", "127.0.0.1",
                            "--port", str(port), "--workers", str(args.web_workers), "--threads", str(args.threads)],
                           env=serve_env, cwd=ROOT, stdout=open(logs / "web.log", "ab"), stderr=subprocess.STDOUT,
                           start_new_session=True)
    worker = subprocess.Popen([sys.executable, "-m", "vpdt.cli", "worker"], env=serve_env, cwd=ROOT,
                              stdout=open(logs / "worker.log", "ab"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    locust = None
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or web.poll() is not None:
                raise SystemExit("the server did not start: see " + str(logs / "web.log"))
            time.sleep(0.5)
        time.sleep(3)  # every gunicorn worker up
        settled = settle(worker.pid, args.settle)
        idle = Sampler({"web": [web.pid], "worker": [worker.pid]}).take()
        yardstick = [yardstick_ms()]  # the machine's own speed before and after the people
        csv_prefix = BENCH_DIR / "locust"
        locust_env = dict(env, LOAD_PLAN=str(plan_path), LOAD_THINK_MIN=str(args.think[0]),
                          LOAD_THINK_MAX=str(args.think[1]))
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(HERE / "load" / "locustfile.py"), "--headless",
             "-u", str(people), "-r", str(args.spawn_rate), "-t", f"{args.duration}s", "--stop-timeout", "30",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(csv_prefix), "--only-summary",
             "--loglevel", "WARNING"],
            env=locust_env, cwd=ROOT, stdout=open(logs / "locust.log", "wb"), stderr=subprocess.STDOUT)
        sampler = Sampler({"web": [web.pid], "worker": [worker.pid], "postgres": _postgres_procs,
                           "locust": [locust.pid]})
        first, started = sampler.take(), time.monotonic()
        backup = None
        while locust.poll() is None:
            time.sleep(sampler.every)
            sampler.take()
            if args.backup is not None and backup is None and time.monotonic() - started >= args.backup:
                backup = BackupDuringLoad(env)
            if backup is not None:
                backup.poll()
        last = sampler.samples[-1]
        yardstick.append(yardstick_ms())
        if backup is not None:
            backup.wait()
    finally:
        for p in (locust, web, worker):
            if p is not None and p.poll() is None:
                try:
                    os.killpg(p.pid, 15) if p is not locust else p.terminate()
                except ProcessLookupError:
                    pass
        for p in (locust, web, worker):
            if p is not None:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
    wall = last["t"] - first["t"]
    # after the ramp-up (every person started), else the last third when the run is mostly ramp-up
    ramp_end = first["t"] + people / args.spawn_rate
    steady = [x for x in sampler.samples if x["t"] >= ramp_end]
    if len(steady) < max(2, len(sampler.samples) // 5):
        steady = sampler.samples[len(sampler.samples) * 2 // 3:]
    steady_wall = last["t"] - steady[0]["t"]
    resources = {name: {"cpu_s": round(last[name]["cpu"] - first[name]["cpu"], 1),
                        "cpu_cores": round((last[name]["cpu"] - first[name]["cpu"]) / wall, 2),
                        "cpu_cores_steady": round((last[name]["cpu"] - steady[0][name]["cpu"]) / steady_wall, 2),
                        "rss_mb_max": round(max(s[name]["rss_mb"] for s in sampler.samples)),
                        "rss_mb_idle": round(idle[name]["rss_mb"]) if name in idle else None}
                 for name in ("web", "worker", "postgres", "locust")}
    stats = []
    with open(f"{csv_prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            stats.append({"name": row["Name"], "method": row["Type"], "requests": int(row["Request Count"]),
                          "failures": int(row["Failure Count"]), "p50": float(row["50%"] or 0),
                          "p95": float(row["95%"] or 0), "p99": float(row["99%"] or 0),
                          "max": float(row["Max Response Time"] or 0), "rps": float(row["Requests/s"] or 0)})
    failures = []
    if Path(f"{csv_prefix}_failures.csv").exists():
        with open(f"{csv_prefix}_failures.csv", newline="") as fh:
            failures = [dict(r) for r in csv.DictReader(fh)]
    backed_up = backup.restore() if backup is not None else None
    return {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": lists.machine(),
            "backup": backed_up, "worker_start": settled,
            "people": people, "duration_s": args.duration, "think_s": args.think, "spawn_rate": args.spawn_rate,
            "web_workers": args.web_workers, "threads": args.threads, "dataset": plan.get("dataset"),
            "wall_s": round(wall, 1), "yardstick_ms_before_after": [round(y, 1) for y in yardstick],
            "load1_mean": round(sum(s["load1"] for s in steady) / len(steady), 2),
            "machine_busy_pct_mean": round(sum(s["busy"] for s in steady) / len(steady), 1),
            "machine_cores_steady": _machine_split(steady[0]["machine"], last["machine"], steady_wall),
            "resources": resources, "stats": stats, "failures": failures[:20]}


def _machine_split(before: dict, after: dict, wall: float) -> dict:
    """The whole machine's cores in use over the steady part of the run, by kind of time
    (`/proc/stat`: user, system, softirq, steal …; idle and iowait left out): the processes'
    own figures beside it show what the rest of the machine took."""
    busy = {k: round((after[k] - before[k]) / wall, 2) for k in after if k not in ("idle", "iowait", "guest", "guest_nice")}
    return {"total": round(sum(busy.values()), 2), **{k: v for k, v in busy.items() if v}}


def settle(pid: int, limit: float) -> dict:
    """Wait until the worker has done its start-up catch-up (every periodic job runs once on start:
    the reports' facts over the whole dataset, the day's reminders of every overdue assignment),
    i.e. used under 5 % of a core over two 5-second windows, at most `limit` seconds. In
    production the worker runs all day and the catch-up happens once, at night or on a restart;
    measured inside the run, it took a core from the people's requests for minutes."""
    import psutil

    proc, t0 = psutil.Process(pid), time.monotonic()
    start_cpu = sum(proc.cpu_times()[:2])
    quiet, last = 0, start_cpu
    while time.monotonic() - t0 < limit and quiet < 2:
        time.sleep(5)
        now = sum(proc.cpu_times()[:2])
        quiet = quiet + 1 if (now - last) / 5 < 0.05 else 0
        last = now
    out = {"settle_s": round(time.monotonic() - t0, 1), "cpu_s": round(last - start_cpu, 1), "settled": quiet >= 2}
    print(f"worker start-up catch-up: {out}", flush=True)
    return out


def table(result: dict) -> str:
    lines = ["| request (action) | requests | failures | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for s in result["stats"]:
        name = s["name"] if s["name"] != "Aggregated" else "**all**"
        lines.append(f"| {s['method']} {name} | {s['requests']} | {s['failures']} | {s['p50']:.0f} | "
                     f"{s['p95']:.0f} | {s['p99']:.0f} | {s['max']:.0f} |")
    lines.append("")
    lines.append("| processes | CPU s | cores (mean) | cores (after the ramp-up) | RSS max MB | RSS idle MB |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for name, r in result["resources"].items():
        lines.append(f"| {name} | {r['cpu_s']} | {r['cpu_cores']} | {r.get('cpu_cores_steady', '')} | {r['rss_mb_max']} | "
                     f"{r['rss_mb_idle'] or ''} |")
    split = result.get("machine_cores_steady")
    if split:
        mine = sum(r.get("cpu_cores_steady", 0) for r in result["resources"].values())
        kinds = ", ".join(f"{k} {v}" for k, v in split.items() if k != "total")
        lines.append(f"| the whole machine | | | {split['total']} ({kinds}; outside the groups above "
                     f"{split['total'] - mine:.2f}) | | |")
    served = next((s["requests"] for s in result["stats"] if s["name"] == "Aggregated"), 0)
    if served:
        per = {name: r["cpu_s"] * 1000 / served for name, r in result["resources"].items()}
        lines.append("")
        lines.append(f"CPU per request: web {per['web']:.1f} ms, PostgreSQL {per['postgres']:.1f} ms; "
                     f"{result['web_workers']} web processes x {result['threads']} threads; "
                     f"yardstick before/after {result.get('yardstick_ms_before_after')} ms; "
                     f"machine busy {result['machine_busy_pct_mean']} %, load {result['load1_mean']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--duration", type=int, default=300, help="seconds of the locust run (with the ramp-up)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="people starting per second")
    parser.add_argument("--think", type=float, nargs=2, default=[10.0, 30.0], metavar=("MIN", "MAX"),
                        help="seconds between a person's actions (uniform)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="build the dataset again")
    parser.add_argument("--skip-prepare", action="store_true",
                        help="reuse var/load/plan.json as it is (a run uses up its work to register, release and "
                             "assign: without a new prepare those POSTs are refused and counted as failures)")
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pg-name", default=PG_NAME, help="the PostgreSQL database (default %(default)s)")
    parser.add_argument("--out", default=None, help="default: <data dir>/load.json")
    parser.add_argument("--settle", type=float, default=900, metavar="SECONDS",
                        help="wait at most this long for the worker's start-up catch-up before the people start")
    parser.add_argument("--backup", type=float, default=None, metavar="SECONDS",
                        help="run `vpdt backup` that long into the run, then `vpdt restore` it afterwards")
    args = parser.parse_args()
    use_database(args.pg_name)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if args.prepare_only:
        sys.path.insert(0, str(ROOT))  # tests.factories' PDF
        plan = prepare(args.people, args.docs, args.rebuild)
        (BENCH_DIR / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, default=str))
        print(f"plan: {len(plan['people'])} people, dataset {plan['dataset']}", flush=True)
        return 0
    result = run(args)
    Path(args.out or BENCH_DIR / "load.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps({k: v for k, v in result.items() if k not in ("stats", "failures")}, indent=1,
                     ensure_ascii=False, default=str))
    print(table(result))
    for f in result["failures"]:
        print("FAILURE", f)
    if result["backup"]:
        print("BACKUP", json.dumps(result["backup"], ensure_ascii=False))
        if result["backup"]["backup_exit"] or result["backup"]["restore_exit"]:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

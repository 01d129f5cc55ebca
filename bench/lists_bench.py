"""Benchmark: lists, quick search and the document page with 1,000,000 documents.

    python bench/lists_bench.py [--db sqlite|postgres|both] [--docs 1000000] [--runs 21] [--reuse]

Loads a province-sized dataset (256 agencies, one big agency with ~10 % of the documents,
2 years of incoming and outgoing documents, access rows for handlers) into its own
database: var/bench/lists.sqlite3 (SQLite, WAL) or `vpdt_bench` on 127.0.0.1:5432
(PostgreSQL), then measures server-side time: the Django test Client in-process, one
`time.perf_counter()` around each request (middleware, session, view, queries,
template), median of RUNS requests after 3 warm-ups; as the clerk, a leader, a unit head
and a specialist of the big agency. `--reuse` skips loading when the database is there.
Each backend runs in its own process (settings read the environment at import).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BENCH_DIR = ROOT / "var" / "bench"
PG_NAME = "vpdt_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
SQLITE_PATH = BENCH_DIR / "lists.sqlite3"

AGENCIES = 256
BIG_SHARE = 0.10
YEARS = 2
PREFIXES = ["Về việc", "Về việc", "Về việc", "V/v", "Báo cáo", "Kế hoạch", "Thông báo", "Tờ trình",
            "Quyết định", "Hướng dẫn", "Giấy mời"]
TOPICS = [
    "triển khai chuyển đổi số trong cơ quan nhà nước", "đẩy mạnh gửi, nhận văn bản điện tử",
    "kết quả cải cách hành chính", "phòng, chống thiên tai mùa mưa bão", "sơ kết công tác 6 tháng đầu năm",
    "góp ý dự thảo quy chế quản lý văn bản", "bảo đảm an toàn thông tin mạng", "rà soát quy hoạch cán bộ",
    "thực hiện chữ ký số trên văn bản", "lập dự toán ngân sách nhà nước", "kiểm tra công tác văn thư, lưu trữ",
    "thủ tục hành chính trên Cổng dịch vụ công", "đào tạo, bồi dưỡng cán bộ, công chức",
    "giải ngân vốn đầu tư công", "tổ chức kỳ thi tốt nghiệp trung học phổ thông",
    "phòng, chống dịch bệnh sốt xuất huyết", "xây dựng cơ sở dữ liệu dân cư", "tuyển dụng viên chức",
    "quản lý đất đai và giải phóng mặt bằng", "bảo vệ môi trường khu công nghiệp", "xây dựng nông thôn mới",
    "thu ngân sách và chống thất thu thuế", "an toàn giao thông dịp lễ", "phòng cháy, chữa cháy",
    "chi trả chế độ bảo hiểm xã hội", "sắp xếp đơn vị hành chính cấp xã", "thi đua, khen thưởng",
    "quản lý trật tự xây dựng đô thị", "cấp giấy chứng nhận quyền sử dụng đất", "hỗ trợ doanh nghiệp nhỏ và vừa",
    "chăm sóc sức khỏe ban đầu", "kiểm soát tài sản, thu nhập", "tiếp công dân, giải quyết khiếu nại",
    "Chính phủ điện tử", "hệ thống văn phòng điện tử", "hóa đơn điện tử", "giao dịch điện tử",
]
PLACES = ["trên địa bàn tỉnh", "tỉnh Đồng Nai", "tỉnh Bình Dương", "huyện Tân Phú", "thành phố Thủ Dầu Một",
          "thị xã Bến Cát", "các sở, ban, ngành", "các huyện, thị xã, thành phố", "", "", ""]
INCOMING_STATES = [("completed", 70), ("in_progress", 8), ("assigned", 6), ("submitted", 4), ("registered", 4),
                   ("received", 3), ("returned", 1)]
OUTGOING_STATES = [("released", 80), ("draft", 6), ("in_review", 5), ("approved", 3), ("sent_back", 3),
                   ("recalled", 2), ("replaced", 1)]
URGENCY = [(0, 85), (1, 10), (2, 4), (3, 1)]
BIG_UNITS = ["VP", "TH", "KT", "VX", "NV", "TC", "XD", "TN", "NN", "KS"]
SMALL_UNITS = ["VP", "TH", "KT", "NV", "TC"]


def _weighted(rng, pairs):
    values, weights = _CUM.get(id(pairs)) or _CUM.setdefault(id(pairs), _cumulate(pairs))
    return rng.choices(values, cum_weights=weights)[0]


def _cumulate(pairs):
    values, weights = zip(*pairs, strict=True)
    total, cum = 0, []
    for w in weights:
        total += w
        cum.append(total)
    return values, cum


_CUM: dict = {}


# --------------------------------------------------------------------------- loading


def _setup_env(db: str) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["VPDT_DATA_DIR"] = str(BENCH_DIR)
    os.environ["VPDT_HUB_DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'hub.sqlite3'}"
    os.environ["VPDT_DATABASE_URL"] = PG_URL if db == "postgres" else f"sqlite:///{SQLITE_PATH}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
    os.environ.setdefault("VPDT_DEMO", "1")  # demo mode: a key of its own in the bench's data dir
    import django

    django.setup()


def _recreate_pg() -> None:
    """Drops and creates the bench's PostgreSQL database (PG_NAME: each benchmark sets its own)."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")


def _exists(db: str) -> bool:
    """A loaded dataset is there to reuse (an SQLite file of a few kB is an interrupted load)."""
    if db == "sqlite":
        return SQLITE_PATH.exists() and SQLITE_PATH.stat().st_size > 10_000_000
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone())


def use_pg(name: str) -> None:
    """The PostgreSQL database a benchmark loads and measures (its own, beside the others')."""
    global PG_NAME, PG_URL
    PG_NAME = name
    PG_URL = f"postgres://postgres@127.0.0.1:5432/{name}"


def median_ms(func, runs: int) -> float:
    """Median wall time of `func` in ms over `runs` calls, after 3 warm-ups."""
    for _ in range(3):
        func()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        func()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def load(db: str, n_docs: int) -> dict:
    """Create the schema and the dataset; returns what was loaded and how long it took."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from vpdt.directory.models import Agency, RoleAssignment, Unit, User
    from vpdt.directory.roles import Role
    from vpdt.records.models import Document, DocumentType
    from vpdt.records.seed import seed_document_types

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    if not DocumentType.objects.exists():
        seed_document_types(DocumentType)
    types = {t.code: t.pk for t in DocumentType.objects.all()}
    rng = random.Random(2026)
    password = make_password("Bench@2026")

    agencies = []
    for i in range(AGENCIES):
        abbr = "UBND" if i == 0 else f"S{i:03d}"
        agencies.append(Agency.objects.create(code=f"000.{i // 100:02d}.{i % 100:02d}.H57", abbreviation=abbr,
                                              name=f"Cơ quan {i} tỉnh Bình Dương" if i else "UBND tỉnh Bình Dương"))
    big = agencies[0]
    units: dict[int, list] = {}
    people: dict[int, list[int]] = {}  # unit id -> specialist ids
    for agency in agencies:
        names = BIG_UNITS if agency is big else SMALL_UNITS
        units[agency.pk] = [Unit.objects.create(agency=agency, abbreviation=a, name=f"Phòng {a}") for a in names]
    roles = []
    for agency in agencies:
        per_unit = 8 if agency is big else 2
        for unit in units[agency.pk]:
            ids = []
            for k in range(per_unit):
                user = User.objects.create(username=f"a{agency.pk}_{unit.abbreviation}_{k}".lower(), password=password,
                                           agency=agency, unit=unit, full_name=f"Chuyên viên {unit.abbreviation} {k}")
                roles.append(RoleAssignment(user=user, agency=agency, role=Role.SPECIALIST))
                ids.append(user.pk)
            people[unit.pk] = ids
    bench_users = {}
    for key, role, unit in [("clerk", Role.CLERK, units[big.pk][0]), ("leader", Role.LEADER, None),
                            ("unit_head", Role.UNIT_HEAD, units[big.pk][1])]:
        user = User.objects.create(username=f"bench_{key}", password=password, agency=big, unit=unit,
                                   full_name=f"Bench {key}")
        roles.append(RoleAssignment(user=user, agency=big, role=role))
        bench_users[key] = user.pk
    # The specialist measured: the first specialist of the unit the unit head leads.
    bench_users["specialist"] = people[units[big.pk][1].pk][0]
    User.objects.filter(pk=bench_users["specialist"]).update(username="bench_specialist")
    RoleAssignment.objects.bulk_create(roles)

    # Agencies' share of documents: the big one ~10 %, the rest Zipf-like.
    weights = [1 / (k + 3) ** 0.6 for k in range(AGENCIES - 1)]
    scale = (1 - BIG_SHARE) / sum(weights)
    shares = [BIG_SHARE] + [w * scale for w in weights]
    agency_ids = [a.pk for a in agencies]
    agency_values, agency_cum = _cumulate(list(zip(agency_ids, shares, strict=True)))
    abbr = {a.pk: a.abbreviation for a in agencies}
    unit_of = {a: [(u.pk, u.abbreviation) for u in us] for a, us in units.items()}
    type_codes = [types[c] for c in ["CV", "CV", "CV", "CV", "QD", "KH", "TB", "BC", "GM", "TTR"] if c in types]

    fields = [f for f in Document._meta.concrete_fields if f.attname != "id"]
    columns = ["id"] + [f.column for f in fields]
    defaults = {f.attname: (None if f.null else ("" if f.get_internal_type() in ("CharField", "TextField") else None))
                for f in fields}
    from vpdt.core.text import fold
    from vpdt.records.models import folded_search_fields

    # SQLite stores naive UTC text (Django's format); PostgreSQL takes aware datetimes.
    now = dt.datetime(2026, 6, 30, 17, 0, tzinfo=None if connection.vendor == "sqlite" else dt.UTC)
    start = now - dt.timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    counters: dict[tuple, int] = {}
    access_rows = []
    doc_rows = []
    secret_count = 0
    for doc_id in range(1, n_docs + 1):
        created = start + dt.timedelta(seconds=span * (doc_id - 1) / n_docs + rng.random())
        agency_id = rng.choices(agency_values, cum_weights=agency_cum)[0] if doc_id > 1 else big.pk
        unit_id, unit_abbr = rng.choice(unit_of[agency_id])
        incoming = rng.random() < 0.55
        direction = "incoming" if incoming else "outgoing"
        state = _weighted(rng, INCOMING_STATES if incoming else OUTGOING_STATES)
        subject = f"{rng.choice(PREFIXES)} {rng.choice(TOPICS)} {rng.choice(PLACES)} năm {created.year}".replace("  ", " ")
        row = dict(defaults)
        specialist = rng.choice(people[unit_id])
        row.update(agency_id=agency_id, direction=direction, state=state,
                   source="electronic" if incoming else "internal", document_type_id=rng.choice(type_codes),
                   subject=subject, subject_folded=fold(subject), urgency=_weighted(rng, URGENCY),
                   secrecy=1 if rng.random() < 0.01 else 0, steering_type=0, created_at=created, updated_at=created,
                   place="Bình Dương")
        secret_count += row["secrecy"]
        year = created.year
        if incoming:
            sender = rng.choice(agency_ids)
            key = (agency_id, "in", year)
            counters[key] = counters.get(key, 0) + 1
            row.update(number=rng.randint(1, 3000), notation=f"{abbr[sender]}-VP", issuer_code="000.00.00.H57",
                       issuer_name=f"Cơ quan {sender}", incoming_number=counters[key], received_at=created,
                       issued_date=(created - dt.timedelta(days=rng.randint(0, 5))).date())
            if state in ("assigned", "in_progress", "completed"):
                row["due_date"] = (created + dt.timedelta(days=rng.randint(5, 20))).date()
                access_rows.append((doc_id, specialist, None, "main", created))
                access_rows.append((doc_id, None, unit_id, "unit", created))
                if state == "completed":
                    row["completed_at"] = created + dt.timedelta(days=rng.randint(1, 15))
        else:
            row.update(created_by_id=specialist, drafting_unit_id=unit_id)
            access_rows.append((doc_id, specialist, None, "drafter", created))
            if state in ("released", "recalled", "replaced"):
                key = (agency_id, "out", year)
                counters[key] = counters.get(key, 0) + 1
                row.update(number=counters[key], notation=f"{abbr[agency_id]}-{unit_abbr}",
                           issued_date=created.date(), signer_name="Nguyễn Văn An", signer_position="Chủ tịch")
        if row["secrecy"]:
            access_rows.append((doc_id, specialist, None, "grant", created))
        # What Document.save keeps for the quick search (records migration 0012).
        row["notation_folded"], row["people_folded"] = folded_search_fields(
            row["notation"], row["issuer_name"], row["signer_name"])
        doc_rows.append((doc_id, *[row[f.attname] for f in fields]))
    t_gen = time.perf_counter()

    if connection.vendor == "postgresql":
        _copy_pg(connection, "records_document", columns, doc_rows)
        access_cols = ["document_id", "user_id", "unit_id", "reason", "created_at", "secret_grant"]
        _copy_pg(connection, "records_documentaccess", access_cols,
                 [(*r, r[3] == "grant") for r in access_rows])
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('records_document', 'id'), %s)", [n_docs])
            cursor.execute("VACUUM (ANALYZE) records_document")
            cursor.execute("VACUUM (ANALYZE) records_documentaccess")
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            # ~20 indexes on records_document take scattered inserts: with the default 2 MB
            # page cache every insert misses; 2 GB keeps the index pages in memory.
            cursor.execute("PRAGMA cache_size = -2000000")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO records_document ({', '.join(columns)}) VALUES ({placeholders})",
                               doc_rows)
            cursor.executemany(
                "INSERT INTO records_documentaccess (document_id, user_id, unit_id, reason, created_at, secret_grant)"
                " VALUES (%s, %s, %s, %s, %s, %s)", [(*r, r[3] == "grant") for r in access_rows])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    t_end = time.perf_counter()
    return {"documents": n_docs, "access_rows": len(access_rows), "secret": secret_count,
            "big_agency_documents": sum(1 for r in doc_rows if r[1] == big.pk),
            "generate_s": round(t_gen - t0, 1), "insert_s": round(t_end - t_gen, 1), "users": bench_users}


def load_workflow() -> int:
    """Assignments for the handled incoming documents (one main handler each, from the access
    rows), so the work queues read realistic tables. Skipped without the workflow app."""
    from django.apps import apps
    from django.db import connection, transaction

    if not apps.is_installed("vpdt.workflow"):
        return 0
    from vpdt.workflow.models import Assignment

    if Assignment.objects.exists():
        return Assignment.objects.count()
    leader = apps.get_model("directory", "User").objects.get(username="bench_leader")
    fields = {f.column: f for f in Assignment._meta.concrete_fields if f.column != "id"}
    values = {"document_id": "a.document_id", "role": "'main'", "unit_id": "NULL", "user_id": "a.user_id",
              "assigned_by_id": f"CASE WHEN d.agency_id = {leader.agency_id} THEN {leader.pk} END",
              "deadline": "d.due_date", "created_at": "a.created_at",
              "state": "CASE d.state WHEN 'completed' THEN 'done' WHEN 'in_progress' THEN 'in_progress' "
                       "ELSE 'pending' END",
              "done_at": "d.completed_at"}
    for column, field in fields.items():
        values.setdefault(column, "NULL" if field.null else "''")
    columns = list(values)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Assignment._meta.db_table} ({', '.join(columns)}) "
                       f"SELECT {', '.join(values[c] for c in columns)} FROM records_documentaccess a "
                       f"JOIN records_document d ON d.id = a.document_id WHERE a.reason = 'main'")
        cursor.execute(f"ANALYZE {Assignment._meta.db_table}")
    return Assignment.objects.count()


def _copy_pg(connection, table, columns, rows) -> None:
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    raw.commit()


# --------------------------------------------------------------------------- measuring


def _timed(client, url, runs, **extra):
    for _ in range(3):
        response = client.get(url, **extra)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(url, **extra)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return round(statistics.median(times), 1)


def _urls(user, big_id) -> list[tuple[str, str, dict]]:
    """(label, url, extra) for one person: web lists, searches, pages, the API, workflow queues."""
    from django.urls import NoReverseMatch, reverse

    from vpdt.api.models import ApiToken
    from vpdt.records.permissions import visible_documents

    incoming = reverse("workflow:incoming")
    outgoing = reverse("workflow:outgoing")
    doc = visible_documents(user).filter(direction="incoming").order_by("-created_at").first()
    urls = [
        ("incoming list, page 1", incoming, {}),
        ("outgoing list, page 1", outgoing, {}),
        ("incoming list, page 200", f"{incoming}?page=200", {}),
        ("incoming, state filter", f"{incoming}?state=completed", {}),
        ("incoming, state + urgent + dates", f"{incoming}?state=completed&urgency=urgent&from=01/01/2026"
         f"&to=31/03/2026", {}),
        ("search 388/UBND-VP", f"{outgoing}?q=388/UBND-VP", {}),
        ("search 'dien tu'", f"{incoming}?q=dien+tu", {}),
        ("search 'dong nai'", f"{incoming}?q=dong+nai", {}),
        # Issue 15: a code in lower case, part of a ký hiệu, the signer, a phrase.
        ("search 388/ubnd-vp (lower case)", f"{outgoing}?q=388/ubnd-vp", {}),
        ("search part of a ký hiệu", f"{incoming}?q=UBND-VP", {}),
        ("search signer 'nguyen van an'", f"{outgoing}?q=nguyen+van+an", {}),
        ("search issuer 'co quan 17'", f"{incoming}?q=co+quan+17", {}),
        ("search phrase '\"chuyen doi so\"'", f"{incoming}?q=%22chuyen+doi+so%22", {}),
        ("document page", reverse("workflow:document", args=[doc.pk]) if doc else None, {}),
        # Issue 13: a column's order (no index leads with it) and the unread documents only.
        ("incoming, sorted by subject", f"{incoming}?sort=subject", {}),
        ("incoming, sorted by number desc", f"{incoming}?sort=-number", {}),
        ("incoming, unread only", f"{incoming}?unread=1", {}),
    ]
    token = ApiToken.issue(user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    urls += [
        ("API /api/documents", "/api/documents?direction=incoming", auth),
        ("API /api/documents?q=dien tu", "/api/documents?q=dien%20tu", auth),
        ("API /api/documents page 200", "/api/documents?direction=incoming&page=200", auth),
    ]
    for name in ("waiting", "following", "overdue", "due_soon"):
        try:
            urls.append((f"queue {name}", reverse("workflow:queue", args=[name]), {}))
        except NoReverseMatch:  # workflow not installed
            break
    return [(label, url, extra) for label, url, extra in urls if url]


def measure(runs: int) -> dict:
    from django.db import connection
    from django.test import Client

    from vpdt.directory.models import User

    results: dict[str, dict[str, float]] = {}
    for key in ("clerk", "leader", "unit_head", "specialist"):
        user = User.objects.get(username=f"bench_{key}")
        client = Client()
        client.force_login(user)
        for label, url, extra in _urls(user, user.agency_id):
            results.setdefault(label, {})[key] = _timed(client, url, runs, **extra)
            print(f"  {connection.vendor:10s} {key:10s} {label:40s} {results[label][key]:8.1f} ms", flush=True)
    return results


def run_one(db: str, n_docs: int, runs: int, reuse: bool) -> dict:
    if db == "postgres" and not (reuse and _exists(db)):
        _recreate_pg()
    if db == "sqlite" and not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    fresh = not (reuse and _exists(db))
    _setup_env(db)
    if fresh:
        info = load(db, n_docs)
    else:  # an existing dataset: bring its schema up to date (new indexes) and go
        from django.core.management import call_command

        t = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        info = {"reused": True, "migrate_s": round(time.perf_counter() - t, 1)}
    t = time.perf_counter()
    info["assignments"] = load_workflow()
    info["assignments_s"] = round(time.perf_counter() - t, 1)
    print(f"{db}: dataset {info}", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_document")
        info["documents"] = cursor.fetchone()[0]
    info["results"] = measure(runs)
    return info


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return f"{os.cpu_count()} CPUs ({cpu}), {mem / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(BENCH_DIR / "lists.json"))
    args = parser.parse_args()
    if args.one:
        info = run_one(args.one, args.docs, args.runs, args.reuse)
        print("RESULT " + json.dumps(info, default=str), flush=True)
        return 0
    summary = {"machine": machine(), "backends": {}}
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        cmd = [sys.executable, __file__, "--one", db, "--docs", str(args.docs), "--runs", str(args.runs)]
        if args.reuse:
            cmd.append("--reuse")
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        lines = proc.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("RESULT ")))
        found = [line for line in lines if line.startswith("RESULT ")]
        if proc.returncode or not found:
            print(f"{db}: failed ({proc.returncode})")
            continue
        summary["backends"][db] = json.loads(found[-1][7:])
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps({db: v["results"] for db, v in summary["backends"].items()}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

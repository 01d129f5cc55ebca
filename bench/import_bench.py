"""Benchmark: `vpdt import csv` of legacy metadata rows on PostgreSQL, beside the raw limit.

    python bench/import_bench.py [--rows 1000000] [--batch 2000] [--reuse-csv] [--db vpdt_import_bench]

1. Writes a legacy export of ROWS rows (var/bench/import.csv, UTF-8, dd/mm/yyyy dates, half
   outgoing and half incoming over 10 years and 3 legacy books, issuers by name, a fixed
   random.Random(15)).
2. Makes a fresh database `vpdt_import_bench` (or --db NAME) on 127.0.0.1:5432, migrates it, adds the
   importing agency and a province's directory (64 agencies), then runs the real command
   (`vpdt import csv … --no-progress`, one process, batches of BATCH rows) and times it:
   decoding, mapping, normalising, issuer matching, historical registers, documents,
   legacy ids, one audit entry per batch.
3. The raw limits in the same run, on the same server:
   - a bare `COPY … FROM STDIN (FORMAT csv)` of the same file into a plain table of text columns
     (no parsing, no checks, no indexes): what the wire and the server's heap take;
   - `INSERT INTO copy SELECT * FROM records_document` into a table made `LIKE records_document
     INCLUDING INDEXES` (its 13 B-tree and 3 GIN indexes: full text, trigrams): the server alone
     writing the same documents with the indexes the e-office needs, no client at all.

Prints one JSON object (rate, raw rate, ratio, machine load before and after).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BENCH_DIR = ROOT / "var" / "bench"
PG_NAME = "vpdt_import_bench"  # --db names another
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"
AGENCY = "000.00.05.H90"
HEADER = ["Mã", "Sổ", "Chiều", "Số ký hiệu", "Ngày VB", "Trích yếu", "Loại", "Độ khẩn", "Cơ quan ban hành",
          "Người ký", "Số đến", "Ngày đến"]
MAPPING = {
    "source": "bench", "encoding": "utf-8", "date_format": "dd/mm/yyyy",
    "columns": {"Mã": "legacy_id", "Sổ": "book", "Chiều": "direction", "Số ký hiệu": "code", "Ngày VB": "issued_date",
                "Trích yếu": "subject", "Loại": "document_type", "Độ khẩn": "urgency",
                "Cơ quan ban hành": "issuer_name", "Người ký": "signer_name", "Số đến": "incoming_number",
                "Ngày đến": "received_date"},
    "values": {"direction": {"ĐẾN": "incoming", "ĐI": "outgoing"}, "urgency": {"Khẩn": 1, "Hỏa tốc": 3}},
}
TOPICS = ["triển khai chuyển đổi số", "cải cách hành chính", "phòng, chống thiên tai", "an toàn thông tin mạng",
          "giải ngân vốn đầu tư công", "xây dựng nông thôn mới", "tuyển dụng viên chức", "thi đua, khen thưởng"]
TYPES = ["CV", "QĐ", "KH", "TB", "BC", "TTr", "GM"]
BOOKS = ["chung", "qd", "mat"]
SIGNERS = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Minh Đức"]


def _agencies() -> list[tuple[str, str]]:
    return [(f"000.00.{i:02d}.H90", f"Sở thứ {i} tỉnh Bình Sơn") for i in range(6, 70)]


def write_csv(path: Path, n: int) -> None:
    rnd = random.Random(15)
    issuers = [name for _c, name in _agencies()] + ["Bộ Nội vụ", "Văn phòng Chính phủ"]
    counters: dict[tuple, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            year = 2010 + i % 10
            book = BOOKS[i % 3]
            incoming = i % 2 == 1
            key = (incoming, book, year)
            counters[key] = counters.get(key, 0) + 1
            no = counters[key]
            day, month = rnd.randint(1, 28), rnd.randint(1, 12)
            date = f"{day:02d}/{month:02d}/{year}"
            if incoming:
                w.writerow([f"DEN{i:08d}", book, "ĐẾN", f"{rnd.randint(1, 9999)}/UBND-VP", date,
                            f"Về việc {rnd.choice(TOPICS)} năm {year}", rnd.choice(TYPES),
                            "Khẩn" if i % 17 == 0 else "", rnd.choice(issuers), rnd.choice(SIGNERS), no,
                            f"{min(day + 1, 28):02d}/{month:02d}/{year}"])
            else:
                w.writerow([f"DI{i:08d}", book, "ĐI", f"{no}/SKHCN-VP", date, f"Kế hoạch {rnd.choice(TOPICS)}",
                            rnd.choice(TYPES), "", "", rnd.choice(SIGNERS), "", ""])


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_")}
    env.update(VPDT_DATABASE_URL=PG_URL, VPDT_DATA_DIR=str(BENCH_DIR / "import-data"),
               VPDT_SECRET_KEY="vpdt-bench-only-secret-key-never-deployed-0123456789abcdef",
               DJANGO_SETTINGS_MODULE="vpdt.settings", PYTHONPATH=str(ROOT / "src"))
    return env


SETUP = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from vpdt.directory.models import Agency
Agency.objects.create(code="{AGENCY}", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
for code, name in {_agencies()!r}:
    Agency.objects.create(code=code, abbreviation="S", name=name)
"""


def _use_database(name: str) -> None:
    global PG_NAME, PG_URL
    if not name.replace("_", "").isalnum():
        sys.exit(f"bad database name {name!r}")
    PG_NAME, PG_URL = name, f"postgresql://postgres@127.0.0.1:5432/{name}"


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")
    subprocess.run([sys.executable, "-c", SETUP], env=_env(), check=True)


def raw_copy(path: Path) -> float:
    """Seconds for a bare COPY of the same CSV into a table of text columns."""
    import psycopg

    cols = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with psycopg.connect(PG_URL) as conn:
        conn.execute(f"CREATE TABLE raw_import ({cols})")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY raw_import FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def raw_indexed() -> tuple[int, float]:
    """(rows, seconds) of the server copying the imported documents into an identical indexed table."""
    import psycopg

    with psycopg.connect(PG_URL) as conn:
        conn.execute("CREATE TABLE raw_documents (LIKE records_document INCLUDING DEFAULTS INCLUDING INDEXES)")
        conn.commit()
        started = time.perf_counter()
        cur = conn.execute("INSERT INTO raw_documents SELECT * FROM records_document")
        conn.commit()
        return cur.rowcount, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--reuse-csv", action="store_true")
    ap.add_argument("--db", default=PG_NAME, help="the database to (re)make (default: vpdt_import_bench)")
    args = ap.parse_args()
    _use_database(args.db)
    data = BENCH_DIR / f"import-{args.rows}.csv"
    mapping = BENCH_DIR / "import-mapping.json"
    mapping.parent.mkdir(parents=True, exist_ok=True)
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    if not (args.reuse_csv and data.exists()):
        write_csv(data, args.rows)
    fresh_database()
    load_before = os.getloadavg()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vpdt.cli", "import", "csv", str(data), "--mapping", str(mapping),
                           "--agency", AGENCY, "--batch", str(args.batch), "--no-progress",
                           "--report", str(BENCH_DIR / "import-report.csv")],
                          env=_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    if done.returncode not in (0, 1):
        sys.exit(done.stderr[-3000:])
    raw = raw_copy(data)
    indexed_rows, indexed = raw_indexed()
    import psycopg

    with psycopg.connect(PG_URL) as conn:
        docs = conn.execute("SELECT count(*) FROM records_document").fetchone()[0]
        server = conn.execute("SHOW server_version").fetchone()[0]
    print(done.stdout.strip().splitlines()[-1], file=sys.stderr)
    print(json.dumps({
        "rows": args.rows, "documents_imported": docs, "batch": args.batch,
        "import_seconds": round(seconds, 1), "import_rate_per_s": round(args.rows / seconds),
        "raw_copy_seconds": round(raw, 1), "raw_copy_rate_per_s": round(args.rows / raw),
        "import_share_of_raw": round(raw / seconds, 3),
        "raw_indexed_insert_seconds": round(indexed, 1),
        "raw_indexed_insert_rate_per_s": round(indexed_rows / indexed) if indexed else None,
        "import_share_of_indexed": round((indexed / indexed_rows) / (seconds / args.rows), 3) if indexed_rows else None,
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(), "python": platform.python_version(), "postgresql": server,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Benchmark: the search page's search (issue 15) over documents whose files carry text.

    python bench/search_bench.py [--db sqlite|postgres|both] [--docs 1000000] [--words 250] [--runs 21] [--reuse]

The documents are lists_bench's (256 agencies, the big one ~10 %, two years, numbers, ký hiệu,
issuers and signers), in the benchmark's own database (var/bench/search.sqlite3, or
`vpdt_bench_search` on 127.0.0.1:5432). Each document gets one attachment whose extracted text
(search.FileText, state done) is `--words` words of synthetic Vietnamese administrative prose
(a vocabulary of ~400 words and set phrases with Zipf-like weights, so some words are in most
files and others in a few hundred), written by bulk SQL, never by the services (the job that
fills it is measured by the tests). On SQLite the FTS5 triggers are dropped for the load and the
index is rebuilt once at the end; on PostgreSQL the GIN index is dropped for the COPY and built
after. VPDT_BENCH_SEARCH_SQLITE / VPDT_BENCH_SEARCH_PG name a session's own databases.

Measured server-side (service call `vpdt.search.fulltext.search`: visibility, the search over
metadata and file text, ranking, one page of 20, the six facets' counts, the snippets), for the
big agency's clerk (sees ~10 % of all documents) and a unit head (sees what reached their unit),
p50 and p95 over RUNS after 3 warm-ups, for a mix: a số/ký hiệu in lower case, part of a ký
hiệu, a common word, a rare word, a quoted phrase, a folded signer's name, a word with a year
and a type filter. Beside them, in the same run, the raw limit: a bare FTS5 MATCH count (SQLite)
or a bare tsvector @@ count (PostgreSQL) over all files for the same words, and COUNT(*) of the
documents; with the load average.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lists_bench as lists  # noqa: E402  (the 1,000,000-document dataset)

BENCH_DIR = lists.BENCH_DIR
# A session's own database: VPDT_BENCH_SEARCH_SQLITE (a file) and VPDT_BENCH_SEARCH_PG (a name).
lists.SQLITE_PATH = SQLITE_PATH = Path(os.environ.get("VPDT_BENCH_SEARCH_SQLITE", BENCH_DIR / "search.sqlite3"))
lists.use_pg(os.environ.get("VPDT_BENCH_SEARCH_PG", "vpdt_bench_search"))  # a session's own name

# Administrative Vietnamese: words and set phrases (a phrase is one draw, so "chuyển đổi số" occurs as a phrase).
COMMON = ("và của các được trong theo cho với về việc này đã có là những để tại đến từ trên không "
          "thực hiện triển khai kế hoạch báo cáo đơn vị cơ quan tỉnh huyện xã năm tháng ngày").split()
MIDDLE = [
    "ủy ban nhân dân", "sở khoa học và công nghệ", "chuyển đổi số", "cải cách hành chính", "thủ tục hành chính",
    "dịch vụ công trực tuyến", "ngân sách nhà nước", "đầu tư công", "giải ngân", "quy hoạch", "đất đai",
    "bồi thường", "giải phóng mặt bằng", "tái định cư", "an toàn thông tin", "hạ tầng số", "dữ liệu",
    "nền tảng", "phần mềm", "quản lý văn bản", "hồ sơ công việc", "chữ ký số", "liên thông", "phối hợp",
    "kiểm tra", "thanh tra", "giám sát", "đánh giá", "tổng kết", "sơ kết", "hội nghị", "tập huấn", "đào tạo",
    "bồi dưỡng", "cán bộ", "công chức", "viên chức", "người lao động", "doanh nghiệp", "hợp tác xã",
    "nông nghiệp", "thủy lợi", "đê điều", "phòng chống thiên tai", "mùa mưa bão", "y tế", "giáo dục",
    "văn hóa", "du lịch", "giao thông", "xây dựng", "môi trường", "tài nguyên", "khoáng sản", "rác thải",
    "nước sạch", "điện", "viễn thông", "bưu chính", "báo chí", "xuất bản", "an ninh", "quốc phòng",
    "trật tự", "phòng cháy chữa cháy", "tiêm chủng", "bảo hiểm xã hội", "lao động", "việc làm",
    "giảm nghèo", "nông thôn mới", "đô thị", "khu công nghiệp", "thương mại", "xuất khẩu", "thuế",
    "kho bạc", "kiểm toán", "quyết toán", "dự toán", "phân bổ", "điều chỉnh", "bổ sung", "gia hạn",
    "thẩm định", "phê duyệt", "ban hành", "hướng dẫn", "đề nghị", "kiến nghị", "phản ánh", "tiếp công dân",
    "khiếu nại", "tố cáo", "thi đua", "khen thưởng", "kỷ luật", "tuyển dụng", "bổ nhiệm", "luân chuyển",
]
RARE = [f"{a} {b}" for a in ("giống lúa", "cầu cảng", "trạm bơm", "kè sông", "vườn ươm", "lò đốt", "chợ đầu mối",
                             "bến xe", "nhà văn hóa", "trạm quan trắc")
        for b in ("chịu mặn", "Phú Mỹ", "Tân Phú", "Bình Sơn", "An Lạc", "Hòa Bình", "Long Điền", "Thạnh Phú")]


def _vocabulary():
    from vpdt.core.text import fold

    words = COMMON + MIDDLE + RARE
    weights = ([40.0] * len(COMMON) + [3.0 / (1 + i) ** 0.5 for i in range(len(MIDDLE))]
               + [0.004] * len(RARE))
    return words, [fold(w) for w in words], weights


def load_file_text(n_words: int) -> dict:
    """One attachment and one done FileText per document, by bulk SQL."""
    from django.db import connection, transaction

    from vpdt.core.models import Blob

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # Resumable: only the documents without their file yet (a load interrupted between chunks).
        # NOT EXISTS (an anti-join): NOT IN over 1,000,000 ids outgrows work_mem on PostgreSQL and
        # becomes a subplan per row (quadratic).
        cursor.execute("SELECT d.id, d.created_at FROM records_document d WHERE NOT EXISTS "
                       "(SELECT 1 FROM search_filetext ft WHERE ft.document_id = d.id) ORDER BY d.id")
        docs = cursor.fetchall()
    if not docs:
        return {"file_texts": "reused"}
    blob, _created = Blob.objects.get_or_create(sha256="0" * 64, defaults={"size": 1})
    rng = random.Random(15)
    words, folded, weights = _vocabulary()
    index = list(range(len(words)))
    cum_weights = list(itertools.accumulate(weights))  # the same draws as weights=, without re-adding them per file
    sqlite = connection.vendor == "sqlite"
    att_cols = ["id", "document_id", "blob_id", "name", "content_type", "kind", "file_kind", "flag", "description",
                "created_at"]
    ft_cols = ["id", "attachment_id", "document_id", "blob_id", "file_kind", "state", "method", "pages", "ocr_pages",
               "truncated", "text", "text_folded", "error_code", "error_detail", "attempts", "created_at"]

    def rows(start, stop):
        atts, fts = [], []
        for pk, created in docs[start:stop]:
            picks = rng.choices(index, cum_weights=cum_weights, k=n_words)
            text = " ".join(words[i] for i in picks)
            atts.append((pk, pk, blob.sha256, "vanban.pdf", "application/pdf", "main", "pdf", "", "", created))
            fts.append((pk, pk, pk, blob.sha256, "pdf", "done", "text", 1, 0, False, text,
                        " ".join(folded[i] for i in picks), "", "", 1, created))
        return atts, fts

    chunk = 50_000
    if sqlite:
        from vpdt.search.schema import (
            FILE_FTS_TABLE,
            FILE_PAIRS_FTS_TABLE,
            FILE_SQLITE_PAIRS_TRIGGERS,
            FILE_SQLITE_TRIGGERS,
            install_pairs_index,
        )

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -2000000")
            # One FTS5 'rebuild' at the end rather than a trigger per row (and a segment per chunk);
            # the pairs (search migration 0009) filled once at the end too.
            for name in [*FILE_SQLITE_TRIGGERS, *FILE_SQLITE_PAIRS_TRIGGERS]:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for start in range(0, len(docs), chunk):
            atts, fts = rows(start, start + chunk)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO records_attachment ({', '.join(att_cols)}) VALUES "
                                   f"({', '.join(['%s'] * len(att_cols))})", atts)
                cursor.executemany(f"INSERT INTO search_filetext ({', '.join(ft_cols)}) VALUES "
                                   f"({', '.join(['%s'] * len(ft_cols))})", fts)
            print(f"  file text {start + len(fts)} / {len(docs)}", flush=True)
        t_index = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FILE_FTS_TABLE}({FILE_FTS_TABLE}) VALUES ('rebuild')")
            for sql in FILE_SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {FILE_FTS_TABLE}({FILE_FTS_TABLE}) VALUES ('optimize')")
        t_pairs = time.perf_counter()
        install_pairs_index(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FILE_PAIRS_FTS_TABLE}({FILE_PAIRS_FTS_TABLE}) VALUES ('optimize')")
        print(f"  pairs' FTS5 table filled in {time.perf_counter() - t_pairs:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"  FTS5 index rebuilt in {time.perf_counter() - t_index:.0f} s", flush=True)
    else:
        from vpdt.search.schema import FILE_PG_PAIRS_INDEX, pg_file_index_sql, pg_pairs_index_sql

        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS search_filetext_tsv")
            cursor.execute(f"DROP INDEX IF EXISTS {FILE_PG_PAIRS_INDEX}")
        for start in range(0, len(docs), chunk):
            atts, fts = rows(start, start + chunk)
            lists._copy_pg(connection, "records_attachment", att_cols, atts)
            lists._copy_pg(connection, "search_filetext", ft_cols, fts)
            print(f"  file text {start + len(fts)} / {len(docs)}", flush=True)
        t_index = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(pg_file_index_sql(cursor))  # search migration 0006: (agency_id, text_tsv)
            cursor.execute(pg_pairs_index_sql(cursor))  # search migration 0007: (agency_id, pairs_tsv)
            for table in ("records_attachment", "search_filetext"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [len(docs)])
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        print(f"  GIN index built in {time.perf_counter() - t_index:.0f} s", flush=True)
    return {"file_texts": len(docs), "words_per_file": n_words, "file_text_s": round(time.perf_counter() - t0, 1)}


QUERIES = [
    # (label, q, filters)
    ("code, lower case, Đ as D", None, {}),  # filled from the data: an existing number/ký hiệu
    ("part of a ký hiệu", None, {}),
    ("common word (subject and files)", "kế hoạch", {}),
    ("word in files", "thẩm định", {}),
    ("rare words in files", "giống lúa chịu mặn", {}),
    ("quoted phrase", '"giai phong mat bang"', {}),
    ("signer's name, folded", "nguyen van an", {}),
    ("word + year + type facets", "đê điều", {"year": "2025", "type": None}),
]


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(func, runs: int) -> dict:
    for _ in range(3):
        func()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        func()
        times.append((time.perf_counter() - t) * 1000)
    return {"p50": round(statistics.median(times), 1), "p95": round(_pct(times, 95), 1)}


def raw_limit(word_sets: list[str], runs: int) -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        def count_docs():
            cursor.execute("SELECT count(*) FROM records_document")
            cursor.fetchone()

        out["COUNT(*) documents"] = timed(count_docs, runs)
        for words in word_sets:
            if connection.vendor == "sqlite":
                match = " ".join(f'"{w}"' for w in words.split())

                def bare(match=match):
                    cursor.execute("SELECT count(*) FROM search_filetext_fts WHERE search_filetext_fts MATCH %s",
                                   [match])
                    cursor.fetchone()
            else:
                query = " & ".join(words.split())

                def bare(query=query):
                    cursor.execute("SELECT count(*) FROM search_filetext WHERE text_tsv "
                                   "@@ to_tsquery('simple'::regconfig, %s)", [query])
                    cursor.fetchone()
            label = f"bare file-text count: {words}"
            out[label] = timed(bare, runs)
            print(f"  {connection.vendor:10s} {label:45s} {out[label]['p50']:8.1f} {out[label]['p95']:8.1f} ms",
                  flush=True)
    return out


def measure(runs: int) -> dict:
    from django.db import connection

    from vpdt.directory.models import User
    from vpdt.records.models import Document
    from vpdt.search import fulltext

    clerk = User.objects.get(username="bench_clerk")
    code = (Document.objects.filter(agency_id=clerk.agency_id, direction="outgoing", number__isnull=False)
            .exclude(notation="").order_by("-id").values_list("number", "notation").first())
    incoming = (Document.objects.filter(agency_id=clerk.agency_id, direction="incoming")
                .order_by("-id").values_list("notation", flat=True).first())
    doc_type = Document.objects.filter(agency_id=clerk.agency_id).values_list("document_type_id", flat=True).first()
    queries = []
    for label, q, params in QUERIES:
        if label.startswith("code"):
            q = f"{code[0]}/{code[1].lower().replace('đ', 'd')}"
        elif label.startswith("part"):
            q = incoming
        if "type" in params:
            params = {**params, "type": str(doc_type)}
        queries.append((label, q, params))
    results: dict = {}
    all_times = {}
    for key in ("clerk", "unit_head"):
        user = User.objects.get(username=f"bench_{key}")
        for label, q, params in queries:
            times = timed(lambda user=user, q=q, params=params: fulltext.search(user, q, params), runs)
            found = len(fulltext.search(user, q, params).rows)
            results.setdefault(label, {})[key] = {**times, "q": q, "page_rows": found}
            all_times.setdefault(key, []).append(times["p95"])
            print(f"  {connection.vendor:10s} {key:10s} {label:35s} {q!r:30s} p50 {times['p50']:8.1f} "
                  f"p95 {times['p95']:8.1f} ms ({found} on page)", flush=True)
    results["raw limit"] = raw_limit(["ke hoach", "tham dinh", "giong lua chiu man", "de dieu"], runs)
    return results


# docs/deploy.md's planner settings for PostgreSQL (SSD, skewed agencies), set on the bench's own
# database: with the server's defaults (random_page_cost 4) the planner walks the whole table's
# created_at index rather than the agency's own (doc_agency_newest), 10x the rows at 100,000.
PG_PLANNER = {"random_page_cost": "1.1", "default_statistics_target": "200"}


def _planner_settings() -> None:
    import psycopg

    try:
        with psycopg.connect(lists.PG_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            for name, value in PG_PLANNER.items():
                conn.execute(f"ALTER DATABASE {lists.PG_NAME} SET {name} = {value}")
    except psycopg.OperationalError:
        pass  # not created yet: the load creates it, the next --reuse run sets them


def run_one(db: str, n_docs: int, n_words: int, runs: int, reuse: bool, build_only: bool = False) -> dict:
    if db == "postgres" and not (reuse and lists._exists(db)):
        lists._recreate_pg()
    if db == "sqlite" and not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    fresh = not (reuse and lists._exists(db))
    if db == "postgres":
        _planner_settings()
    lists._setup_env(db)
    if fresh:
        info = lists.load(db, n_docs)
        print(f"{db}: documents {info}", flush=True)
    else:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        info = {"reused": True}
        from django.db import connection

        with connection.cursor() as cursor:  # a migration may have added a column or an index
            cursor.execute("ANALYZE")
    info.update(load_file_text(n_words))
    print(f"{db}: dataset {info}", flush=True)
    if build_only:
        return info
    load1 = os.getloadavg()[0]
    if db == "postgres":
        info["planner"] = PG_PLANNER
    info["results"] = measure(runs)
    info["load_avg"] = [round(load1, 2), round(os.getloadavg()[0], 2)]
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--words", type=int, default=250)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--build-only", action="store_true", help="load the dataset, measure nothing")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(BENCH_DIR / "search.json"))
    args = parser.parse_args()
    if args.one:
        info = run_one(args.one, args.docs, args.words, args.runs, args.reuse, args.build_only)
        print("RESULT " + json.dumps(info, default=str), flush=True)
        return 0
    summary = {"machine": lists.machine(), "backends": {}}
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        cmd = [sys.executable, __file__, "--one", db, "--docs", str(args.docs), "--words", str(args.words),
               "--runs", str(args.runs)] + (["--reuse"] if args.reuse else []) + (["--build-only"] if args.build_only else [])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        lines = proc.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("RESULT ")))
        found = [line for line in lines if line.startswith("RESULT ")]
        if proc.returncode or not found:
            print(f"{db}: failed ({proc.returncode})")
            continue
        summary["backends"][db] = json.loads(found[-1][len("RESULT "):])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

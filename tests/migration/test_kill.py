"""A run killed with `kill -9` mid-import, then started again, ends with exactly the database
one uninterrupted run gives: compared table by table, row by row (by natural keys: the
documents by their legacy id, registers by agency/direction/series/year, attachments by
document and name, blobs by hash, the import's audit entries by their batch)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests import keys
from tests.migration.helpers import rows, write_csv, write_mapping

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SETUP = """
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from vpdt.directory.models import Agency
Agency.objects.create(code="000.00.05.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ")
Agency.objects.create(code="000.00.00.H90", abbreviation="UBND", name="UBND tỉnh Bình Sơn")
print(json.dumps({"ok": True}))
"""

DUMP = """
import django, json
django.setup()
from vpdt.core.models import AuditEntry, Blob
from vpdt.migration.models import LegacyRecord
from vpdt.records.models import Attachment, Document, Register
docs = sorted((r.source, r.legacy_id, r.digest, d.direction, d.state, d.number, d.notation, str(d.issued_date),
               d.subject, d.subject_folded, d.notation_folded, d.people_folded, d.issuer_code, d.issuer_name,
               d.signer_name, d.incoming_number, str(d.received_at), d.urgency, d.document_type.code,
               d.agency.code, (d.register or d.incoming_register).series, (d.register or d.incoming_register).year)
              for r in LegacyRecord.objects.select_related("document") for d in [r.document])
regs = sorted(Register.objects.values_list("agency__code", "direction", "series", "year", "name", "last_number",
                                           "closed"))
atts = sorted(Attachment.objects.values_list("document__legacy_record__legacy_id", "name", "blob__sha256", "kind",
                                             "file_kind", "flag", "content_type"))
blobs = sorted(Blob.objects.values_list("sha256", "size"))
audit = sorted((e.action, e.actor_name, e.agency_code, json.dumps({k: v for k, v in e.detail.items()
                if k not in ("first_id", "last_id")}, sort_keys=True))
               for e in AuditEntry.objects.filter(action="document.import_batch"))
counts = {"documents": Document.objects.count(), "legacy": LegacyRecord.objects.count()}
print(json.dumps({"docs": docs, "regs": regs, "atts": atts, "blobs": blobs, "audit": audit, "counts": counts},
                 ensure_ascii=False, default=str))
"""


PG = os.environ.get("VPDT_TEST_DATABASE_URL", "")


def _pg_url(base) -> str:
    return PG.rsplit("/", 1)[0] + f"/{PG.rsplit('/', 1)[1]}_kill_{base.name}"


def _env(base):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_")}
    url = _pg_url(base) if (base.parent / "pg").exists() else f"sqlite:///{base / 'vpdt.sqlite3'}"
    env.update(VPDT_DATABASE_URL=url,
               VPDT_HUB_DATABASE_URL=f"sqlite:///{base / 'hub.sqlite3'}", VPDT_DATA_DIR=str(base),
               DJANGO_SETTINGS_MODULE="vpdt.settings", VPDT_SECRET_KEY=keys.SECRET_KEY)
    return env


def _script(base, script):
    done = subprocess.run([sys.executable, "-c", script], env=_env(base), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_cmd(base, data, mapping, files):
    return [sys.executable, "-m", "vpdt.cli", "import", "csv", str(data), "--mapping", str(mapping), "--files",
            str(files), "--agency", "000.00.05.H90", "--batch", "50", "--no-progress", "--report",
            str(base / "report.csv")]


def _count(base) -> int:
    if (base.parent / "pg").exists():
        import psycopg

        with psycopg.connect(_pg_url(base), autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM migration_legacyrecord").fetchone()[0]
    db = sqlite3.connect(base / "vpdt.sqlite3", timeout=30)
    try:
        return db.execute("SELECT count(*) FROM migration_legacyrecord").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def _pg_databases(tmp_path, names):
    """Fresh PostgreSQL databases: the seed migrated once, the others copied from it (TEMPLATE)."""
    import psycopg

    (tmp_path / "pg").mkdir()
    admin = PG.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {_pg_url(tmp_path / name).rsplit('/', 1)[1]} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {_pg_url(tmp_path / names[0]).rsplit('/', 1)[1]}")


def _pg_copy(tmp_path, seed, targets):
    import psycopg

    admin = PG.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for target in targets:
            conn.execute(f"CREATE DATABASE {_pg_url(tmp_path / target).rsplit('/', 1)[1]} "
                         f"TEMPLATE {_pg_url(tmp_path / seed).rsplit('/', 1)[1]}")


def _pg_drop(tmp_path, names):
    import psycopg

    admin = PG.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {_pg_url(tmp_path / name).rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.mark.parametrize("backend", [
    "sqlite", pytest.param("postgresql", marks=[
        pytest.mark.backends, pytest.mark.skipif(not PG, reason="VPDT_TEST_DATABASE_URL not set")])])
def test_kill_9_then_rerun_equals_one_run(tmp_path, backend):
    from tests.factories import pdf_bytes

    files = tmp_path / "files"
    files.mkdir()
    for i in range(5):
        (files / f"f{i}.pdf").write_bytes(pdf_bytes(f"tep {i}"))
    body = rows(1500)
    for i, row in enumerate(body):
        if i % 97 == 0:
            row[-1] = f"f{i % 5}.pdf"
    data = write_csv(tmp_path / "export.csv", body, "utf-8")
    mapping = write_mapping(tmp_path / "m.json")

    seed = tmp_path / "seed"
    seed.mkdir()
    if backend == "postgresql":
        _pg_databases(tmp_path, ["seed", "one", "killed"])
    _script(seed, SETUP)
    one, killed = tmp_path / "one", tmp_path / "killed"
    for target in (one, killed):
        shutil.copytree(seed, target)
    if backend == "postgresql":
        _pg_copy(tmp_path, "seed", ["one", "killed"])
    try:
        _compare(tmp_path, data, mapping, files, one, killed)
    finally:
        if backend == "postgresql":
            _pg_drop(tmp_path, ["seed", "one", "killed"])


def _compare(tmp_path, data, mapping, files, one, killed):

    # One uninterrupted run.
    done = subprocess.run(_import_cmd(one, data, mapping, files), env=_env(one), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]

    # A run killed with SIGKILL once some batches are in, then started again.
    proc = subprocess.Popen(_import_cmd(killed, data, mapping, files), env=_env(killed),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    imported = 0
    while time.monotonic() < deadline and proc.poll() is None:
        imported = _count(killed)
        if imported >= 300:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the import ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    imported = _count(killed)
    assert 0 < imported < 1500
    assert imported % 50 == 0  # whole batches only (no row of this export is rejected)
    again = subprocess.run(_import_cmd(killed, data, mapping, files), env=_env(killed), capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]

    a, b = _script(one, DUMP), _script(killed, DUMP)
    assert a["counts"] == b["counts"] == {"documents": 1500, "legacy": 1500}
    for table in ("docs", "regs", "atts", "blobs", "audit"):
        assert a[table] == b[table], table
    assert len(a["audit"]) == 30 and len(a["blobs"]) == 5

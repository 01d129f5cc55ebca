"""`vpdt backup --hub` / `vpdt restore --hub`: a standalone hub (`vpdt hub serve`, its own database,
data dir and key) backed up while it holds packages, then restored into a fresh place: its
registry, deliveries and package files come back, counts equal the snapshot's, and the restored
hub opens its sealed secrets (both backends: SQLite files, or PostgreSQL databases when the suite
runs on PostgreSQL)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from vpdt.ops import backup

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

FIXTURE = Path("/work/shared/fixtures/edxml/edoc_new.edxml")
REPO_FIXTURES = Path(__file__).resolve().parents[1] / "edxml" / "fixtures"
KEY = "hub-backup-test-key-0123456789abcdef0123456789abcdef"

# Under the hub's settings: a package the upper hub passed down for 000.00.13.H90, stored and queued.
QUEUE = """
import os, shutil, sys
import django
django.setup()
from vpdt.hub.services import config
from vpdt.hub.services.accept import accept_from_upstream
store = config.store(); store.ensure()
tmp = store.tmp / "incoming.part"
shutil.copyfile(sys.argv[1], tmp)
print(accept_from_upstream(tmp, remote_doc_id=sys.argv[2], to_code="000.00.13.H90", message_type="edoc"))
"""


def _package() -> Path:
    if FIXTURE.exists():
        return FIXTURE
    return next(p for p in sorted(REPO_FIXTURES.glob("*.edxml")) if "status" not in p.name)


def _databases(tmp_path):
    """Two empty databases for the hub (the source and the restored one), of the suite's backend."""
    if connection.vendor != "postgresql":
        yield str(tmp_path / "a" / "hub.sqlite3"), str(tmp_path / "b" / "hub.sqlite3")
        return
    names = [f"vpdt_hubbk_{uuid.uuid4().hex[:8]}_{k}" for k in "ab"]
    settings = connection.settings_dict
    with connection.cursor() as cur:
        for name in names:
            cur.execute(f'CREATE DATABASE "{name}"')
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    try:
        yield tuple(f"postgres://{settings.get('USER') or 'postgres'}@{host}:{port}/{n}" for n in names)
    finally:
        with connection.cursor() as cur:
            for name in names:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(database: str, sql: str) -> list[tuple]:
    if "://" in database:
        import psycopg

        with psycopg.connect(database.replace("postgres://", "postgresql://")) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    import sqlite3

    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def hub_databases(tmp_path):
    yield from _databases(tmp_path)


def test_a_standalone_hub_is_backed_up_and_restored_into_a_fresh_place(tmp_path, hub_databases):
    src_db, dst_db = hub_databases
    base = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_") and k != "DJANGO_SETTINGS_MODULE"}
    src = {**base, "VPDT_HUB_DATA_DIR": str(tmp_path / "a"), "VPDT_HUB_DATABASE": src_db, "VPDT_HUB_SECRET_KEY": KEY}
    dst = {**base, "VPDT_HUB_DATA_DIR": str(tmp_path / "b"), "VPDT_HUB_DATABASE": dst_db, "VPDT_HUB_SECRET_KEY": KEY}

    def vpdt(env, *args, stdin=None):
        done = subprocess.run([sys.executable, "-m", "vpdt.cli", *args], env=env, capture_output=True, text=True,
                              timeout=180, input=stdin)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    vpdt(src, "hub", "add-agency", "000.00.13.H90", "Sở Khoa học và Công nghệ", "--system-id", "skhcn",
         "--secret", "bi-mat-1")
    vpdt(src, "hub", "add-agency", "000.00.00.H90", "Ủy ban nhân dân tỉnh", "--system-id", "ubnd",
         "--secret", "bi-mat-2")
    queued = subprocess.run([sys.executable, "-c", QUEUE, str(_package()), "remote-1"],
                            env={**src, "DJANGO_SETTINGS_MODULE": "vpdt.hub.settings"}, capture_output=True,
                            text=True, timeout=120)
    assert queued.returncode == 0, queued.stderr
    packages = sorted(p.name for p in (tmp_path / "a" / "packages").rglob("*.edxml"))
    assert len(packages) == 1

    key = tmp_path / "backup.key"
    recipient = backup.keygen(key)
    archive = tmp_path / "hub.age"
    out = vpdt(src, "backup", "--hub", str(archive), "--recipient", recipient)
    assert "Đã sao lưu vào" in out
    checked = vpdt(src, "backup", "verify", str(archive), "--identity", str(key))
    # what an operator reads: the archive's time as dd/mm/yyyy, Vietnam's time, not the header's ISO text
    assert "Bản sao lưu nguyên vẹn" in checked and "(giờ Việt Nam)" in checked, checked
    assert re.search(r"tạo lúc \d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", checked), checked
    out = vpdt(dst, "restore", "--hub", str(archive), "--identity", str(key))
    assert "số dòng mọi bảng khớp bản chụp" in out and "của trục" in out
    assert sorted(p.name for p in (tmp_path / "b" / "packages").rglob("*.edxml")) == packages
    restored = next((tmp_path / "b" / "packages").rglob("*.edxml"))
    assert restored.read_bytes() == next((tmp_path / "a" / "packages").rglob("*.edxml")).read_bytes()
    # The restored hub opens every sealed secret with its key (rotate-secrets refuses, exit 1, when
    # one does not open) and its chain of log entries holds.
    vpdt(dst, "hub", "rotate-secrets")
    vpdt(dst, "hub", "verify-log")
    # Its registry and queue are there: the agencies, systems and the delivery made before the backup.
    assert _rows(dst_db, "SELECT code FROM hub_agency ORDER BY code") == [("000.00.00.H90",), ("000.00.13.H90",)]
    assert _rows(dst_db, "SELECT system_id FROM hub_system ORDER BY system_id") == [("skhcn",), ("ubnd",)]
    assert _rows(dst_db, "SELECT count(*) FROM hub_delivery") == [(1,)]
    assert _rows(dst_db, "SELECT sha256 FROM hub_package") == [(packages[0].removesuffix(".edxml"),)]
    # Restoring again into the same, no longer empty, place is refused (nothing overwritten).
    again = subprocess.run([sys.executable, "-m", "vpdt.cli", "restore", "--hub", str(archive), "--identity", str(key)],
                           env=dst, capture_output=True, text=True, timeout=180)
    assert again.returncode == 1 and "chưa trống" in again.stderr
    shutil.rmtree(tmp_path / "a", ignore_errors=True)


def test_database_and_data_dir_options_need_hub(capsys):
    from vpdt import cli

    with pytest.raises(SystemExit) as caught:
        cli.main(["backup", "x.age", "--recipient", "age1x", "--database", "y.sqlite3"])
    assert "chỉ dùng cùng --hub" in str(caught.value)

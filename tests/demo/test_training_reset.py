"""`vpdt demo reset`: the training copy of the demo province goes back to its freshly loaded
state in under two minutes, and nothing that is not a training copy is ever touched.

Each test runs the real command in a fresh process on its own data directory (a demo
province loaded there, without the signing part to keep it short)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import keys

pytestmark = pytest.mark.slow

LOAD = """
import json, sys
import django
django.setup()
import vpdt.demo.loader as loader
loader.EXTENSIONS = ["vpdt.workflow.demo", "vpdt.demo.interconnection"]
from vpdt.commands import _load_demo, migrate_all
migrate_all()
_load_demo(progress=lambda m: None)
from vpdt.records.models import Document
print(json.dumps({"documents": Document.objects.count()}))
"""

TRAIN = """
import io, json
import django
django.setup()
from django.core import mail
from vpdt.core import blobs
from vpdt.directory.models import User
from vpdt.records.models import Document
first = Document.objects.order_by("id").first()
Document.objects.filter(pk=first.pk).update(subject="Trích yếu học viên sửa trong buổi tập huấn")
User.objects.create(username="hocvien.moi", full_name="Học viên mới")
blob = blobs.store_stream(io.BytesIO(b"tep hoc vien tai len trong buoi tap huan"))
mail.send_mail("Thư thử", "Nội dung", "vpdt@localhost", ["hocvien@binhson.demo.vn"])
print(json.dumps({"id": first.pk, "blob": blobs.local_path(blob)}))
"""

LOOK = """
import json
import django
django.setup()
from vpdt.core import audit
from vpdt.directory.models import User
from vpdt.records.models import Document
doc = Document.objects.get(pk=%(id)d)
print(json.dumps({"subject": doc.subject, "learner": User.objects.filter(username="hocvien.moi").exists(),
                  "documents": Document.objects.count(), "audit_ok": audit.verify().ok}))
"""


def _env(data_dir: Path, *, demo: bool = True, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPDT_")}
    env.update(VPDT_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="vpdt.settings", VPDT_SECRET_KEY=keys.SECRET_KEY,
               **extra)
    if demo:
        env["VPDT_DEMO"] = "1"
    return env


def _script(script: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _vpdt(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vpdt.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_change_made_in_training_is_gone_after_reset(tmp_path):
    env = _env(tmp_path)
    loaded = _script(LOAD, env)
    assert (tmp_path / "demo-training.json").exists() and (tmp_path / "demo-snapshot").is_dir()
    changed = _script(TRAIN, env)
    assert Path(changed["blob"]).exists() and any((tmp_path / "mail").iterdir())

    started = time.monotonic()
    done = _vpdt("demo", "reset", env=env)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Đã khôi phục tỉnh mẫu từ bản chụp lúc nạp." in done.stdout and "(khôi phục bản chụp)" in done.stdout
    assert took < 120, f"vpdt demo reset took {took:.1f} s"

    after = _script(LOOK % {"id": changed["id"]}, env)
    assert after["subject"] != "Trích yếu học viên sửa trong buổi tập huấn"
    assert not after["learner"]
    assert after["documents"] == loaded["documents"]
    assert after["audit_ok"]  # the restored audit log and its anchors agree
    assert not Path(changed["blob"]).exists()  # the file a learner uploaded is gone
    assert not any((tmp_path / "mail").iterdir())  # and so are the mails of the session


def test_reset_is_refused_on_an_instance_that_is_not_a_training_copy(tmp_path):
    # A production instance: its own database, migrated, with data in it; no demo marker.
    production = _env(tmp_path, demo=False)
    _script("import django, json\ndjango.setup()\nfrom vpdt.commands import migrate_all\nmigrate_all()\n"
            "print(json.dumps({}))", {**production, "VPDT_DEMO": "1"})
    database = tmp_path / "vpdt.sqlite3"
    before = _digest(database)

    done = _vpdt("demo", "reset", env=production)  # VPDT_DEMO not set
    assert done.returncode == 1
    assert "Từ chối: đây không phải bản đào tạo (chưa đặt VPDT_DEMO=1)" in done.stderr
    assert "không có gì bị thay đổi" in done.stderr

    done = _vpdt("demo", "reset", env=_env(tmp_path))  # VPDT_DEMO=1, but no marker in the data dir
    assert done.returncode == 1
    assert "không có dấu hiệu bản đào tạo" in done.stderr

    # A marker copied from a training data dir does not make another database a training copy.
    (tmp_path / "demo-training.json").write_text(json.dumps(
        {"databases": {"default": "sqlite:/srv/dao-tao/vpdt.sqlite3"}}), encoding="utf-8")
    done = _vpdt("demo", "reset", env=_env(tmp_path))
    assert done.returncode == 1
    assert "không phải cơ sở dữ liệu đã nạp tỉnh mẫu đào tạo" in done.stderr
    assert _digest(database) == before


@pytest.mark.skipif(not (os.environ.get("VPDT_TEST_DATABASE_URL") or "").startswith("postgres"),
                    reason="the PostgreSQL snapshot (a template database) is tested in the PostgreSQL test run")
def test_on_postgresql_reset_restores_the_template_database(tmp_path):
    import psycopg

    base = os.environ["VPDT_TEST_DATABASE_URL"].rstrip("/").rsplit("/", 1)[0]
    names = [f"vpdt_training_{os.getpid()}", f"vpdt_training_{os.getpid()}_hub"]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = _env(tmp_path, VPDT_DATABASE_URL=f"{base}/{names[0]}", VPDT_HUB_DATABASE_URL=f"{base}/{names[1]}")
        loaded = _script(LOAD, env)
        manifest = json.loads((tmp_path / "demo-snapshot" / "manifest.json").read_text())
        assert manifest["databases"]["default"]["name"] == f"{names[0]}_demo_snapshot"  # a template database
        changed = _script(TRAIN, env)
        started = time.monotonic()
        done = _vpdt("demo", "reset", env=env)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr[-3000:]
        assert "(khôi phục bản chụp)" in done.stdout
        assert took < 120, f"vpdt demo reset took {took:.1f} s"
        after = _script(LOOK % {"id": changed["id"]}, env)  # a fresh schema numbers documents from 1 again
        assert after["subject"] != "Trích yếu học viên sửa trong buổi tập huấn"
        assert not after["learner"] and after["documents"] == loaded["documents"]
        assert after["audit_ok"]
        assert not Path(changed["blob"]).exists()
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in names + [f"{n}_demo_snapshot" for n in names]:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_only_a_snapshot_of_these_databases_is_restored(settings, tmp_path):
    from vpdt.demo import training

    settings.DATA_DIR = tmp_path
    snapshot = tmp_path / training.SNAPSHOT_NAME
    snapshot.mkdir()

    def manifest(databases) -> dict | None:
        (snapshot / "manifest.json").write_text(json.dumps({"databases": databases}), encoding="utf-8")
        return training._manifest()

    mine = {alias: {"kind": "sqlite", "file": f"{alias}.sqlite3", "identity": training.database_identity(alias)}
            for alias in training.ALIASES}
    assert manifest(mine) is not None
    assert manifest({**mine, "default": {**mine["default"], "identity": "sqlite:/srv/khac/vpdt.sqlite3"}}) is None
    assert manifest({alias: training.database_identity(alias) for alias in training.ALIASES}) is None  # older layout
    (snapshot / "manifest.json").write_text("{hỏng", encoding="utf-8")
    assert training._manifest() is None  # then the reset reloads


def test_a_second_reset_of_the_same_instance_waits_for_none_and_is_refused(settings, tmp_path):
    import fcntl

    from vpdt.demo import training

    settings.DATA_DIR = tmp_path
    with open(tmp_path / "demo-reset.lock", "w") as held:  # a reset running in another process
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(training.ResetRunning) as refused, training._only_one():
            pass
    assert "Một lệnh đặt lại tỉnh mẫu khác đang chạy" in str(refused.value)
    with training._only_one():  # released: the next one runs
        pass

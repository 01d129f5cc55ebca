"""The training copy of the demo province: `vpdt demo reset` puts it back as freshly loaded.

A province trains its people on the demo province (`vpdt serve --demo`), away from real data.
After a session of training the admin resets it in one command, in well under two minutes:

- Only a demo/training instance may be reset: VPDT_DEMO=1 in the environment AND the marker
  file `DATA_DIR/demo-training.json`, written when the demo was loaded into this data
  directory, naming the databases it was loaded into. A production instance (no VPDT_DEMO, no
  marker, or a marker of other databases) is refused with a Vietnamese message, nothing touched.
- Fast path: right after loading, a snapshot is kept: of each database (SQLite: its online
  backup in `DATA_DIR/demo-snapshot/`; PostgreSQL: a template database `<name>_demo_snapshot`
  made with CREATE DATABASE … TEMPLATE, which needs the CREATEDB right) and of the data
  directory's demo files (blobs as hard links where the disk allows, since they are
  content-addressed; hub packages, audit anchors and mails as copies). Reset copies the
  databases back (SQLite: the same online backup, a running `vpdt serve` sees the restored data
  at its next query; PostgreSQL: the database is dropped, its sessions ended, and created again
  from the template) and puts the directories back as they were: files added since are
  removed, removed ones return. Then `migrate`, for a snapshot older than the code.
- Otherwise (no snapshot, one of other databases, or `--reload`): reload. Each database is
  emptied (its schema dropped: the audit log's append-only triggers go with it, as a fresh
  install has none of that history), migrated again, the demo loaded anew, and a new snapshot
  taken, so the next reset is the fast one.

The demo's signing keys (DATA_DIR/pki) and the secret key (DATA_DIR/secret.key) stay: the
snapshot was taken with them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connections
from django.utils import timezone

MARKER_NAME = "demo-training.json"
SNAPSHOT_NAME = "demo-snapshot"
ALIASES = ("default", "hub")


class ResetRefused(Exception):
    """The reset did not run and nothing changed (the message says why, in Vietnamese)."""

    code = "DEMO_RESET_REFUSED"


class NotATrainingInstance(ResetRefused):
    """Refused: this instance is not a demo/training copy."""

    code = "NOT_A_TRAINING_INSTANCE"


class ResetRunning(ResetRefused):
    """Refused: another reset of this instance is running."""

    code = "DEMO_RESET_RUNNING"


@dataclass
class ResetResult:
    how: str  # "snapshot" (restored) or "reload" (emptied and loaded again)
    seconds: float
    summary: str


def _data_dir() -> Path:
    return Path(settings.DATA_DIR)


def marker_path() -> Path:
    return _data_dir() / MARKER_NAME


def snapshot_dir() -> Path:
    return _data_dir() / SNAPSHOT_NAME


def database_identity(alias: str) -> str:
    """Which database an alias is: the file of SQLite, or the server and name of the others."""
    conf = settings.DATABASES[alias]
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:{Path(conf['NAME']).resolve()}"
    return f"{conf['ENGINE'].rsplit('.', 1)[-1]}://{conf.get('HOST') or ''}:{conf.get('PORT') or ''}/{conf['NAME']}"


def _is_sqlite(alias: str) -> bool:
    return settings.DATABASES[alias]["ENGINE"].endswith("sqlite3")


def _blob_dir() -> Path | None:
    from vpdt.core import blobs

    backend = blobs.storage()
    return Path(backend.location) if isinstance(backend, FileSystemStorage) else None


def _hub_dir() -> Path:
    return Path(getattr(settings, "HUB_DATA_DIR", None) or os.environ.get("VPDT_HUB_DATA_DIR")
                or _data_dir() / "hub")


def _directories() -> dict[str, Path]:
    """The demo's files outside the databases, by name in the snapshot."""
    dirs = {"hub": _hub_dir(), "audit": Path(settings.VPDT_AUDIT_ANCHOR_DIR), "mail": Path(settings.EMAIL_FILE_PATH)}
    blob_dir = _blob_dir()
    if blob_dir is not None:
        dirs["blobs"] = blob_dir
    return dirs


# --- the marker -----------------------------------------------------------------------------


def write_marker() -> None:
    marker = {"databases": {alias: database_identity(alias) for alias in ALIASES},
              "loaded_at": timezone.now().isoformat(timespec="seconds")}
    marker_path().write_text(json.dumps(marker, ensure_ascii=False, indent=2), encoding="utf-8")


def check_environment() -> None:
    """The first half of the check, before Django is set up: VPDT_DEMO=1."""
    if os.environ.get("VPDT_DEMO") != "1":
        raise NotATrainingInstance(
            "Từ chối: đây không phải bản đào tạo (chưa đặt VPDT_DEMO=1). Lệnh này xóa toàn bộ dữ liệu và chỉ "
            "chạy trên bản đào tạo của tỉnh mẫu; không có gì bị thay đổi.")


def check_training_instance() -> None:
    """Raise NotATrainingInstance unless this is a demo/training copy, loaded into these databases."""
    check_environment()
    path = marker_path()
    if not path.exists():
        raise NotATrainingInstance(
            f"Từ chối: thư mục dữ liệu {_data_dir()} không có dấu hiệu bản đào tạo ({MARKER_NAME}, ghi khi nạp "
            "tỉnh mẫu bằng `vpdt demo load` hoặc `vpdt serve --demo`); không có gì bị thay đổi.")
    try:
        marked = json.loads(path.read_text(encoding="utf-8")).get("databases", {})
    except (OSError, ValueError, AttributeError):
        marked = {}
    if marked.get("default") != database_identity("default"):
        raise NotATrainingInstance(
            "Từ chối: cơ sở dữ liệu đang cấu hình không phải cơ sở dữ liệu đã nạp tỉnh mẫu đào tạo "
            f"({MARKER_NAME} ghi {marked.get('default') or 'không rõ'}); không có gì bị thay đổi.")


# --- the snapshot ---------------------------------------------------------------------------


def _backup(source: str, target: str) -> None:
    """SQLite's online backup: consistent while others read or write, visible to open connections."""
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _place(src: Path, dst: Path, *, link: bool) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if link:  # blobs are content-addressed, never written in place: a hard link is as good as a copy
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)  # audit anchors are appended to, hub packages rewritten: copies


def _files(root: Path) -> set[Path]:
    if not root.is_dir():
        return set()
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.relative_to(root).parts[0] == "tmp"}


def _pg_copy(alias: str, source: str, target: str) -> None:
    """target := a copy of database `source` (CREATE DATABASE … TEMPLATE: a file copy on the server,
    seconds for the demo). The target's sessions are ended first (a running server reconnects)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(source)}")


def _pg_snapshot_name(alias: str) -> str:
    return f"{settings.DATABASES[alias]['NAME']}_demo_snapshot"[:63]


def _snapshot_database(alias: str, work: Path) -> dict:
    if _is_sqlite(alias):
        _backup(settings.DATABASES[alias]["NAME"], str(work / f"{alias}.sqlite3"))
        return {"kind": "sqlite", "file": f"{alias}.sqlite3"}
    if connections[alias].vendor == "postgresql":
        name = _pg_snapshot_name(alias)
        _pg_copy(alias, settings.DATABASES[alias]["NAME"], name)
        return {"kind": "postgresql", "name": name}
    raise NotATrainingInstance(f"Không chụp được cơ sở dữ liệu {connections[alias].vendor}.")


def _restore_database(alias: str, entry: dict, snap: Path) -> None:
    if entry["kind"] == "sqlite":
        _backup(str(snap / entry["file"]), settings.DATABASES[alias]["NAME"])
    else:
        _pg_copy(alias, entry["name"], settings.DATABASES[alias]["NAME"])


def take_snapshot() -> Path:
    """Keep the freshly loaded state: the databases (a SQLite backup file, a PostgreSQL template
    database) and the demo's directories; returns the snapshot's directory."""
    target = snapshot_dir()
    work = target.with_name(SNAPSHOT_NAME + ".new")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    databases = {}
    for alias in ALIASES:
        databases[alias] = {**_snapshot_database(alias, work), "identity": database_identity(alias)}
    for name, live in _directories().items():
        (work / name).mkdir()
        for rel in _files(live):
            _place(live / rel, work / name / rel, link=name == "blobs")
    (work / "manifest.json").write_text(json.dumps(
        {"taken_at": timezone.now().isoformat(timespec="seconds"), "databases": databases,
         "directories": {name: str(path) for name, path in _directories().items()}}, indent=2), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target


def _manifest() -> dict | None:
    """The snapshot's manifest, when it is one of these databases (else a reload is needed)."""
    try:
        manifest = json.loads((snapshot_dir() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    databases = manifest.get("databases") if isinstance(manifest, dict) else None
    entries = [databases.get(alias) if isinstance(databases, dict) else None for alias in ALIASES]
    if all(isinstance(e, dict) and e.get("identity") == database_identity(alias) and e.get("kind")
           for alias, e in zip(ALIASES, entries, strict=True)):
        return manifest
    return None  # none, unreadable, of an older layout, or of other databases: reload


def after_load(progress: Callable[[str], None] = lambda _m: None) -> None:
    """What follows a fresh load of the demo: the marker, and the snapshot that resets restore."""
    from django.db import DatabaseError

    write_marker()
    try:
        take_snapshot()
    except DatabaseError as exc:  # e.g. PostgreSQL: another process is connected, or no CREATEDB right
        shutil.rmtree(snapshot_dir(), ignore_errors=True)
        progress(f"Không lưu được bản chụp tỉnh mẫu ({exc}); `vpdt demo reset` sẽ nạp lại từ đầu.")
        return
    progress(f"Đã lưu bản chụp tỉnh mẫu cho `vpdt demo reset` ({snapshot_dir()}).")


def _restore_directory(snapshot: Path, live: Path, *, link: bool) -> None:
    keep = _files(snapshot)
    for rel in _files(live) - keep:
        (live / rel).unlink(missing_ok=True)
    for rel in keep:
        target = live / rel
        if link and target.exists():
            continue  # content-addressed: the same name is the same bytes
        target.unlink(missing_ok=True)
        _place(snapshot / rel, target, link=link)


def _restore(manifest: dict, progress: Callable[[str], None]) -> str:
    snap = snapshot_dir()
    connections.close_all()
    for alias in ALIASES:
        progress(f"Khôi phục cơ sở dữ liệu {alias} từ bản chụp…")
        _restore_database(alias, manifest["databases"][alias], snap)
    progress("Khôi phục tệp (văn bản, gói tin của trục, mốc neo nhật ký, thư)…")
    for name, live in _directories().items():
        if (snap / name).is_dir():
            live.mkdir(parents=True, exist_ok=True)
            _restore_directory(snap / name, live, link=name == "blobs")
    connections.close_all()
    from django.core.management import call_command

    for alias in ALIASES:  # a snapshot taken before an upgrade gets the newer migrations
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    return "Đã khôi phục tỉnh mẫu từ bản chụp lúc nạp."


# --- the reload -----------------------------------------------------------------------------


def _empty_database(alias: str) -> None:
    """Drop everything in the database (a fresh install has nothing); `migrate` builds it again."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
            return
        if connection.vendor != "sqlite":
            raise NotATrainingInstance(f"Không hỗ trợ đặt lại cơ sở dữ liệu {connection.vendor}.")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                       "AND type IN ('view', 'trigger', 'table') ORDER BY type = 'table', name")
        objects = cursor.fetchall()
        for kind, name in objects:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [name])
            if cursor.fetchone():  # an FTS table's shadow tables go with it
                cursor.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        cursor.execute("PRAGMA foreign_keys=ON")
    connection.close()


def _reload(progress: Callable[[str], None]) -> str:
    from django.core.management import call_command

    from vpdt.demo.loader import load_demo

    for alias in ALIASES:
        progress(f"Làm trống cơ sở dữ liệu {alias}…")
        _empty_database(alias)
    for live in _directories().values():
        for rel in _files(live):
            (live / rel).unlink(missing_ok=True)
    progress("Tạo lại cấu trúc cơ sở dữ liệu…")
    for alias in ALIASES:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    summary = load_demo(force=True, progress=progress)
    after_load(progress)
    return summary


@contextlib.contextmanager
def _only_one():
    """One reset (or load) of an instance at a time: a second one is refused, not interleaved."""
    with open(_data_dir() / "demo-reset.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResetRunning("Một lệnh đặt lại tỉnh mẫu khác đang chạy trên thư mục dữ liệu này; "
                                       "chờ lệnh đó xong rồi thử lại.") from None
        yield


def reset(progress: Callable[[str], None] = lambda _m: None, *, reload: bool = False) -> ResetResult:
    """Put the training copy back as freshly loaded; refuses on anything else (NotATrainingInstance)."""
    check_training_instance()
    with _only_one():
        return _reset(progress, reload=reload)


def _reset(progress: Callable[[str], None], *, reload: bool) -> ResetResult:
    started = time.monotonic()
    manifest = None if reload else _manifest()
    fast = manifest is not None
    summary = _restore(manifest, progress) if fast else _reload(progress)
    return ResetResult("snapshot" if fast else "reload", time.monotonic() - started, summary)

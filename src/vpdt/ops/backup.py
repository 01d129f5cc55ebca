"""`vpdt backup` / `vpdt backup verify` / `vpdt restore`: one encrypted archive of an instance.

What an instance is made of, and where each part lives:

- the databases: `default` (the e-office) and `hub` (the embedded province hub), SQLite files
  in the data dir or PostgreSQL databases;
- the blob store (`settings.STORAGES["blobs"]`, local disk or S3): every file, content-addressed
  by SHA-256 and never changed once written;
- the hub's package files (`<data dir>/hub/packages`), content-addressed the same way;
- the keys: the deployment secret (SECRET_KEY, and its fallbacks) that seals every stored secret
  (signing keys' PKCS#12 and passwords, hub system and agency secrets, remote signing API keys:
  all in the database, sealed), the audit anchor key and anchors (VPDT_AUDIT_ANCHOR_DIR), the
  demo PKI (`<data dir>/pki`) when there is one.

Consistency while people keep working: the databases are copied as one snapshot each (SQLite's
online backup API, `sqlite3.Connection.backup`, in one step; PostgreSQL's `pg_dump` custom format
run on a snapshot exported from a REPEATABLE READ transaction, in which the list of blobs and the
row counts are read too). Blobs and packages are immutable and content-addressed, so copying
after the snapshot exactly those the snapshot references gives a consistent whole (a file written
later is simply not referenced; one removed since is reported).

The archive: a tar stream (members written as they are read, nothing whole in memory) encrypted
with age (pyrage: X25519 recipients, the age STREAM format authenticates every 64 KiB chunk and
the end, so truncation, reordering or a changed byte is refused). A backup needs only the public
recipient (`age1…`); verify and restore need the identity (`AGE-SECRET-KEY-1…`), kept apart from
the machine. The last member, MANIFEST.json, lists every member with its size and SHA-256 and the
row count of every table at the snapshot; verify and restore check all of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

FORMAT = "vpdt-backup/1"
CHUNK = 1024 * 1024
HEADER = "FORMAT.json"
MANIFEST = "MANIFEST.json"
ALIASES = ("default", "hub")


class BackupError(Exception):
    """A backup, verification or restore that cannot go on; the message is for a person (Vietnamese)."""


# --------------------------------------------------------------------------- keys (age)
def keygen(path: Path) -> str:
    """A new age identity written to `path` (0600, refused if it exists); returns its public recipient."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    recipient = str(identity.to_public())
    with os.fdopen(fd, "w") as fh:
        fh.write(f"# vpdt backup identity, created {datetime.now(UTC).isoformat(timespec='seconds')}\n"
                 f"# public key: {recipient}\n{identity}\n")
    return recipient


def _identity_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def load_identities(path: str | None = None) -> list:
    """The age identities for verify/restore: `path`, else VPDT_BACKUP_IDENTITY_FILE, else VPDT_BACKUP_IDENTITY."""
    from pyrage import x25519

    path = path or os.environ.get("VPDT_BACKUP_IDENTITY_FILE")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BackupError(f"Không đọc được tệp khóa giải mã {path} ({exc.strerror}).") from None
    else:
        text = os.environ.get("VPDT_BACKUP_IDENTITY", "")
    lines = _identity_lines(text)
    if not lines:
        raise BackupError("Chưa có khóa giải mã bản sao lưu: dùng --identity TỆP hoặc đặt VPDT_BACKUP_IDENTITY_FILE.")
    try:
        return [x25519.Identity.from_str(ln) for ln in lines]
    except Exception:  # pyrage raises its own IdentityError
        raise BackupError("Khóa giải mã không hợp lệ (cần dòng AGE-SECRET-KEY-1…).") from None


def load_recipients(recipient: str | None = None, identity_path: str | None = None) -> list:
    """The age recipients for a backup: `recipient` (age1…, comma-separated), else
    VPDT_BACKUP_RECIPIENT, else the public keys of the identity file (VPDT_BACKUP_IDENTITY_FILE)."""
    from pyrage import x25519

    text = recipient or os.environ.get("VPDT_BACKUP_RECIPIENT", "")
    names = [r.strip() for r in text.split(",") if r.strip()]
    if names:
        try:
            return [x25519.Recipient.from_str(r) for r in names]
        except Exception:
            raise BackupError("Khóa công khai nhận bản sao lưu không hợp lệ (cần dạng age1…).") from None
    if identity_path or os.environ.get("VPDT_BACKUP_IDENTITY_FILE") or os.environ.get("VPDT_BACKUP_IDENTITY"):
        return [i.to_public() for i in load_identities(identity_path)]
    raise BackupError("Chưa có khóa mã hóa bản sao lưu: dùng --recipient age1… hoặc đặt VPDT_BACKUP_RECIPIENT "
                      "(tạo cặp khóa bằng `vpdt backup keygen TỆP`).")


# --------------------------------------------------------------------------- databases, raw
def _engine(config: dict) -> str:
    engine = config.get("ENGINE", "")
    if engine.endswith(".dummy"):
        return "none"  # the standalone hub's empty "default" alias
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    return engine or "none"


def _pg_env(config: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if config.get(key):
            env[var] = str(config[key])
    return env


def _pg_connect(config: dict, **kw):
    import psycopg

    params = {"dbname": config["NAME"], "host": config.get("HOST") or None, "port": config.get("PORT") or None,
              "user": config.get("USER") or None, "password": config.get("PASSWORD") or None}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, **kw)


def _same_database(a: dict, b: dict) -> bool:
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in ("ENGINE", "NAME", "HOST", "PORT"))


class _Reader:
    """Table names, counts and one column of a database reached outside Django (a snapshot file,
    a restored database): the same questions on both engines."""

    def __init__(self, engine: str, conn):
        self.engine, self.conn = engine, conn

    def tables(self) -> list[str]:
        if self.engine == "sqlite":
            # Not the FTS5 tables themselves (a contentless one cannot be scanned): their shadow
            # tables (…_data, …_idx, …) are real tables and are counted.
            sql = ("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                   "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")
        else:
            sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                   "AND table_type = 'BASE TABLE' ORDER BY table_name")
        return [r[0] for r in self.conn.execute(sql).fetchall()]

    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in self.tables()}

    def rows(self, sql: str) -> Iterator[tuple]:
        cur = self.conn.execute(sql)
        while True:
            batch = cur.fetchmany(5000)
            if not batch:
                return
            yield from batch


def _table(app: str, model: str) -> str:
    from django.apps import apps

    return apps.get_model(app, model)._meta.db_table


def _file_lists(reader: _Reader, alias: str, tmp: Path) -> dict[str, Path]:
    """The files a snapshot references, one `sha256 size` line each, written to temporary files."""
    lists: dict[str, Path] = {}
    tables = set(reader.tables())
    wanted = []
    with contextlib.suppress(LookupError):
        wanted.append(("blobs", _table("core", "Blob"), ""))
    with contextlib.suppress(LookupError):
        # a package whose content retention removed (purged_at set) has no file any more
        wanted.append(("packages", _table("hub", "Package"), " WHERE purged_at IS NULL"))
    for kind, table, where in wanted:
        if table not in tables:
            continue
        path = tmp / f"{alias}-{kind}.txt"
        with open(path, "w") as fh:
            for sha, size in reader.rows(f'SELECT sha256, size FROM "{table}"{where} ORDER BY sha256'):
                fh.write(f"{sha} {size}\n")
        lists[kind] = path
    return lists


@dataclass
class Snapshot:
    alias: str
    engine: str
    path: Path  # the SQLite copy or the pg_dump file
    counts: dict[str, int]
    lists: dict[str, Path]


def snapshot_database(alias: str, config: dict, tmp: Path) -> Snapshot:
    """One consistent copy of a database, with its row counts and the files it references."""
    engine = _engine(config)
    if engine == "sqlite":
        path = tmp / f"{alias}.sqlite3"
        src = sqlite3.connect(config["NAME"], timeout=60)
        try:
            dst = sqlite3.connect(path)
            try:
                src.backup(dst)  # pages=-1: the whole database in one step, one read transaction
            finally:
                dst.close()
        finally:
            src.close()
        conn = sqlite3.connect(path)
        try:
            reader = _Reader("sqlite", conn)
            return Snapshot(alias, engine, path, reader.counts(), _file_lists(reader, alias, tmp))
        finally:
            conn.close()
    if engine == "postgresql":
        path = tmp / f"{alias}.pgdump"
        with _pg_connect(config) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snap = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snap}",
                                   f"--file={path}", str(config["NAME"])],
                                  env=_pg_env(config), capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_dump không chạy được cho cơ sở dữ liệu {alias}: {done.stderr.strip()[:500]}")
            reader = _Reader("postgresql", conn)
            snapshot = Snapshot(alias, engine, path, reader.counts(), _file_lists(reader, alias, tmp))
            conn.rollback()
        return snapshot
    raise BackupError(f"Không sao lưu được cơ sở dữ liệu {alias}: kiểu {config.get('ENGINE')} chưa được hỗ trợ.")


# --------------------------------------------------------------------------- the instance's places
@dataclass
class Instance:
    """Where an instance keeps each part: the one backed up, or the one restored into."""

    databases: dict[str, dict]
    blob_storage: object | None  # None: a standalone hub (its packages are its only files)
    data_dir: Path
    anchor_dir: Path | None  # None: a standalone hub (no audit log of its own)
    hub_dir: Path

    @classmethod
    def from_settings(cls) -> Instance:
        from django.conf import settings
        from django.core.files.storage import storages
        from django.db import connections

        databases = {}
        for alias in ALIASES:
            if alias in settings.DATABASES and _engine(connections[alias].settings_dict) != "none":
                databases[alias] = dict(connections[alias].settings_dict)
        if "hub" in databases and "default" in databases and _same_database(databases["hub"], databases["default"]):
            del databases["hub"]  # one database holds both: dumped once
        # The e-office (vpdt.settings: its data dir, blobs, audit anchors, the embedded hub under
        # <data dir>/hub) or a standalone hub (vpdt.hub.settings: its database and HUB_DATA_DIR only).
        hub_data = getattr(settings, "HUB_DATA_DIR", None)
        data_dir = Path(getattr(settings, "DATA_DIR", None) or hub_data)
        anchors = getattr(settings, "VPDT_AUDIT_ANCHOR_DIR", None)
        return cls(databases, storages["blobs"] if "blobs" in settings.STORAGES else None, data_dir,
                   Path(anchors) if anchors else None, Path(hub_data or data_dir / "hub"))

    def blob_path(self, sha: str) -> str | None:
        from django.core.files.storage import FileSystemStorage

        if isinstance(self.blob_storage, FileSystemStorage):
            return self.blob_storage.path(_blob_name(sha))
        return None

    def package_path(self, sha: str) -> Path:
        return self.hub_dir / "packages" / sha[:2] / sha[2:4] / f"{sha}.edxml"


def _blob_name(sha: str) -> str:
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


# --------------------------------------------------------------------------- writing
def _is_content(name: str) -> bool:
    return name.startswith(("blobs/", "hub-packages/"))


def _content_sha(name: str) -> str:
    return name.rsplit("/", 1)[-1].removesuffix(".edxml")


class _Tally:
    """The content members (blobs, packages: named by their SHA-256) in O(1) memory: how many, how
    many bytes, and a running SHA-256 of their names in stream order. The manifest keeps this, not
    a line per file: a million files would otherwise be a manifest held whole in memory."""

    def __init__(self):
        self.count, self.bytes, self.names = 0, 0, hashlib.sha256()

    def add(self, name: str, size: int) -> None:
        self.count += 1
        self.bytes += size
        self.names.update(name.encode() + b"\n")

    def as_dict(self) -> dict:
        return {"count": self.count, "bytes": self.bytes, "names_sha256": self.names.hexdigest()}


class _Hashing(io.RawIOBase):
    """A reader that hashes and counts what passes through it (tarfile reads the member from it)."""

    def __init__(self, fh):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, n=-1):
        data = self.fh.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


@dataclass
class BackupResult:
    path: Path
    members: int
    bytes: int
    seconds: float
    counts: dict[str, dict[str, int]]
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)  # blobs whose bytes no longer match their name


def _secret_files() -> list[tuple[str, bytes]]:
    """The deployment secret (and former ones). Without it an archive is of no use: every secret
    stored in the database (signing keys and their passwords, the hub's systems, the audit
    anchor key) is sealed under it. So no secret: BackupError, before anything is written."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise BackupError(_no_secret_message())
    found = [("keys/secret.key", key.encode() + b"\n")]
    fallbacks = [k for k in getattr(settings, "SECRET_KEY_FALLBACKS", []) if k]
    if fallbacks:
        found.append(("keys/secret_key_fallbacks", "\n".join(fallbacks).encode() + b"\n"))
    return found


def _no_secret_message() -> str:
    from django.conf import settings

    from vpdt.core import secret_keys

    text = ("Không sao lưu: lệnh không thấy khóa bí mật (SECRET_KEY) của hệ thống, mà mọi bí mật lưu trong cơ sở "
            "dữ liệu (khóa ký số và mật khẩu, khóa của trục, khóa neo nhật ký) được niêm phong bằng khóa này; bản "
            "sao lưu thiếu nó không khôi phục được. Chạy lệnh với cùng thiết lập như máy chủ.")
    data_dir = Path(getattr(settings, "HUB_DATA_DIR", None) or settings.DATA_DIR)
    if (data_dir / "demo-training.json").exists():  # vpdt.demo.training.MARKER_NAME (ops may not import demo)
        text += (" Đây là bản chạy thử (make run, vpdt serve --demo): đặt VPDT_DEMO=1 trước lệnh, ví dụ "
                 "VPDT_DEMO=1 vpdt backup TỆP.")
    else:
        text += " " + " ".join(str(p.hint) for p in secret_keys.problems() if p.id == "vpdt.E001" and p.hint)
    return text


def _tree(root: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "tmp")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            yield f"{prefix}/{path.relative_to(root).as_posix()}", path


def backup(out: str | os.PathLike, recipients: list, *, instance: Instance | None = None,
           progress: Callable[[str], None] | None = None, tmp_dir: str | os.PathLike | None = None) -> BackupResult:
    """Write the encrypted archive of `instance` (default: this one, from settings) to `out`."""
    import pyrage
    from django.conf import settings

    started = time.monotonic()
    say = progress or (lambda msg: None)
    secrets = _secret_files()  # first: no secret, nothing written
    instance = instance or Instance.from_settings()
    out = Path(out)
    tmp_root = Path(tmp_dir or instance.data_dir / "tmp")
    tmp_root.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory(dir=tmp_root, prefix="backup-") as tmp_name:
        tmp = Path(tmp_name)
        snapshots = []
        for alias, config in instance.databases.items():
            say(f"Chụp cơ sở dữ liệu {alias} ({_engine(config)})…")
            snapshots.append(snapshot_database(alias, config, tmp))
        entries: list[dict] = []
        tally = _Tally()
        missing: list[str] = []
        corrupt: list[str] = []
        state = {"error": None}
        read_fd, write_fd = os.pipe()

        def add(tar: tarfile.TarFile, name: str, fh, size: int) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = size, int(time.time()), 0o600
            hashing = _Hashing(fh)
            tar.addfile(info, hashing)
            if hashing.size != size:
                raise BackupError(f"Tệp {name} đổi kích thước khi đang sao lưu ({size} → {hashing.size} byte).")
            if not _is_content(name):
                entries.append({"name": name, "size": size, "sha256": hashing.digest.hexdigest()})
                return
            tally.add(name, size)
            if hashing.digest.hexdigest() != _content_sha(name):
                corrupt.append(name)  # the store holds other bytes under this name: said loudly

        def add_bytes(tar, name: str, data: bytes) -> None:
            add(tar, name, io.BytesIO(data), len(data))

        def add_path(tar, name: str, path: Path) -> None:
            with open(path, "rb") as fh:
                add(tar, name, fh, os.fstat(fh.fileno()).st_size)

        def write_tar() -> None:
            try:
                with os.fdopen(write_fd, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT,
                                                                     bufsize=CHUNK) as tar:
                    header = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(),
                              "databases": {s.alias: s.engine for s in snapshots},
                              "secret_key_source": getattr(settings, "VPDT_SECRET_KEY_SOURCE", "")}
                    add_bytes(tar, HEADER, json.dumps(header, indent=2).encode())
                    for s in snapshots:
                        add_path(tar, f"db/{s.path.name}", s.path)
                    for name, data in secrets:
                        add_bytes(tar, name, data)
                    anchors = _tree(instance.anchor_dir, "files/audit") if instance.anchor_dir else []
                    for name, path in [*anchors, *_tree(instance.data_dir / "pki", "files/pki")]:
                        add_path(tar, name, path)
                    say("Chép các tệp (blob) mà bản chụp tham chiếu…")
                    for s in snapshots:
                        for kind, listing in s.lists.items():
                            with open(listing) as fh:
                                for line in fh:
                                    sha, size = line.split()
                                    if kind == "blobs":
                                        name = f"blobs/{_blob_name(sha)}"
                                        try:
                                            src = instance.blob_storage.open(_blob_name(sha), "rb")
                                        except (FileNotFoundError, OSError):
                                            missing.append(name)
                                            continue
                                    else:
                                        name = f"hub-packages/{sha}.edxml"
                                        try:
                                            src = open(instance.package_path(sha), "rb")
                                        except FileNotFoundError:
                                            missing.append(name)  # a done delivery's package removed since
                                            continue
                                    with src:
                                        add(tar, name, src, int(size))
                    manifest = {"format": FORMAT, "members": entries, "content": tally.as_dict(), "missing": missing,
                                "corrupt": corrupt, "counts": {s.alias: s.counts for s in snapshots}}
                    data = json.dumps(manifest, indent=1).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
                    tar.addfile(info, io.BytesIO(data))
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                state["error"] = exc

        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            raise BackupError(f"Không ghi được tệp sao lưu {partial} ({exc.strerror}).") from None
        writer = threading.Thread(target=write_tar, name="backup-tar", daemon=True)
        writer.start()
        try:
            with os.fdopen(read_fd, "rb") as source, os.fdopen(fd, "wb") as sink:
                pyrage.encrypt_io(source, sink, recipients)
                sink.flush()
                os.fsync(sink.fileno())
        except BaseException:
            writer.join()
            partial.unlink(missing_ok=True)
            if state["error"] is not None:
                raise state["error"] from None
            raise
        writer.join()
        if state["error"] is not None:
            partial.unlink(missing_ok=True)
            raise state["error"]
        os.replace(partial, out)
    return BackupResult(out, len(entries) + tally.count, out.stat().st_size, time.monotonic() - started,
                        {s.alias: s.counts for s in snapshots}, missing, corrupt)


# --------------------------------------------------------------------------- reading
@contextlib.contextmanager
def _decrypted(path: str | os.PathLike, identities: list):
    """The archive's tar stream, decrypted by a thread as it is read (never whole)."""
    import pyrage

    read_fd, write_fd = os.pipe()
    state = {"error": None}

    def decrypt() -> None:
        try:
            with open(path, "rb") as src, os.fdopen(write_fd, "wb") as pipe:
                pyrage.decrypt_io(src, pipe, identities)
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            state["error"] = exc

    try:
        open(path, "rb").close()
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        raise BackupError(f"Không mở được tệp sao lưu {path} ({exc.strerror}).") from None
    thread = threading.Thread(target=decrypt, name="backup-decrypt", daemon=True)
    thread.start()
    source = os.fdopen(read_fd, "rb")
    try:
        try:
            with tarfile.open(fileobj=source, mode="r|", bufsize=CHUNK) as tar:
                yield tar
            # The tar's end marker is not the stream's end (a tar is padded to its record size):
            # read the rest, so the decrypting thread authenticates the last chunk and ends,
            # instead of meeting a closed pipe (a "broken pipe" read as a damaged archive).
            while source.read(CHUNK):
                pass
        except (tarfile.TarError, EOFError) as exc:
            source.close()
            thread.join()
            if state["error"] is not None:
                raise _decrypt_error(state["error"]) from None
            raise BackupError(f"Tệp sao lưu hỏng (không đọc được dòng tar: {exc}).") from None
    finally:
        source.close()  # a reader stopping early ends the decrypting thread (broken pipe)
        thread.join()
    if state["error"] is not None:
        raise _decrypt_error(state["error"])


def _decrypt_error(exc: BaseException) -> BackupError:
    text = str(exc)
    if "No matching keys" in text or "no identity" in text.lower():
        return BackupError("Khóa giải mã không mở được bản sao lưu này (không phải khóa đã dùng khi sao lưu).")
    return BackupError(f"Tệp sao lưu hỏng hoặc bị sửa đổi (giải mã thất bại: {text[:200]}).")


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, sink=None) -> str:
    """Read one member to its end (into `sink` if given); its SHA-256."""
    src = tar.extractfile(member)
    digest = hashlib.sha256()
    if src is None:
        return digest.hexdigest()
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest()


@dataclass
class Check:
    ok: bool
    members: int = 0
    bytes: int = 0
    header: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _check_against_manifest(seen: dict[str, tuple[int, str]], tally: _Tally, manifest: dict | None,
                            check: Check) -> None:
    if manifest is None:
        check.problems.append("Thiếu MANIFEST.json ở cuối: tệp sao lưu không trọn vẹn.")
        return
    if manifest.get("format") != FORMAT:
        check.problems.append(f"Định dạng {manifest.get('format')!r} không được hỗ trợ (cần {FORMAT}).")
    listed = {m["name"]: (m["size"], m["sha256"]) for m in manifest.get("members", [])}
    for name, (size, sha) in listed.items():
        if name not in seen:
            check.problems.append(f"Thiếu thành phần {name}.")
        elif seen[name] != (size, sha):
            check.problems.append(f"Thành phần {name} sai mã băm SHA-256 hoặc kích thước.")
    for name in seen:
        if name not in listed:
            check.problems.append(f"Thành phần {name} không có trong danh mục.")
    if manifest.get("content") != tally.as_dict():
        check.problems.append(f"Các tệp trong bản sao lưu ({tally.count} tệp, {tally.bytes} byte) không khớp danh mục "
                              f"({manifest.get('content', {}).get('count')} tệp).")
    for name in manifest.get("corrupt", []):
        check.problems.append(f"Tệp {name} đã hỏng trong kho lúc sao lưu (nội dung không khớp SHA-256 của tên).")


def _content_member(name: str, size: int, sha: str, tally: _Tally, check: Check) -> None:
    tally.add(name, size)
    if sha != _content_sha(name):
        check.problems.append(f"Tệp {name} có nội dung không khớp tên (SHA-256 {sha}).")


def verify(path: str | os.PathLike, identities: list) -> Check:
    """Decrypt and read the whole archive: every member against the manifest's SHA-256."""
    check = Check(ok=False)
    seen: dict[str, tuple[int, str]] = {}
    tally = _Tally()
    manifest = None
    with _decrypted(path, identities) as tar:
        for member in tar:
            if member.name == MANIFEST:
                manifest = json.loads(tar.extractfile(member).read())
                continue
            if member.name == HEADER:
                data = tar.extractfile(member).read()
                check.header = json.loads(data)
                seen[member.name] = (len(data), hashlib.sha256(data).hexdigest())
                continue
            sha = _copy_member(tar, member)
            check.bytes += member.size
            if _is_content(member.name):
                _content_member(member.name, member.size, sha, tally, check)
            else:
                seen[member.name] = (member.size, sha)
    check.members = len(seen) + tally.count
    check.manifest = manifest or {}
    _check_against_manifest(seen, tally, manifest, check)
    check.ok = not check.problems
    return check


# --------------------------------------------------------------------------- restoring
def _is_empty(instance: Instance) -> list[str]:
    """What is already in `instance` (empty list: a fresh instance)."""
    found = []
    for alias, config in instance.databases.items():
        engine = _engine(config)
        if engine == "sqlite":
            if Path(config["NAME"]).exists() and Path(config["NAME"]).stat().st_size > 0:
                conn = sqlite3.connect(config["NAME"])
                try:
                    if _Reader("sqlite", conn).tables():
                        found.append(f"cơ sở dữ liệu {alias} ({config['NAME']}) đã có bảng")
                finally:
                    conn.close()
        elif engine == "postgresql":
            with _pg_connect(config) as conn:
                if _Reader("postgresql", conn).tables():
                    found.append(f"cơ sở dữ liệu {alias} ({config['NAME']}) đã có bảng")
    local = instance.blob_path("00" * 32)
    if local is not None:
        root = Path(local).parents[2]
        if root.is_dir() and any(p.is_file() for p in root.glob("??/??/*")):
            found.append(f"kho tệp {root} đã có tệp")
    return found


@dataclass
class RestoreResult:
    members: int
    counts: dict[str, dict[str, int]]
    notes: list[str]
    seconds: float


def _write_blob(instance: Instance, tar, member, sha: str) -> str:
    from django.core.files import File

    local = instance.blob_path(sha)
    if local is not None:
        os.makedirs(os.path.dirname(local), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(local), prefix=".restore-")
        try:
            with os.fdopen(fd, "wb") as fh:
                got = _copy_member(tar, member, fh)
            if got == sha:
                os.replace(tmp, local)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return got
    with tempfile.TemporaryFile() as fh:
        got = _copy_member(tar, member, fh)
        fh.seek(0)
        if got == sha and not instance.blob_storage.exists(_blob_name(sha)):
            instance.blob_storage.save(_blob_name(sha), File(fh))
    return got


def _write_file(target: Path, tar, member, mode: int = 0o600) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        return _copy_member(tar, member, fh)


def _put_database(alias: str, config: dict, staged: Path, force: bool) -> None:
    engine = _engine(config)
    if engine == "sqlite":
        target = Path(config["NAME"])
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copyfile(staged, str(target) + ".restoring")
        os.replace(str(target) + ".restoring", target)
        return
    if force:
        with _pg_connect(config, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                           f"--dbname={config['NAME']}", str(staged)], env=_pg_env(config), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore thất bại cho cơ sở dữ liệu {alias}: {done.stderr.strip()[:500]}")
    # pg_restore brings the rows, not the planner's statistics: until ANALYZE (autovacuum's, once
    # enough rows changed; never where it is off) every plan rests on default guesses, so the
    # restored instance is analysed before anyone works on it (PostgreSQL's pg_restore notes).
    with _pg_connect(config, autocommit=True) as conn:
        conn.execute("ANALYZE")


def restore(path: str | os.PathLike, identities: list, *, instance: Instance | None = None, force: bool = False,
            keys_dir: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None) -> RestoreResult:
    """Bring the archive back into `instance` (default: this one), which must be empty unless `force`.

    Files go into the blob and package stores as they are read (content-addressed: a wrong one is
    never put under a name); the databases are staged and put in place only once the manifest has
    checked every member; afterwards each table's row count is compared with the snapshot's and
    every referenced file is looked for."""
    started = time.monotonic()
    say = progress or (lambda msg: None)
    instance = instance or Instance.from_settings()
    present = _is_empty(instance)
    if present and not force:
        raise BackupError("Nơi khôi phục chưa trống (" + "; ".join(present) + "). Khôi phục vào một bản cài mới, "
                          "hoặc dùng --force để ghi đè.")
    keys_dir = Path(keys_dir) if keys_dir else instance.data_dir / "restored-keys"
    notes: list[str] = []
    check = Check(ok=False)
    seen: dict[str, tuple[int, str]] = {}
    tally = _Tally()
    manifest = None
    staged: dict[str, Path] = {}
    tmp_root = instance.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root, prefix="restore-") as tmp_name:
        tmp = Path(tmp_name)
        with _decrypted(path, identities) as tar:
            for member in tar:
                name = member.name
                if name == MANIFEST:
                    manifest = json.loads(tar.extractfile(member).read())
                    continue
                if name == HEADER:
                    data = tar.extractfile(member).read()
                    check.header = json.loads(data)
                    seen[name] = (len(data), hashlib.sha256(data).hexdigest())
                    if check.header.get("format") != FORMAT:
                        raise BackupError(f"Định dạng {check.header.get('format')!r} không được hỗ trợ.")
                    for alias, engine in check.header.get("databases", {}).items():
                        if alias not in instance.databases:
                            if alias == "hub" and "default" in instance.databases:
                                continue  # one database holds both here
                            raise BackupError(f"Nơi khôi phục không có cơ sở dữ liệu {alias}.")
                        want = _engine(instance.databases[alias])
                        if want != engine:
                            raise BackupError(f"Bản sao lưu có cơ sở dữ liệu {alias} kiểu {engine}, nơi khôi phục "
                                              f"dùng {want}: không khôi phục chéo loại được.")
                    continue
                if ".." in Path(name).parts or name.startswith("/"):
                    raise BackupError(f"Tên thành phần không hợp lệ: {name}.")
                if name.startswith("db/"):
                    target = tmp / Path(name).name
                    with open(target, "wb") as fh:
                        sha = _copy_member(tar, member, fh)
                    staged[Path(name).stem] = target
                elif name.startswith("blobs/"):
                    sha = _write_blob(instance, tar, member, name.rsplit("/", 1)[-1])
                elif name.startswith("hub-packages/"):
                    want = name.rsplit("/", 1)[-1].removesuffix(".edxml")
                    final = instance.package_path(want)
                    sha = _write_file(final.with_name(final.name + ".restoring"), tar, member, 0o644)
                    if sha == want:
                        os.replace(final.with_name(final.name + ".restoring"), final)
                elif name == "keys/secret.key" and check.header.get("secret_key_source") == "demo":
                    target = instance.data_dir / "secret.key"
                    sha = _copy_member(tar, member) if target.exists() else _write_file(target, tar, member)
                elif name.startswith("keys/"):
                    sha = _write_file(keys_dir / Path(name).name, tar, member)
                    os.chmod(keys_dir, 0o700)
                elif name.startswith("files/audit/") and instance.anchor_dir is not None:
                    sha = _write_file(instance.anchor_dir / name.removeprefix("files/audit/"), tar, member)
                elif name.startswith("files/pki/"):
                    sha = _write_file(instance.data_dir / "pki" / name.removeprefix("files/pki/"), tar, member)
                else:
                    sha = _copy_member(tar, member)
                    notes.append(f"Bỏ qua thành phần lạ {name}.")
                if _is_content(name):
                    _content_member(name, member.size, sha, tally, check)
                else:
                    seen[name] = (member.size, sha)
        _check_against_manifest(seen, tally, manifest, check)
        if check.problems:
            raise BackupError("Bản sao lưu không khớp danh mục, chưa ghi cơ sở dữ liệu: " + " ".join(check.problems[:5]))
        for alias, staged_path in staged.items():
            config = instance.databases.get(alias)
            if config is None:
                continue
            say(f"Đưa cơ sở dữ liệu {alias} vào chỗ…")
            _put_database(alias, config, staged_path, force)
    counts = _after_restore(instance, manifest, notes)
    if any(n.startswith("keys/") for n in seen) and check.header.get("secret_key_source") != "demo":
        from django.conf import settings

        env = getattr(settings, "VPDT_SECRET_KEY_ENV", "VPDT_SECRET_KEY")  # VPDT_HUB_SECRET_KEY for a hub
        notes.append(f"Khóa bí mật của hệ thống đã ghi vào {keys_dir}/secret.key: đặt {env}_FILE trỏ tới tệp "
                     "này (hoặc chuyển nó ra nơi giữ khóa) trước khi chạy.")
    return RestoreResult(len(seen) + tally.count, counts, notes, time.monotonic() - started)


def _after_restore(instance: Instance, manifest: dict, notes: list[str]) -> dict[str, dict[str, int]]:
    """Row counts of the restored databases equal the snapshot's; every referenced file is there."""
    counts: dict[str, dict[str, int]] = {}
    missing_listed = set(manifest.get("missing", []))
    for alias, config in instance.databases.items():
        if alias not in manifest.get("counts", {}):
            continue
        engine = _engine(config)
        conn = sqlite3.connect(config["NAME"]) if engine == "sqlite" else _pg_connect(config)
        try:
            reader = _Reader(engine, conn)
            counts[alias] = reader.counts()
            want = manifest["counts"][alias]
            wrong = [t for t in want if counts[alias].get(t) != want[t]]
            if wrong:
                raise BackupError(f"Số dòng sau khôi phục khác bản chụp ở các bảng: {', '.join(wrong[:10])}.")
            tables = set(reader.tables())
            lost = 0
            with contextlib.suppress(LookupError):
                table = _table("core", "Blob")
                if table in tables:
                    for sha, size in reader.rows(f'SELECT sha256, size FROM "{table}"'):
                        local = instance.blob_path(sha)
                        there = (os.path.exists(local) and os.path.getsize(local) == size) if local \
                            else instance.blob_storage.exists(_blob_name(sha))
                        if not there and f"blobs/{_blob_name(sha)}" not in missing_listed:
                            lost += 1
            if lost:
                raise BackupError(f"{lost} tệp mà cơ sở dữ liệu {alias} tham chiếu không có trong kho sau khôi phục.")
        finally:
            conn.close()
    if missing_listed:
        notes.append(f"{len(missing_listed)} tệp đã bị xóa khỏi kho giữa lúc chụp và lúc chép (xem MANIFEST.json).")
    return counts

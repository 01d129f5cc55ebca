"""Content-addressed blob storage: files stored once by SHA-256, streamed in and out in chunks.

The backend is the `blobs` entry of settings.STORAGES: the local disk by default, any
S3-compatible service through django-storages by settings alone. Nothing here reads a
whole file into memory: uploads are hashed while spooled to a temporary file, then
moved (local disk) or streamed (S3) into place. A web upload is spooled by the request's
upload handler itself (core.uploads.StagedUpload), so storing it copies nothing; bytes a job
writes or receives go the same way (`Staged`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages

from vpdt.core.errors import TooLarge
from vpdt.core.models import Blob
from vpdt.core.write_behind import WriteBehind

CHUNK = 1024 * 1024
T = TypeVar("T")


def storage():
    return storages["blobs"]


def default_limit_bytes() -> int:
    return settings.VPDT_MAX_UPLOAD_MB * 1024 * 1024


def _spool_path() -> str:
    backend = storage()
    if isinstance(backend, FileSystemStorage):
        # Same filesystem as the final place, so the move is a rename.
        return os.path.join(backend.location, "tmp")
    return os.path.join(settings.DATA_DIR, "tmp")


def _spool_dir() -> str:
    path = _spool_path()
    os.makedirs(path, exist_ok=True)
    return path


def _spool_file(prefix: str) -> tuple[int, str]:
    """A new file in the spool (`tempfile.mkstemp`); the spool is made when it is missing (its
    first file), not looked for before every file."""
    try:
        return tempfile.mkstemp(dir=_spool_path(), prefix=prefix)
    except FileNotFoundError:
        return tempfile.mkstemp(dir=_spool_dir(), prefix=prefix)


class Staged:
    """Bytes written straight into the store's spool and hashed on the way: a package a job
    writes, a file it decodes, a package it downloads. `store_checked(staged)` then checks them
    where they lie and moves them into place (local disk: a rename) instead of copying them into
    the spool again. Closing it, or the end of its `with`, deletes whatever was not stored.

    Written like a binary file (`write`, which counts and hashes; past `max_bytes` it raises
    TooLarge); read like one too (`seek`, `read`: a zip's directory, a parser given the path).
    Before, each of these went to a temporary file of its own and was copied into the spool:
    five new files and three copies per received package and its status back (issue 17)."""

    def __init__(self, *, max_bytes: int | None = None, prefix: str = "stage-"):
        self.limit = default_limit_bytes() if max_bytes is None else max_bytes
        fd, self._path = _spool_file(prefix)
        self.file = os.fdopen(fd, "w+b")
        self._digest = hashlib.sha256()
        self.size = 0
        self._behind = WriteBehind(self.file)  # a large file goes to disk as it comes
        self.staged = True  # still its own file in the spool: not moved into the store, not deleted

    def write(self, data) -> int:
        n = len(data)
        if self.size + n > self.limit:
            raise _too_large(self.limit)
        self.size += n
        self._digest.update(data)
        self.file.write(data)
        self._behind.wrote(self.size)
        return n

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def temporary_file_path(self) -> str:
        """Its path (flushed first, so a reader of the path sees every byte written)."""
        self.file.flush()
        return self._path

    def place(self, final: str) -> None:
        """Moved to `final` (same filesystem: a rename); it reads on from there."""
        self.file.flush()
        os.replace(self._path, final)
        self._path, self.staged = final, False

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.file.close()
        if self.staged:
            self.staged = False
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)

    close = discard

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def flush(self) -> None:
        self.file.flush()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def store_stream(stream: BinaryIO | Iterator[bytes], *, max_bytes: int | None = None) -> Blob:
    """Store the bytes of `stream` (a binary file object or an iterator of chunks).

    Raises TooLarge, with nothing stored, once more than `max_bytes` arrive.
    """
    return store_checked(stream, max_bytes=max_bytes)[0]


def store_checked(stream: BinaryIO | Iterator[bytes], *, max_bytes: int | None = None,
                  check: Callable[[str], T] | None = None) -> tuple[Blob, T | None]:
    """Store `stream` as store_stream does, after `check(path of the spooled file)` accepted it.

    `check` (e.g. the file type, core.filetypes) reads the complete temporary file before it
    takes its place; whatever it raises leaves nothing stored and the spool file removed.
    Returns the blob and what `check` returned. A `Staged` is bounded by its own limit unless
    `max_bytes` says otherwise.
    """
    if max_bytes is not None:
        limit = max_bytes
    else:
        limit = stream.limit if isinstance(stream, Staged) else default_limit_bytes()
    if getattr(stream, "staged", False):
        return _store_staged(stream, limit, check)
    digest = hashlib.sha256()
    size = 0
    chunks = iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else iter(stream)
    fd, tmp_path = _spool_file("upload-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            behind = WriteBehind(tmp)  # a large file goes to disk as it comes (core.write_behind)
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                digest.update(chunk)
                tmp.write(chunk)
                behind.wrote(size)
        verdict = check(tmp_path) if check is not None else None
        sha = digest.hexdigest()
        blob = Blob(sha256=sha, size=size)
        backend = storage()
        seen = backend.exists(blob.storage_name)
        if not seen:
            if isinstance(backend, FileSystemStorage):
                final = backend.path(blob.storage_name)
                _sync(tmp_path)
                _into_place(lambda to: os.replace(tmp_path, to), final)
            else:
                with open(tmp_path, "rb") as fh:
                    backend.save(blob.storage_name, File(fh))
        return _register(sha, size, seen), verdict
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)


def _sync(path: str, *, directory: bool = False) -> None:
    """On disk (settings.VPDT_BLOB_FSYNC): a file's bytes before it is renamed into place, or with
    `directory` the rename itself (the directory's entry)."""
    if settings.VPDT_BLOB_FSYNC:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync_open(upload) -> None:
    """`_sync` of a staged file through the descriptor it is open on (a `Staged`, a web upload's
    `StagedUpload`), without opening it again by its path."""
    if not settings.VPDT_BLOB_FSYNC:
        return
    fh = getattr(upload, "file", None)
    try:
        fh.flush()
        fd = fh.fileno()
    except (AttributeError, ValueError, OSError):  # no open file of its own (closed): by its path
        _sync(upload.temporary_file_path())
        return
    os.fsync(fd)


def _into_place(move: Callable[[str], None], final: str) -> None:
    """`move(final)` (a rename into the store), then the rename made durable (`_sync` of the
    directory). The store's two-level directory is made only when the rename finds it missing
    (the first file there), as the hub's store does: not looked for before every file. A
    staged file really gone fails the second rename."""
    try:
        move(final)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(final), exist_ok=True)
        move(final)
    _sync(os.path.dirname(final), directory=True)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"Tệp vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).",
                    detail=f"limit={limit} bytes, received more than that")


def _store_staged(upload, limit: int, check: Callable[[str], T] | None) -> tuple[Blob, T | None]:
    """An upload the request handler already wrote into the spool with its SHA-256
    (core.uploads.StagedUpload): checked where it lies, then renamed into place (local disk) or
    streamed once to the storage (S3). Refused, it is deleted at once and nothing is stored."""
    try:
        if upload.size > limit:
            raise _too_large(limit)
        verdict = check(upload.temporary_file_path()) if check is not None else None
    except BaseException:
        upload.discard()
        raise
    blob = Blob(sha256=upload.sha256, size=upload.size)
    backend = storage()
    seen = backend.exists(blob.storage_name)
    if not seen:
        if isinstance(backend, FileSystemStorage):
            final = backend.path(blob.storage_name)
            _sync_open(upload)
            _into_place(upload.place, final)
        else:
            with open(upload.temporary_file_path(), "rb") as fh:
                backend.save(blob.storage_name, File(fh))
    return _register(blob.sha256, blob.size, seen), verdict


def _register(sha: str, size: int, seen_before: bool) -> Blob:
    """The Blob row of bytes just put in place: one INSERT that does nothing when the row is
    there already (the same bytes stored before, or by a concurrent writer). get_or_create took
    a SELECT, then a savepoint, the INSERT and its release for a new file.

    The INSERT is the one `bulk_create(ignore_conflicts=True)` writes, written once per process
    and database (every stored file and package asks it: three per exchange).

    `seen_before` (kept on the instance): the store held these bytes already. When it did not,
    nothing can have been derived from them yet (their text: vpdt.search), and nobody need look."""
    from django.db import connections, router, transaction

    from vpdt.core import prepared

    blob = Blob(sha256=sha, size=size)
    alias = router.db_for_write(Blob, instance=blob)
    connection = connections[alias]
    sql = _REGISTER.get(alias) or _REGISTER.setdefault(alias, _register_sql(alias))
    created_at = Blob._meta.get_field("created_at")
    params = [sha, size, created_at.get_db_prep_save(created_at.pre_save(blob, True), connection)]
    with transaction.mark_for_rollback_on_error(using=alias), prepared.cursor(alias) as cursor:
        cursor.execute(sql, params)
    blob._state.adding, blob._state.db = False, alias
    blob.seen_before = seen_before
    return blob


_REGISTER: dict[str, str] = {}  # database alias -> the INSERT of `_register`


def _register_sql(alias: str) -> str:
    from django.db.models.constants import OnConflict
    from django.db.models.sql import InsertQuery

    meta = Blob._meta
    fields = [meta.get_field("sha256"), meta.get_field("size"), meta.get_field("created_at")]
    if list(meta.concrete_fields) != fields:
        raise RuntimeError("core.Blob's columns changed: update blobs._register")
    query = InsertQuery(Blob, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [Blob(sha256="0" * 64, size=0)])
    [(sql, params)] = query.get_compiler(alias).as_sql()
    if sql.count("%s") != len(fields) or len(params) != len(fields):
        raise RuntimeError(f"unexpected INSERT for core.Blob: {sql}")
    return sql


def store_path(path: str | os.PathLike, *, max_bytes: int | None = None) -> Blob:
    with open(path, "rb") as fh:
        return store_stream(fh, max_bytes=max_bytes)


def open_blob(blob: Blob | str) -> BinaryIO:
    sha = blob.sha256 if isinstance(blob, Blob) else blob
    return storage().open(Blob(sha256=sha, size=0).storage_name, "rb")


def iter_blob(blob: Blob | str, chunk_size: int = CHUNK) -> Iterator[bytes]:
    with open_blob(blob) as fh:
        while True:
            chunk = fh.read(chunk_size)
            if not chunk:
                return
            yield chunk


def local_path(blob: Blob | str) -> str | None:
    """The blob's path on the local disk, when the backend is local (for tools that need a path)."""
    backend = storage()
    if isinstance(backend, FileSystemStorage):
        sha = blob.sha256 if isinstance(blob, Blob) else blob
        return backend.path(Blob(sha256=sha, size=0).storage_name)
    return None

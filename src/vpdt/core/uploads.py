"""Uploads written once, straight into the blob store's staging folder, bounded while they stream.

`BoundedUploadHandler` (settings.FILE_UPLOAD_HANDLERS) writes each uploaded file, chunk by
chunk as the request is read, to a temporary file in the blob store's own spool (the folder
`blobs.store_checked` moves files from, on the same filesystem as the store) and computes its
SHA-256 on the way. The form or the API receives a `StagedUpload`: storing it is then a check of
its bytes (core.filetypes, by path) and a rename into the store, not another copy of the file
(issue 17: before, the body was written by Django's temporary-file handler, then copied again
into the store's spool). With S3 storage the staged file is streamed to the bucket once from
there. A staged file that is not stored (refused, or the request failed) is deleted when the
request ends, as Django's temporary files are.

It counts as well: once a file passes the limit of the person's agency
(Agency.upload_limit_bytes, else VPDT_MAX_UPLOAD_MB), its staged file is deleted at once and
the rest of it is dropped as it arrives, so the folder never holds more than the limit plus
one chunk. The form receives a `RefusedUpload` in its place, which carries the Vietnamese
refusal (TooLarge, FILE_TOO_LARGE): web.forms.UploadField shows it next to the field, and
records' services raise it if one reaches them.

When it is the request's only upload handler it parses the body itself (`handle_raw_input`,
core.multipart: python-multipart, what Django's parser would give), so that the file's bytes
reach it as views of the chunks read from the request, not as copies.

The web server bounds the whole request as well (core.serving.BodyLimitMiddleware).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import threading
import weakref

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from vpdt.core import blobs, multipart
from vpdt.core.errors import TooLarge
from vpdt.core.write_behind import WriteBehind

CHUNK = 2 * 1024 * 1024  # what Django reads from the request and hands over at a time


def limit_for(request) -> int:
    """The upload limit of the person's current agency (the default one without an agency)."""
    user = getattr(request, "user", None)
    agency = getattr(user, "agency", None) if user is not None and user.is_authenticated else None
    return agency.upload_limit_bytes() if agency is not None else blobs.default_limit_bytes()


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"Tệp vượt quá dung lượng cho phép ({max(limit // (1024 * 1024), 1)} MB).",
                    detail=f"limit={limit} bytes, refused while streaming")


class RefusedUpload(UploadedFile):
    """What the form gets instead of a file refused while it arrived: no bytes, the refusal."""

    def __init__(self, name: str, content_type: str, received: int, refusal: TooLarge):
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=received)
        self.refusal = refusal


class _Staging:
    """The staged file's path while it is still the upload's own (not refused, not moved)."""

    __slots__ = ("path", "staged", "__weakref__")

    def __init__(self, path: str):
        self.path, self.staged = path, True

    def remove(self) -> None:
        if self.staged:
            self.staged = False
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


class _Sink:
    """Hashes and writes an upload's chunks in two threads of their own, one hashing and one
    writing, while the request goes on being read and parsed: SHA-256, the write and the
    write-behind's wait for the disk release the GIL, so the three run side by side. In one
    thread, the hash waited for the disk and the disk for the hash: 0.45 s of SHA-256, 0.15 s of
    writing and 0.27 s of waiting for 512 MiB, one after the other (bench/upload_bench.py). At
    most DEPTH chunks wait in each (memory stays flat); an error of either thread (a full disk) is
    raised at the next chunk or at the end."""

    DEPTH = 4

    def __init__(self, digest, file):
        self.file, self.error = file, None
        self.queues = (queue.Queue(self.DEPTH), queue.Queue(self.DEPTH))
        self.threads = (threading.Thread(target=self._run, args=(self.queues[0], digest.update),
                                         name="upload-hash", daemon=True),
                        threading.Thread(target=self._run, args=(self.queues[1], self._write()),
                                         name="upload-write", daemon=True))
        for thread in self.threads:
            thread.start()

    def _write(self):
        # The disk writes the upload while it arrives, so that the fsync before the file is
        # stored (blobs, VPDT_BLOB_FSYNC) has little left to wait for, and an upload of
        # gigabytes does not fill the page cache (core.write_behind).
        behind = WriteBehind(self.file)
        written = 0

        def write(chunk):
            nonlocal written
            self.file.write(chunk)
            written += len(chunk)
            behind.wrote(written)

        return write

    def _run(self, chunks: queue.Queue, work) -> None:
        while (chunk := chunks.get()) is not None:
            try:
                if self.error is None:
                    work(chunk)
            except BaseException as exc:  # noqa: BLE001 - handed to the request's thread
                self.error = exc
            finally:
                chunks.task_done()

    def settled(self) -> None:
        """Wait until every chunk handed over is hashed and written (measurements, tests)."""
        for chunks in self.queues:
            chunks.join()

    def put(self, chunk) -> None:
        if self.error is not None:
            self.abandon()
            raise self.error
        for chunks in self.queues:
            chunks.put(chunk)

    def finish(self) -> None:
        self.abandon()
        if self.error is not None:
            raise self.error

    def abandon(self) -> None:
        if self.threads[0].is_alive():
            for chunks in self.queues:
                chunks.put(None)
            for thread in self.threads:
                thread.join()
        self.file = None  # nothing held once both threads have ended


class StagedUpload(UploadedFile):
    """An uploaded file already written in the blob store's spool, with its SHA-256: what
    blobs.store_checked moves into place (`place`) instead of copying. Closing it deletes the
    staged file unless it was moved; so does the end of its open file (a request that failed
    half-way), whichever comes first."""

    def __init__(self, file, staging: _Staging, name: str, content_type: str, size: int, charset,
                 content_type_extra, sha256: str):
        super().__init__(file, name, content_type, size, charset, content_type_extra)
        self.sha256 = sha256
        self._staging = staging

    @property
    def staged(self) -> bool:
        return self._staging.staged

    def temporary_file_path(self) -> str:
        return self._staging.path

    def place(self, final: str) -> None:
        """Move the staged file to `final` (same filesystem: a rename); the open file reads on."""
        os.replace(self._staging.path, final)
        self._staging.path, self._staging.staged = final, False

    def discard(self) -> None:
        self._staging.remove()

    def close(self):
        try:
            return self.file.close()
        finally:
            self.discard()


class BoundedUploadHandler(FileUploadHandler):
    chunk_size = CHUNK

    def __init__(self, request=None):
        super().__init__(request)
        self.limit: int | None = None
        self.received = 0
        self.refused: TooLarge | None = None
        self.file = None
        self.staging: _Staging | None = None
        self.digest = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        """Parse the body here (core.multipart: python-multipart, no copy of the file's bytes)
        when this handler is the request's only one; else Django's parser drives the handlers."""
        handlers = getattr(self.request, "upload_handlers", None)
        if not handlers or len(handlers) != 1 or handlers[0] is not self:
            return None
        return multipart.parse(self, input_data, content_length, boundary, encoding or settings.DEFAULT_CHARSET)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.limit is None:
            self.limit = limit_for(self.request)
        self.received = 0
        self.refused = None
        fd, path = blobs._spool_file("upload-")
        self.file = os.fdopen(fd, "w+b")
        self.staging = _Staging(path)
        # A request that fails half-way (the client went away) leaves no staged file behind.
        weakref.finalize(self.file, self.staging.remove)
        self.digest = hashlib.sha256()
        self.sink = _Sink(self.digest, self.file)
        # A request dropped half-way (the parser raised) drops this handler: its thread ends, and
        # with it the last hold on the file, whose end removes the staged file.
        weakref.finalize(self, self.sink.abandon)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.refused is not None:
            return None  # dropped as it arrives
        if self.received > self.limit:
            self.refused = too_large(self.limit)
            self._discard()
            return None
        self.sink.put(raw_data)
        return None

    def file_complete(self, file_size):
        if self.refused is not None:
            return RefusedUpload(self.file_name, self.content_type, self.received, self.refused)
        self.sink.finish()
        self.file.flush()
        self.file.seek(0)
        return StagedUpload(self.file, self.staging, self.file_name, self.content_type, self.received,
                            self.charset, self.content_type_extra, self.digest.hexdigest())

    def upload_interrupted(self):
        self._discard()

    def _discard(self) -> None:
        if self.file is None:
            return
        self.sink.abandon()
        with contextlib.suppress(OSError):
            self.file.close()
        self.staging.remove()

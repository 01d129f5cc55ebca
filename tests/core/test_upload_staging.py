"""Uploads written once (issue 17): the request's upload handler writes each file into the blob
store's spool with its SHA-256, and storing it is a rename, not a copy; a refused or abandoned
upload leaves nothing behind; S3-like storages get the staged file streamed to them once."""

from __future__ import annotations

import gc
import hashlib
import io
import os
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from vpdt.core import blobs, filetypes, uploads, write_behind
from vpdt.core.errors import TooLarge
from vpdt.core.models import Blob

pytestmark = pytest.mark.django_db

DATA = b"PK\x03\x04" + os.urandom(3 * uploads.CHUNK + 12345)


def _upload(data: bytes = DATA, chunk: int = uploads.CHUNK) -> uploads.StagedUpload:
    """What Django's multipart parser does with the handler, chunk by chunk."""
    handler = uploads.BoundedUploadHandler(SimpleNamespace(user=AnonymousUser()))
    handler.new_file("file", "tep.zip", "application/zip", len(data))
    for start in range(0, len(data), chunk):
        handler.receive_data_chunk(data[start : start + chunk], start)
    return handler.file_complete(len(data))


def _spool() -> list[str]:
    return os.listdir(blobs._spool_dir())


def _stored(blob_dir) -> list:
    return [p for p in blob_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"]


def test_the_staged_file_is_hashed_as_it_arrives_and_renamed_into_the_store(blob_dir):
    upload = _upload()
    staged = upload.temporary_file_path()
    assert os.path.dirname(staged) == blobs._spool_dir() and upload.sha256 == hashlib.sha256(DATA).hexdigest()
    inode = os.stat(staged).st_ino
    checked = []
    blob, verdict = blobs.store_checked(upload, check=lambda path: checked.append(path) or "ok")
    assert (blob.sha256, blob.size, verdict, checked) == (hashlib.sha256(DATA).hexdigest(), len(DATA), "ok", [staged])
    final = blob_dir / blob.storage_name
    assert os.stat(final).st_ino == inode  # the very file written while the request was read: no copy
    assert final.read_bytes() == DATA and _spool() == []
    upload.close()  # the end of the request
    assert final.read_bytes() == DATA and Blob.objects.get().sha256 == blob.sha256


def test_the_same_bytes_twice_are_stored_once_and_the_second_staged_file_goes(blob_dir):
    first, second = _upload(), _upload(chunk=1000)
    assert first.sha256 == second.sha256
    blobs.store_checked(first)
    blobs.store_checked(second)
    second.close()
    first.close()
    assert len(_stored(blob_dir)) == 1 and _spool() == []


def test_a_file_refused_by_its_bytes_leaves_nothing(blob_dir):
    upload = _upload(b"<html><script>alert(1)</script></html>")
    with pytest.raises(filetypes.FileRefused):
        blobs.store_checked(upload, check=filetypes.identify)
    assert _spool() == [] and _stored(blob_dir) == [] and not Blob.objects.exists()
    upload.close()


def test_a_file_over_the_document_agency_limit_leaves_nothing(blob_dir):
    upload = _upload()
    with pytest.raises(TooLarge):
        blobs.store_checked(upload, max_bytes=len(DATA) - 1)
    assert _spool() == [] and _stored(blob_dir) == [] and not Blob.objects.exists()


def test_a_file_over_the_limit_while_it_streams_is_dropped_at_once(blob_dir, settings):
    settings.VPDT_MAX_UPLOAD_MB = 1
    refused = _upload(b"PK\x03\x04" + b"0" * (2 * 1024 * 1024), chunk=256 * 1024)
    assert isinstance(refused, uploads.RefusedUpload) and _spool() == []


def test_an_upload_abandoned_half_way_leaves_no_staged_file(blob_dir):
    handler = uploads.BoundedUploadHandler(SimpleNamespace(user=AnonymousUser()))
    handler.new_file("file", "tep.zip", "application/zip", None)
    handler.receive_data_chunk(DATA[:100_000], 0)
    assert len(_spool()) == 1
    del handler  # the client went away: the parser raised, the request is dropped
    gc.collect()
    assert _spool() == []


def test_a_remote_storage_gets_the_staged_file_streamed_once(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "blobs": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.DATA_DIR = tmp_path
    upload = _upload()
    assert os.path.dirname(upload.temporary_file_path()) == str(tmp_path / "tmp")
    blob, _ = blobs.store_checked(upload)
    upload.close()
    assert b"".join(blobs.iter_blob(blob)) == DATA and os.listdir(tmp_path / "tmp") == []


def test_the_web_form_stores_the_uploaded_file_without_copying_it(blob_dir, client, monkeypatch):
    """Through the real request path: the inode the handler wrote is the stored blob's."""
    from tests import factories
    from tests.web.test_file_attacks import _pdf, _receive
    from vpdt.records.models import Attachment

    written: list[int] = []
    complete = uploads.BoundedUploadHandler.file_complete

    def noting(self, file_size):
        out = complete(self, file_size)
        written.append(os.stat(out.temporary_file_path()).st_ino)
        return out

    monkeypatch.setattr(uploads.BoundedUploadHandler, "file_complete", noting)
    agency = factories.agency()
    client.force_login(factories.clerk(agency))
    pdf = _pdf()
    r = _receive(client, pdf, "cong-van.pdf", "application/pdf")
    assert r.status_code == 302, r.content.decode()[:500]
    blob = Attachment.objects.get().blob
    assert blob.sha256 == hashlib.sha256(pdf).hexdigest()
    assert [os.stat(blob_dir / blob.storage_name).st_ino] == written
    assert _spool() == []


@pytest.mark.parametrize("staged", [True, False])
def test_a_stored_file_and_its_name_are_on_disk_before_the_row(blob_dir, settings, monkeypatch, staged):
    """settings.VPDT_BLOB_FSYNC (on by default; off for the rest of the suite): the spooled bytes
    are fsync'd before the rename into place, then the directory that holds the new name; the
    Blob row is written after both. Off, nothing is fsync'd."""
    settings.VPDT_BLOB_FSYNC = True
    events = []
    real_fsync = os.fsync

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def row(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and Blob._meta.db_table in sql:
            events.append(("row", params[0]))
        return execute(sql, params, many, context)

    monkeypatch.setattr(blobs.os, "fsync", fsync)
    data = DATA + (b"staged" if staged else b"stream")
    with connection.execute_wrapper(row):
        blob = blobs.store_checked(_upload(data))[0] if staged else blobs.store_stream(io.BytesIO(data))
    final = os.path.realpath(blobs.storage().path(blob.storage_name))
    assert [kind for kind, _ in events] == ["fsync", "fsync", "row"]
    assert os.path.dirname(events[0][1]) == os.path.realpath(os.path.join(blob_dir, "tmp"))  # the spool file
    assert events[1][1] == os.path.dirname(final)  # its new name's directory
    events.clear()
    settings.VPDT_BLOB_FSYNC = False
    with connection.execute_wrapper(row):
        blobs.store_stream(io.BytesIO(data + b"again"))
    assert [kind for kind, _ in events] == ["row"]


def test_chunks_hashed_and_written_in_the_handler_s_thread_give_the_file_and_its_hash(blob_dir, monkeypatch):
    monkeypatch.setattr(write_behind, "WINDOW", 1024 * 1024)  # the disk told to write back as it goes
    upload = _upload(chunk=300_001)
    assert upload.sha256 == hashlib.sha256(DATA).hexdigest()
    with open(upload.temporary_file_path(), "rb") as fh:
        assert fh.read() == DATA
    upload.close()
    assert _spool() == []


def test_a_disk_that_fails_while_an_upload_is_written_is_an_error_and_leaves_no_staged_file(blob_dir):
    handler = uploads.BoundedUploadHandler(SimpleNamespace(user=AnonymousUser()))
    handler.new_file("file", "tep.zip", "application/zip", len(DATA))
    real = handler.sink.file

    class Full:
        def write(self, data):
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(real, name)

    handler.sink.file = Full()
    with pytest.raises(OSError, match="No space left"):
        for start in range(0, len(DATA), 100_000):
            handler.receive_data_chunk(DATA[start : start + 100_000], start)
        handler.file_complete(len(DATA))
    handler.upload_interrupted()
    assert _spool() == []


def test_the_hash_goes_on_while_the_disk_is_slow_to_write(blob_dir, monkeypatch):
    """The handler hashes and writes in two threads: a chunk waiting for the disk does not hold
    back the hashing of the next ones (in one thread, each waited for the other)."""
    import threading

    gate, hashed = threading.Event(), []

    class Counting:
        def __init__(self):
            self.digest = hashlib.sha256()

        def update(self, data):
            self.digest.update(data)
            hashed.append(len(data))

        def hexdigest(self):
            return self.digest.hexdigest()

    monkeypatch.setattr(uploads, "hashlib", SimpleNamespace(sha256=Counting))
    handler = uploads.BoundedUploadHandler(SimpleNamespace(user=AnonymousUser()))
    handler.new_file("file", "tep.zip", "application/zip", len(DATA))
    real = handler.sink.file

    class SlowDisk:
        def write(self, data):
            gate.wait(10)
            return real.write(data)

        def __getattr__(self, name):
            return getattr(real, name)

    handler.sink.file = SlowDisk()
    for start in range(0, 300_000, 100_000):
        handler.receive_data_chunk(DATA[start : start + 100_000], start)
    for _ in range(500):
        if len(hashed) == 3:
            break
        gate.wait(0.01)
    assert hashed == [100_000] * 3  # all hashed while the first write still waits for the disk
    gate.set()
    handler.receive_data_chunk(DATA[300_000:], 300_000)
    upload = handler.file_complete(len(DATA))
    assert upload.sha256 == hashlib.sha256(DATA).hexdigest()
    with open(upload.temporary_file_path(), "rb") as fh:
        assert fh.read() == DATA
    upload.close()
    assert _spool() == []

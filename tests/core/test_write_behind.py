"""core.write_behind: each window of a streamed file is handed to the disk as the next arrives,
and the one before it, once on disk, leaves the page cache."""

from __future__ import annotations

import os

from vpdt.core import write_behind
from vpdt.core.write_behind import WriteBehind

MiB = 1024 * 1024


def _write(path, behind_window: int, pieces: list[bytes]) -> None:
    with open(path, "wb") as fh:
        behind = WriteBehind(fh, behind_window)
        written = 0
        for piece in pieces:
            fh.write(piece)
            written += len(piece)
            behind.wrote(written)


def test_each_window_is_written_back_and_the_one_before_it_waited_for_then_dropped(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(write_behind, "_sync_file_range", lambda fd, start, length, flags: calls.append(
        ("range", start, length, flags)) or 0)
    monkeypatch.setattr(write_behind.os, "posix_fadvise", lambda fd, start, length, advice: calls.append(
        ("drop", start, length, advice)))
    pieces = [os.urandom(300_000) for _ in range(12)]  # 3.6 MB in windows of 1 MiB
    _write(tmp_path / "f", MiB, pieces)
    assert (tmp_path / "f").read_bytes() == b"".join(pieces)  # every byte written, in order
    start_only, wait_all = 2, 1 | 2 | 4
    # windows end where the writes passed 1 MiB: 1.2 MB, 2.4 MB, 3.6 MB
    assert calls == [
        ("range", 0, 1_200_000, start_only),
        ("range", 1_200_000, 1_200_000, start_only),
        ("range", 0, 1_200_000, wait_all), ("drop", 0, 1_200_000, os.POSIX_FADV_DONTNEED),
        ("range", 2_400_000, 1_200_000, start_only),
        ("range", 1_200_000, 1_200_000, wait_all), ("drop", 1_200_000, 1_200_000, os.POSIX_FADV_DONTNEED),
    ]


def test_without_sync_file_range_each_window_is_only_dropped(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(write_behind, "_sync_file_range", None)
    monkeypatch.setattr(write_behind.os, "posix_fadvise", lambda fd, start, length, advice: calls.append(
        (start, length)))
    _write(tmp_path / "f", MiB, [b"x" * 700_000] * 3)
    assert calls == [(0, 1_400_000)]


def test_a_small_file_is_left_to_the_kernel(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(write_behind, "_sync_file_range", lambda *a: calls.append(a) or 0)
    _write(tmp_path / "f", MiB, [b"y" * 1000] * 10)
    assert calls == [] and (tmp_path / "f").read_bytes() == b"y" * 10_000


def test_the_real_call_is_linux_s_and_its_file_reads_back_whole(tmp_path):
    # On Linux the C library's sync_file_range is found and used for real: the file is intact.
    assert write_behind._sync_file_range is not None
    pieces = [os.urandom(MiB // 2) for _ in range(9)]
    _write(tmp_path / "g", MiB, pieces)
    assert (tmp_path / "g").read_bytes() == b"".join(pieces)


def test_the_blob_store_and_the_hub_write_a_large_file_behind_and_keep_it_whole(blob_dir, tmp_path, monkeypatch,
                                                                                   db):
    import io

    from vpdt.core import blobs
    from vpdt.hub.storage import PackageStore

    calls = []
    real = write_behind._sync_file_range
    monkeypatch.setattr(write_behind, "WINDOW", MiB)
    monkeypatch.setattr(write_behind, "_sync_file_range", lambda *a: calls.append(a) or real(*a))
    data = os.urandom(3 * MiB + 17)
    blob = blobs.store_stream(io.BytesIO(data))
    with blobs.open_blob(blob) as fh:
        assert fh.read() == data
    assert len(calls) >= 3  # 1 MiB chunks: windows started, the earlier ones waited for
    calls.clear()
    stream = io.BytesIO(data)
    incoming = PackageStore(tmp_path / "hub").receive(stream.read, len(data) + 10)
    assert incoming.path.read_bytes() == data and len(calls) >= 3

"""Write-behind for a large file written as a stream: the disk writes each window while the next
one arrives, and a window already on disk leaves the page cache.

Writing a file of gigabytes with plain write() leaves all of it dirty in the page cache: memory
fills, the kernel then throttles the writer, and the fsync before the file is stored waits for
everything at once. Dropping pages with POSIX_FADV_DONTNEED alone does not help: pages still
dirty or under write-back cannot be dropped, so the cache keeps growing into memory not touched
for a while (on a virtual machine whose host reclaims free memory, every new page then costs a
fault on the host: writing 512 MiB took 1.3 s of CPU instead of 0.2 s, bench/upload_bench.py).

So, per window (Linux's sync_file_range, the pattern its authors describe for streaming writes):
start the write-back of the window just written; wait for the one before it, which the disk has
had a whole window's time to write, and drop its now clean pages, which the next writes reuse.
The page cache holds at most two windows of the file, the final fsync has at most two windows
left to wait for, and the writer never waits for more than the disk's own pace. Where
sync_file_range is missing (not Linux), only the DONTNEED of each window is asked, as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os

WINDOW = 16 * 1024 * 1024
_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4


def _load_sync_file_range():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        call = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


_sync_file_range = _load_sync_file_range()


class WriteBehind:
    """Call `wrote(end)` after each write with the file's size so far (the bytes from 0 to `end`
    are written); the file object is flushed before each window is handed to the disk. Errors
    of the write-back itself are left to the fsync (or close) that follows, as with plain writes."""

    __slots__ = ("file", "window", "started", "previous")

    def __init__(self, file, window: int | None = None):
        self.file, self.window = file, window or WINDOW
        self.started = 0  # the start of the window being written
        self.previous: tuple[int, int] | None = None  # the window handed to the disk last

    def wrote(self, end: int) -> None:
        if end - self.started < self.window:
            return
        self.file.flush()
        fd = self.file.fileno()
        window = (self.started, end - self.started)
        with contextlib.suppress(OSError, AttributeError):
            if _sync_file_range is None:
                os.posix_fadvise(fd, *window, os.POSIX_FADV_DONTNEED)
            else:
                _sync_file_range(fd, *window, _WRITE)
                if self.previous is not None:
                    _sync_file_range(fd, *self.previous, _WAIT_BEFORE | _WRITE | _WAIT_AFTER)
                    os.posix_fadvise(fd, *self.previous, os.POSIX_FADV_DONTNEED)
        self.previous, self.started = window, end

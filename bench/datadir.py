"""Where a benchmark keeps its data directories, and what a new file costs there.

A deployed e-office and hub keep their files in their data directory (/var/lib/vpdt in
docs/deploy.md, ./var for `make run`), never in the system's temporary directory; the benches
that measure CPU per exchange or per accept do the same, in ./var/bench (`--data-dir`: anywhere
else). On these VMs the CPU a new file costs moves by ten times from one directory and one
minute to the next: 0.01–0.03 ms usually, 0.14–0.55 ms at times (ext4's inode allocation after
files were removed, "The ratio on the fifteenth session's AMD machine" in docs/BENCHMARKS.md).
An exchange creates about a dozen files in its two data directories, so each bench that uses
this prints what a new file costs in its directory and in the temporary directory, measured
just before the run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PARENT = ROOT / "var" / "bench"


def new_dir(prefix: str, parent: str | os.PathLike | None = None) -> Path:
    """A new, empty directory for one run (the caller removes it)."""
    where = Path(parent) if parent else DEFAULT_PARENT
    where.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=where))


def file_create_ms(parent: str | os.PathLike, files: int = 400) -> float:
    """CPU ms of this thread to create, write one byte to, close and remove a file in `parent`
    (median of three rounds)."""
    rounds = []
    probe = Path(tempfile.mkdtemp(prefix="probe-", dir=parent))
    try:
        for _ in range(3):
            start = time.thread_time()
            for i in range(files):
                name = probe / f"f{i}"
                fd = os.open(name, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
                os.write(fd, b"x")
                os.close(fd)
                os.unlink(name)
            rounds.append((time.thread_time() - start) * 1000 / files)
    finally:
        probe.rmdir()
    return sorted(rounds)[1]


def describe(directory: str | os.PathLike) -> str:
    """One line: where the run's data is, and what a new file costs there and in the temporary
    directory."""
    here = Path(directory).parent
    temp = tempfile.gettempdir()
    return (f"data directories in {directory}: a new file costs {file_create_ms(here):.3f} ms of CPU there, "
            f"{file_create_ms(temp):.3f} ms in {temp}")

"""Where a benchmark keeps its data directories: beside the e-office's own (./var), not in /tmp.

A deployed e-office and hub keep their files in their data directory (/var/lib/vpdt in
docs/deploy.md, ./var for `make run`), never in the system's temporary directory. On some
machines that directory makes every new file dear: on the VMs of the twentieth and
twenty-first sessions, creating a file in /tmp cost 0.14–0.55 ms of CPU, against 0.01–0.03 ms
in /var/tmp or ./var on the same disk (something watches /tmp there). An exchange creates a
dozen files in its two data directories, so a bench in /tmp measured that machine's /tmp, not
the e-office. Each bench that uses this prints what a new file costs in its directory and in
the temporary directory, in the same run; `--data-dir` puts it anywhere else (/tmp included).
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

"""Temporary files of interrupted work, removed at start (`vpdt serve`, `vpdt worker`).

A worker killed while fetching or inflating a package leaves its temporary files behind
(the exchange's spool `DATA_DIR/exchange/tmp`, the blob store's spool): nothing else would
ever remove them. At start every file there older than VPDT_SPOOL_GRACE_SECONDS is removed.
Work still running in another process keeps its files fresh (written as they grow, or
created less than the grace ago: the grace is longer than the exchange's lease), so only
leftovers go.
"""

from __future__ import annotations

import logging
import os
import time

from django.conf import settings

from vpdt.core import blobs

log = logging.getLogger("vpdt.exchange")


def grace_seconds() -> float:
    lease = float(getattr(settings, "EXCHANGE_LEASE_SECONDS", 300))
    return max(float(getattr(settings, "VPDT_SPOOL_GRACE_SECONDS", 3600)), lease)


def spool_dirs() -> list[str]:
    from vpdt.exchange import inbox

    return [inbox._spool_dir(), blobs._spool_dir()]


def clean_dir(directory: str, older_than: float, now: float | None = None) -> tuple[int, int]:
    """Remove the files of `directory` (not below it) last modified more than `older_than` s ago."""
    now = time.time() if now is None else now
    removed = freed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0, 0
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            if now - st.st_mtime <= older_than:
                continue
            os.unlink(entry.path)
        except FileNotFoundError:
            continue  # finished (and removed) by its owner meanwhile
        removed += 1
        freed += st.st_size
    return removed, freed


def clean_at_start(older_than: float | None = None) -> dict[str, int]:
    """Clean the exchange's and the blob store's spools; returns {"files": n, "bytes": b}."""
    grace = grace_seconds() if older_than is None else older_than
    files = size = 0
    for directory in dict.fromkeys(spool_dirs()):
        n, b = clean_dir(directory, grace)
        files, size = files + n, size + b
    if files:
        log.warning("removed %d temporary files (%d bytes) left by interrupted work", files, size)
    return {"files": files, "bytes": size}

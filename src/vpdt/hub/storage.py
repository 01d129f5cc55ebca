"""Package files on disk, content-addressed by SHA-256, received as a stream.

A request body is copied chunk by chunk to a temp file in the data dir while it is
hashed, then (once the hub has accepted it) fsynced and renamed to
`packages/ab/cd/<sha256>.edxml`. The whole package is never in memory. A crash leaves
at most a temp file or an unreferenced package file, never a half-written one under a
name the database points to.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vpdt.core.write_behind import WriteBehind
from vpdt.vxp import protocol as vxp

CHUNK = 1024 * 1024
CRLF = b"\r\n"


def _write(fh, data: bytes) -> None:
    """One write; a seam where tests inject ENOSPC."""
    fh.write(data)


class StorageFull(vxp.VxpError):
    def __init__(self, detail: str):
        super().__init__(vxp.STORAGE_FULL, detail)


@dataclass
class Incoming:
    """A received body in a temp file, with the SHA-256 with and without a final CRLF."""

    path: Path
    size: int  # of the body as received
    sha_full: bytes
    sha_stripped: bytes | None  # when the body ends with CRLF (the SDK adds one)
    sha256: str = ""  # hex of the package chosen by `match_hash_file`

    def match_hash_file(self, claimed: str | None) -> None:
        """Pick the package (body minus the SDK's CRLF, or the body) matching `hash-file`."""
        if self.sha_stripped is not None and (claimed is None or vxp.hash_file_matches(claimed, self.sha_stripped)):
            os.truncate(self.path, self.size - len(CRLF))
            self.size -= len(CRLF)
            self.sha256 = self.sha_stripped.hex()
            return
        if claimed is None or vxp.hash_file_matches(claimed, self.sha_full):
            self.sha256 = self.sha_full.hex()
            return
        raise vxp.VxpError(vxp.HASH_MISMATCH, f"hash-file {claimed} is neither SHA-256 of the body "
                           f"({vxp.hash_file_hex(self.sha_full)}) nor of the body minus CRLF")

    def discard(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


_made: set[Path] = set()  # store roots whose directories this process has made (or found)


class PackageStore:
    def __init__(self, root: str | os.PathLike, min_free_bytes: int = 0):
        self.root = Path(root)
        self.min_free_bytes = min_free_bytes
        self.tmp = self.root / "tmp"
        self.packages = self.root / "packages"

    def ensure(self) -> None:
        """Make the temp and package directories, once per process (every accept asks; a
        directory removed since is made again where a write finds it missing)."""
        if self.root in _made:
            return
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.packages.mkdir(parents=True, exist_ok=True)
        _made.add(self.root)

    def _in_place(self, call):
        """`call()`, again once the directories are made if they were removed under a running
        process."""
        try:
            return call()
        except FileNotFoundError:
            _made.discard(self.root)
            self.ensure()
            return call()

    def path(self, sha256: str) -> Path:
        return self.packages / sha256[:2] / sha256[2:4] / f"{sha256}.edxml"

    def check_space(self, incoming_bytes: int) -> None:
        if not self.min_free_bytes and not incoming_bytes:
            return
        self.ensure()
        free = self._in_place(lambda: shutil.disk_usage(self.root).free)
        if free - incoming_bytes < self.min_free_bytes:
            raise StorageFull(f"{free} bytes free, {incoming_bytes} incoming, minimum {self.min_free_bytes}")

    def receive(self, read: Callable[[int], bytes], max_bytes: int, expected: int | None = None) -> Incoming:
        """Copy a stream to a temp file while hashing; refuse beyond `max_bytes`."""
        if expected is not None and expected > max_bytes + len(CRLF):
            raise vxp.VxpError(vxp.TOO_LARGE, f"Content-Length {expected} > limit {max_bytes}")
        self.check_space(expected or 0)
        self.ensure()
        fd, name = self._in_place(lambda: tempfile.mkstemp(dir=self.tmp, suffix=".part"))
        path = Path(name)
        digest = hashlib.sha256()
        held = b""  # the last two bytes, hashed only once we know they are not the final CRLF
        size = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                behind = WriteBehind(fh)  # a large package goes to disk as it comes (core.write_behind)
                while True:
                    chunk = read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes + len(CRLF):
                        raise vxp.VxpError(vxp.TOO_LARGE, f"body larger than {max_bytes} bytes")
                    data = held + chunk
                    digest.update(data[:-2])
                    held = data[-2:]
                    _write(fh, chunk)
                    behind.wrote(size)
                fh.flush()
            if expected is not None and size != expected:
                raise vxp.VxpError(vxp.HASH_MISMATCH, f"body truncated: {size} of {expected} bytes")
        except OSError as exc:
            path.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"writing the package: {exc.strerror}") from None
            raise
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        stripped = digest.copy().digest() if held == CRLF else None
        digest.update(held)
        if stripped is None and size > max_bytes:
            path.unlink(missing_ok=True)
            raise vxp.VxpError(vxp.TOO_LARGE, f"package larger than {max_bytes} bytes")
        return Incoming(path=path, size=size, sha_full=digest.digest(), sha_stripped=stripped)

    def commit(self, incoming: Incoming) -> Path:
        """Make the temp file the durable package file (fsync, rename); idempotent."""
        target = self.path(incoming.sha256)
        if target.exists():
            incoming.discard()
            return target
        try:
            with open(incoming.path, "rb+") as fh:
                os.fsync(fh.fileno())
            try:
                os.replace(incoming.path, target)
            except FileNotFoundError:
                # The first package of its two-level directory: make it and rename again. Not
                # "if the directory exists, the temp file is what is missing": another request
                # may have made the directory between this rename and that look. A temp file
                # really gone fails the second rename.
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(incoming.path, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            incoming.discard()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"storing the package: {exc.strerror}") from None
            raise
        return target

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    def clean_tmp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by a crash mid-upload."""
        import time

        removed = 0
        if not self.tmp.exists():
            return 0
        for part in self.tmp.glob("*.part"):
            try:
                if time.time() - part.stat().st_mtime > older_than_seconds:
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

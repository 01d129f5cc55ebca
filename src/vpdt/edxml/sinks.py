"""Where decoded attachment bytes go while a package is read.

A sink is either a callable ``sink(meta) -> writable binary file`` or an object with
``open(meta)`` returning one, and optionally ``done(meta, fileobj, attachment) -> stored``
(called once the attachment's metadata is complete) and ``abort()`` (on error). The
reader writes decoded bytes as they come and never holds an attachment in memory.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from .model import Attachment, AttachmentMeta


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name without directories or control characters, never '.' or '..'."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", name).strip(" .")
    return name or fallback


def unique_path(directory: Path, name: str) -> Path:
    p = directory / name
    if not p.exists():
        return p
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    i = 1
    while True:
        candidate = directory / (f"{stem} ({i}).{ext}" if dot else f"{stem} ({i})")
        if not candidate.exists():
            return candidate
        i += 1


class DirectorySink:
    """Writes each attachment, as decoded (zips stay zipped), into a directory.

    Files are written under a temporary name and renamed to the attachment name once it
    is known (the name may come after the content). `stored` is the final Path.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._partial: list[Path] = []
        self.paths: list[Path] = []

    def open(self, meta: AttachmentMeta):
        part = self.directory / f".edxml-part-{os.getpid()}-{meta.index}"
        self._partial.append(part)
        return open(part, "w+b")

    def done(self, meta: AttachmentMeta, fileobj, attachment: Attachment) -> Path:
        fileobj.close()
        part = Path(fileobj.name)
        target = unique_path(self.directory, safe_filename(attachment.name, f"attachment-{meta.index + 1}"))
        os.replace(part, target)
        self._partial.remove(part)
        self.paths.append(target)
        return target

    def abort(self) -> None:
        for part in self._partial:
            try:
                part.unlink()
            except FileNotFoundError:
                pass
        self._partial.clear()

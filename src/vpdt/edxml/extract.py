"""Extracting a package's attachments into a directory, unzipping transport zips.

A transport zip with one entry becomes the file named in the manifest (the entry name is
often a generated one); with several entries, the entries are written under their own
(sanitised) names in a folder named after the attachment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .limits import DEFAULT_LIMITS, Limits
from .reader import read_package
from .sinks import DirectorySink, safe_filename, unique_path
from .zipinfo import BLOCK, ZipBudget, archive_size


def extract_package(source, directory: str | os.PathLike, *, strict: bool = False, limits: Limits | None = None):
    """Reads `source` and writes its attachments into `directory`; returns (package, [paths]).

    Transport zips are inflated within `limits` (total, ratio, entries): beyond a bound
    EdxmlError EDXML_ZIP_BOMB is raised and the files written so far are removed.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".edxml-") as tmp:
        pkg = read_package(source, attachment_sink=DirectorySink(tmp), strict=strict, limits=limits)
        written: list[Path] = []
        try:
            for i, a in enumerate(getattr(pkg, "attachments", []) or []):
                _extract_one(a, safe_filename(a.name, f"attachment-{i + 1}"), directory, limits, written)
        except BaseException:
            for path in reversed(written):  # files first, then the folders made for them
                with contextlib.suppress(OSError):
                    path.rmdir() if path.is_dir() else path.unlink()
            raise
        return pkg, [p for p in written if not p.is_dir()]


def _extract_one(a, name: str, directory: Path, limits: Limits | None, written: list[Path]) -> None:
    stored = Path(a.stored)
    if not a.zipped:
        target = unique_path(directory, name)
        os.replace(stored, target)
        written.append(target)
        return
    with open(stored, "rb") as fh, zipfile.ZipFile(fh) as zf:
        budget = ZipBudget(limits or DEFAULT_LIMITS, archive_size(fh), str(stored))
        entries = budget.entries(zf)
        if len(entries) == 1:
            targets = [(entries[0], unique_path(directory, name))]
        else:
            folder = unique_path(directory, name + ".d")
            folder.mkdir()
            written.append(folder)
            targets = [(e, unique_path(folder, safe_filename(e.filename, f"entry-{j + 1}")))
                       for j, e in enumerate(entries)]
        for entry, target in targets:
            written.append(target)
            with budget.open(zf, entry) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, BLOCK)

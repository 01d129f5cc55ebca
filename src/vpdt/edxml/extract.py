"""Extracting a package's attachments into a directory, unzipping transport zips.

A transport zip with one entry becomes the file named in the manifest (the entry name is
often a generated one); with several entries, the entries are written under their own
(sanitised) names in a folder named after the attachment.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from .limits import Limits
from .reader import read_package
from .sinks import DirectorySink, safe_filename, unique_path


def extract_package(source, directory: str | os.PathLike, *, strict: bool = False, limits: Limits | None = None):
    """Reads `source` and writes its attachments into `directory`; returns (package, [paths])."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".edxml-") as tmp:
        pkg = read_package(source, attachment_sink=DirectorySink(tmp), strict=strict, limits=limits)
        written: list[Path] = []
        for i, a in enumerate(getattr(pkg, "attachments", []) or []):
            stored = Path(a.stored)
            name = safe_filename(a.name, f"attachment-{i + 1}")
            if not a.zipped:
                target = unique_path(directory, name)
                os.replace(stored, target)
                written.append(target)
                continue
            with zipfile.ZipFile(stored) as zf:
                entries = [e for e in zf.infolist() if not e.is_dir()]
                if len(entries) == 1:
                    targets = [(entries[0], unique_path(directory, name))]
                else:
                    folder = unique_path(directory, name + ".d")
                    folder.mkdir()
                    targets = [(e, unique_path(folder, safe_filename(e.filename, f"entry-{j + 1}"))) for j, e in enumerate(entries)]
                for entry, target in targets:
                    with zf.open(entry) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    written.append(target)
        return pkg, written

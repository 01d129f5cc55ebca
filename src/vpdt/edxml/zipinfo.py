"""What is inside a zipped attachment: entry names, sizes and SHA-256, read as a stream.

The official library zips each file before base64 (ContentType application/zip, one
entry); others send the file itself. `is_transport_zip` decides which case a decoded
attachment is, `list_entries` reads the entries with bounded memory, within bounds on the
total inflated size, the entry count and the compression ratio (a zip bomb is refused
while inflating, not expanded). `ZipBudget` applies the same bounds wherever else vpdt
inflates a zip (`extract`, the exchange's inbox).
"""

from __future__ import annotations

import hashlib
import zipfile

from .errors import ZIP_BOMB, EdxmlError
from .limits import Limits

ZIP_MAGIC = b"PK\x03\x04"
BLOCK = 1 << 16  # inflated bytes per read: the most a bound can be overshot by
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip"}
# Formats that are zip files themselves: sent as they are, they are not a transport zip.
ZIP_CONTAINER_EXT = (".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".jar", ".apk", ".xps", ".oxps")


def is_transport_zip(name: str | None, content_type: str | None, magic: bytes) -> bool:
    """True when the attachment is a zip made around the named file for transport."""
    if magic[:4] != ZIP_MAGIC:
        return False
    lname = (name or "").lower()
    if lname.endswith(".zip"):
        return False  # the file itself is a zip archive
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ZIP_TYPES:
        return True  # e.g. "report.docx" as application/zip: zipped for transport
    # No useful type: a zip around a file whose own format is not a zip container.
    return ctype in ("", "application/octet-stream") and not lname.endswith(ZIP_CONTAINER_EXT)


class ZipBudget:
    """The bounds of inflating one zip, counted on the bytes as they come out.

    `archive_size` is the real size of the zip (bytes on disk), never a size it declares.
    Every entry opened through `open` shares one budget: the total inflated, the number of
    entries, the ratio of each entry (to its compressed size) and of the whole zip (to the
    archive), each checked once more than `limits.zip_ratio_floor` bytes came out.
    """

    def __init__(self, limits: Limits, archive_size: int, path: str | None = None):
        self.limits = limits
        self.archive_size = max(int(archive_size), 1)
        self.path = path
        self.total = 0

    def fail(self, detail: str):
        raise EdxmlError(ZIP_BOMB, detail, self.path)

    def entries(self, zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > self.limits.max_zip_entries:
            self.fail(f"zip has {len(infos)} entries (at most {self.limits.max_zip_entries})")
        return infos

    def open(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> BoundedEntry:
        return BoundedEntry(self, zf.open(info), info)

    def count(self, entry: BoundedEntry, n: int) -> None:
        limits = self.limits
        entry.size += n
        self.total += n
        if self.total > limits.max_unzipped_bytes:
            self.fail(f"zip inflates beyond {limits.max_unzipped_bytes} bytes")
        if entry.size > limits.zip_ratio_floor and entry.size > limits.max_zip_ratio * entry.compressed:
            self.fail(f"entry {entry.name!r} inflates more than {limits.max_zip_ratio} times "
                      f"({entry.size} bytes out of {entry.compressed} compressed, and counting)")
        if self.total > limits.zip_ratio_floor and self.total > limits.max_zip_ratio * self.archive_size:
            self.fail(f"zip inflates more than {limits.max_zip_ratio} times its size "
                      f"({self.total} bytes out of {self.archive_size}, and counting)")


class BoundedEntry:
    """A readable entry of a zip that stops (EDXML_ZIP_BOMB) at the bounds of its budget."""

    def __init__(self, budget: ZipBudget, raw, info: zipfile.ZipInfo):
        self.budget = budget
        self.raw = raw
        self.name = info.filename
        # The compressed size read is at most the declared one and at most the archive.
        self.compressed = max(min(info.compress_size, budget.archive_size), 1)
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        # Never more than one block at a time, so a bound stops the inflation near it.
        n = BLOCK if n is None or n < 0 or n > BLOCK else n
        block = self.raw.read(n)
        if block:
            self.budget.count(self, len(block))
        return block

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def archive_size(fileobj) -> int:
    pos = fileobj.tell()
    size = fileobj.seek(0, 2)
    fileobj.seek(pos)
    return size


def list_entries(fileobj, limits: Limits, path: str | None = None):
    """[(name, size, sha256)] of the files in a seekable zip, inflated within the bounds.

    Raises zipfile.BadZipFile for a broken zip, EdxmlError EDXML_ZIP_BOMB beyond a bound.
    """
    from .model import ZipEntry

    budget = ZipBudget(limits, archive_size(fileobj), path)
    fileobj.seek(0)
    out = []
    with zipfile.ZipFile(fileobj) as zf:
        for info in budget.entries(zf):
            h = hashlib.sha256()
            with budget.open(zf, info) as f:
                while block := f.read(BLOCK):
                    h.update(block)
                out.append(ZipEntry(info.filename, f.size, h.hexdigest()))
    return out

"""What is inside a zipped attachment: entry names, sizes and SHA-256, read as a stream.

The official library zips each file before base64 (ContentType application/zip, one
entry); others send the file itself. `is_transport_zip` decides which case a decoded
attachment is, `list_entries` reads the entries with bounded memory and a bound on the
total uncompressed size (a zip bomb is refused, not expanded).
"""

from __future__ import annotations

import hashlib
import zipfile

from .errors import EdxmlError
from .limits import Limits

ZIP_MAGIC = b"PK\x03\x04"
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


def list_entries(fileobj, limits: Limits, path: str | None = None):
    """[(name, size, sha256)] of the files in a seekable zip; raises zipfile.BadZipFile."""
    from .model import ZipEntry

    fileobj.seek(0)
    out = []
    total = 0
    with zipfile.ZipFile(fileobj) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > limits.max_zip_entries:
            raise EdxmlError("EDXML_TOO_LARGE", f"zip has {len(infos)} entries", path)
        for info in infos:
            h = hashlib.sha256()
            size = 0
            with zf.open(info) as f:
                while True:
                    block = f.read(1 << 20)
                    if not block:
                        break
                    size += len(block)
                    total += len(block)
                    if total > limits.max_unzipped_bytes:
                        raise EdxmlError(
                            "EDXML_TOO_LARGE", f"zip expands beyond {limits.max_unzipped_bytes} bytes", path
                        )
                    h.update(block)
            out.append(ZipEntry(info.filename, size, h.hexdigest()))
    return out

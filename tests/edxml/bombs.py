"""Builders of hostile zips for the bounds tests: written as a stream, never held in memory."""

from __future__ import annotations

import functools
import io
import random
import zipfile

from vpdt.edxml import AttachmentSource, write_package

from .factories import header

BLOCK = 1 << 16


def zip_stream(out, entries: dict[str, tuple[int, int]]) -> None:
    """A deflated zip into `out`: {name: (size, random bytes per 64 KiB block)}.

    Zeros compress about 1000 times; `noise` random bytes per block bring the ratio down
    (3 KiB of noise per 64 KiB block: about 20 times)."""
    rng = random.Random(11)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (size, noise) in entries.items():
            with zf.open(name, "w", force_zip64=size > (1 << 31)) as dst:
                left = size
                while left > 0:
                    n = min(BLOCK, left)
                    block = rng.randbytes(min(noise, n)) + bytes(n - min(noise, n))
                    dst.write(block)
                    left -= n


def zip_bytes(entries: dict[str, tuple[int, int]]) -> bytes:
    buf = io.BytesIO()
    zip_stream(buf, entries)
    return buf.getvalue()


@functools.lru_cache(maxsize=4)
def bomb(size: int = 64 << 20, name: str = "bao-cao.pdf") -> bytes:
    """One entry of `size` zeros: ~1000 times smaller zipped (built once per size: deflating is slow)."""
    return zip_bytes({name: (size, 0)})


def package_with_zip(out, zipped: bytes, *, name: str = "bao-cao.pdf", hdr=None, extra: bytes | None = None):
    """An edXML package whose attachment `name` is the transport zip `zipped` (application/zip)."""
    attachments = [AttachmentSource(name, zipped, content_type="application/zip")]
    if extra is not None:
        attachments.insert(0, AttachmentSource("to-trinh.pdf", extra, content_type="application/pdf"))
    write_package(out, hdr or header(), attachments)

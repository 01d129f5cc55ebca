"""Resource limits applied while reading a package, so hostile input fails fast and small."""

from __future__ import annotations

from dataclasses import dataclass

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Bounds on what a reader accepts; every one is checked while streaming.

    The defaults admit a package with a 2 GiB attachment (about 2.7 GiB of XML) and
    reject anything shaped unlike edXML (deep nesting, floods of elements).
    """

    max_bytes: int = 4 * GiB  # the whole XML file
    max_depth: int = 32  # real packages are at most 8 levels deep
    max_elements: int = 200_000
    max_attachment_bytes: int = 2 * GiB  # decoded size of one attachment
    max_attachments: int = 1000
    max_header_bytes: int = 8 * MiB  # edXMLHeader (kept in memory for the signature)
    max_text_bytes: int = 1 * MiB  # any text other than attachment content
    max_token_bytes: int = 8 * MiB  # a tag, attribute, comment or PI the parser must buffer
    # Zipped attachments (transport zips) are inflated as a stream and bounded while the
    # bytes come out; the sizes a zip declares are never trusted. A zip inside a zip is never
    # opened (nesting is one level: an inner zip is a file like any other).
    max_unzipped_bytes: int = 2 * GiB  # all entries of one zip, inflated
    max_zip_entries: int = 1000
    max_zip_ratio: int = 100  # inflated / compressed, per entry and for the whole zip ...
    zip_ratio_floor: int = 1 * MiB  # ... once more than this came out (small text compresses well)
    chunk_size: int = 1 * MiB  # read size when streaming


DEFAULT_LIMITS = Limits()

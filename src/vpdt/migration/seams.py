"""The one place the import reaches the full-text search.

Imported files go in by the bulk path (no model signals), so after each batch commits the import
asks `vpdt.search.services.queue_text` to extract each new file's text in the background: an
imported document is found by the words inside its files as soon as the job has read them.
"""

from __future__ import annotations

from vpdt.search import services


def queue_text(attachment) -> bool:
    """Queue the text extraction of `attachment` (the search app's job reads it later)."""
    services.queue_text(attachment)
    return True

"""The one place the import reaches the full-text search (issue 15's other half).

`queue_text(attachment)` asks vpdt.search to extract the text of an imported file in the
background, when that service exists (`vpdt.search.services.queue_text`); until it does this is
a no-op and the search app picks up files on its own schedule. Called after each batch commits.
"""

from __future__ import annotations


def queue_text(attachment) -> bool:
    """Queue the text extraction of `attachment`; False when the search app has no such service."""
    try:
        from vpdt.search import services
    except ImportError:
        return False
    queue = getattr(services, "queue_text", None)
    if queue is None:
        return False
    queue(attachment)
    return True

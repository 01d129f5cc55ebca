"""The hub's settings as the services read them: limits, the package store, new ids.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings

from vpdt.hub.storage import PackageStore

log = logging.getLogger("vpdt.hub")
MiB = 1024 * 1024


# --------------------------------------------------------------------------- settings
def max_package_bytes() -> int:
    return int(getattr(settings, "HUB_MAX_PACKAGE_BYTES", 1024 * MiB))


def store() -> PackageStore:
    root = getattr(settings, "HUB_DATA_DIR", None) or os.environ.get("VPDT_HUB_DATA_DIR")
    if not root:
        root = Path(getattr(settings, "DATA_DIR", "var")) / "hub"
    return PackageStore(root, int(getattr(settings, "HUB_MIN_FREE_BYTES", 16 * MiB)))


def list_limit() -> int:
    return int(getattr(settings, "HUB_LIST_LIMIT", 1000))


def new_doc_id() -> str:
    return uuid.uuid4().hex

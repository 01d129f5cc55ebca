"""The embedded default's SQLite connection: WAL, commits on disk, foreign keys, a memory map."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from vpdt import settings as vpdt_settings

pytestmark = pytest.mark.django_db


def test_each_sqlite_connection_gets_the_pragmas():
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default's SQLite settings")
    with connection.cursor() as cursor:
        values = {}
        for name in ("journal_mode", "synchronous", "foreign_keys", "mmap_size"):
            cursor.execute(f"PRAGMA {name}")
            values[name] = cursor.fetchone()[0]
    assert values["journal_mode"] == "wal" and values["synchronous"] == 2 and values["foreign_keys"] == 1
    # SQLite caps the map at its build's maximum (~2 GiB here): what it took, not more than asked.
    assert 0 < values["mmap_size"] <= vpdt_settings.SQLITE_MMAP_MB * 1024 * 1024
    assert f"mmap_size={vpdt_settings.SQLITE_MMAP_MB * 1024 * 1024}" in settings.DATABASES["default"]["OPTIONS"][
        "init_command"]


def test_the_map_size_is_a_setting(monkeypatch):
    monkeypatch.setattr(vpdt_settings, "SQLITE_MMAP_MB", 0)  # VPDT_SQLITE_MMAP_MB=0: no map
    assert "mmap_size=0;" in vpdt_settings._sqlite(vpdt_settings.Path("/tmp/x.sqlite3"))["OPTIONS"]["init_command"]

"""Tampering with the database as an attacker with its own access would: the SQLite file
opened with the sqlite3 module, PostgreSQL with psycopg (drop the trigger, change, put it back)."""

from __future__ import annotations

import sqlite3

from django.db import connection


def raw_sql(statements: list[tuple[str, tuple]]) -> None:
    """As an attacker with the database's own access: no triggers, no Django."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        raw = sqlite3.connect(settings_dict["NAME"])
        try:
            raw.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
            raw.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")
            for sql, params in statements:
                raw.execute(sql.replace("%s", "?"), params)
            raw.commit()
        finally:
            raw.close()
        return
    import psycopg

    with psycopg.connect(host=settings_dict["HOST"] or "127.0.0.1", port=settings_dict["PORT"] or 5432,
                         user=settings_dict["USER"], password=settings_dict["PASSWORD"] or None,
                         dbname=settings_dict["NAME"], autocommit=False) as raw:
        raw.execute("DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry")
        for sql, params in statements:
            raw.execute(sql, params)
        raw.execute("""CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON core_auditentry
                       FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""")
        raw.commit()

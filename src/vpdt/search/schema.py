"""The index's DDL per backend, installed by migration 0001 and re-checked after every migrate.

Also owns the list indexes of `records_document` that the lists and the quick search need
(created by records migration 0003 with raw SQL so that they do not depend on model state;
on SQLite a table remake would drop them, so `ensure` puts them back).
"""

from __future__ import annotations

from vpdt.core import db_indexes

FTS_TABLE = "search_document_fts"
PG_INDEX = "search_doc_subject_tsv"

# (name, columns): lists are ordered urgent first, then newest; every role's list filters
# on agency + direction + secrecy, so those lead and the ORDER BY follows without a sort.
LIST_INDEXES = [
    ("doc_list_order", "agency_id, direction, secrecy, urgency DESC, created_at DESC, id DESC"),
    ("doc_list_state", "agency_id, direction, state, urgency DESC, created_at DESC, id DESC"),
    ("doc_agency_incoming_no", "agency_id, incoming_number"),
]
# Added by records migration 0004: the API lists both directions in the same order.
LIST_INDEXES_0004 = [
    ("doc_agency_order", "agency_id, secrecy, urgency DESC, created_at DESC, id DESC"),
]
# Added by records migration 0005: lists page through ids first (records.listing), so the
# state filter's index also carries secrecy and the ids-only query never reads the table; a
# unit head's "what my unit drafted / what I drafted" ids come from the index alone too.
LIST_INDEXES_0005 = [
    ("doc_list_state_s", "agency_id, direction, state, urgency DESC, created_at DESC, id DESC, secrecy"),
    ("doc_drafting_unit_ids", "drafting_unit_id, id"),
    ("doc_created_by_ids", "created_by_id, id"),
]
RETIRED_0005 = ["doc_list_state"]  # doc_list_state_s replaces it
# Added by records migration 0006: the "overdue" and "due soon" queues are a state and a
# due-date range; without it they walked the agency's whole list reading each row.
LIST_INDEXES_0006 = [
    ("doc_due", "agency_id, direction, state, due_date"),
]
ALL_LIST_INDEXES = [(name, cols) for name, cols in LIST_INDEXES + LIST_INDEXES_0004 + LIST_INDEXES_0005
                    + LIST_INDEXES_0006 if name not in RETIRED_0005]

SQLITE_TRIGGERS = {
    "search_document_ai": f"""
        CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON records_document BEGIN
            INSERT INTO {FTS_TABLE}(rowid, subject_folded) VALUES (new.id, new.subject_folded);
        END""",
    "search_document_ad": f"""
        CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON records_document BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, subject_folded)
                VALUES ('delete', old.id, old.subject_folded);
        END""",
    "search_document_au": f"""
        CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE OF subject_folded ON records_document
        WHEN old.subject_folded IS NOT new.subject_folded BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, subject_folded)
                VALUES ('delete', old.id, old.subject_folded);
            INSERT INTO {FTS_TABLE}(rowid, subject_folded) VALUES (new.id, new.subject_folded);
        END""",
}
SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        subject_folded, content='records_document', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3'
    )"""

PG_INDEX_SQL = (f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON records_document "
                f"USING gin (to_tsvector('simple'::regconfig, subject_folded))")


def _list_index_sql() -> list[str]:
    return [db_indexes.create_sql("records_document", name, cols) for name, cols in ALL_LIST_INDEXES]


def _has_documents(connection) -> bool:
    with connection.cursor() as cursor:
        return "records_document" in connection.introspection.table_names(cursor)


def _sqlite_objects(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")
        return {row[0] for row in cursor.fetchall()}


def install(connection) -> None:
    """Create the index (idempotent) and fill it from the table."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
        rebuild(connection)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PG_INDEX_SQL)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def ensure(connection) -> list[str]:
    """Put back what a table remake removed; returns what was repaired."""
    if connection.vendor not in ("sqlite", "postgresql") or not _has_documents(connection):
        return []
    repaired = []
    if connection.vendor == "sqlite":
        present = _sqlite_objects(connection)
        if FTS_TABLE not in present:
            return []  # search migration 0001 not applied on this database yet
        missing = [name for name in SQLITE_TRIGGERS if name not in present]
        if missing:
            install(connection)
            repaired += [f"trigger {name}" for name in missing] + ["index rebuilt"]
        for name, _cols in ALL_LIST_INDEXES:
            if name not in present:
                repaired.append(f"index {name}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'records_document'")
            present = {row[0] for row in cursor.fetchall()}
        if PG_INDEX not in present:
            install(connection)
            repaired.append(f"index {PG_INDEX}")
        repaired += [f"index {name}" for name, _cols in ALL_LIST_INDEXES if name not in present]
    if any(r.startswith("index doc_") for r in repaired):
        with connection.cursor() as cursor:
            for sql in _list_index_sql():
                cursor.execute(sql)
    return repaired


def rebuild(connection) -> None:
    """Rebuild the index from the table (SQLite FTS5 'rebuild'; PostgreSQL REINDEX)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute(f"REINDEX INDEX {PG_INDEX}")


def problems(connection) -> list[str]:
    """What is wrong with the index; empty when it matches the table."""
    found = []
    if connection.vendor == "sqlite":
        present = _sqlite_objects(connection)
        if FTS_TABLE not in present:
            return [f"table {FTS_TABLE} is missing"]
        found += [f"trigger {name} is missing" for name in SQLITE_TRIGGERS if name not in present]
        with connection.cursor() as cursor:
            try:
                # rank=1: also compare the index with the content table (every row, every token).
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
            except Exception as exc:  # sqlite3.DatabaseError: database disk image is malformed
                found.append(f"index does not match records_document: {exc}")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [PG_INDEX])
            row = cursor.fetchone()
        if row is None:
            found.append(f"index {PG_INDEX} is missing")
        elif not row[0]:
            found.append(f"index {PG_INDEX} is invalid")
    return found

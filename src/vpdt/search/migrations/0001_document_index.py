"""The full-text index of document subjects (what `vpdt.search.schema` describes). SQLite: an
FTS5 external-content table over records_document.subject_folded kept in step by triggers;
PostgreSQL: a GIN index on an expression. Neither can be a Django index. The SQL is written
out as literals: a migration is history and never changes with the app's code."""

from django.db import migrations

FTS_TABLE = "search_document_fts"
PG_INDEX = "search_doc_subject_tsv"

SQLITE_TABLE = """
    CREATE VIRTUAL TABLE IF NOT EXISTS search_document_fts USING fts5(
        subject_folded, content='records_document', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3'
    )"""
SQLITE_TRIGGERS = {
    "search_document_ai": """
        CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON records_document BEGIN
            INSERT INTO search_document_fts(rowid, subject_folded) VALUES (new.id, new.subject_folded);
        END""",
    "search_document_ad": """
        CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON records_document BEGIN
            INSERT INTO search_document_fts(search_document_fts, rowid, subject_folded)
                VALUES ('delete', old.id, old.subject_folded);
        END""",
    "search_document_au": """
        CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE OF subject_folded ON records_document
        WHEN old.subject_folded IS NOT new.subject_folded BEGIN
            INSERT INTO search_document_fts(search_document_fts, rowid, subject_folded)
                VALUES ('delete', old.id, old.subject_folded);
            INSERT INTO search_document_fts(rowid, subject_folded) VALUES (new.id, new.subject_folded);
        END""",
}
PG_INDEX_SQL = ("CREATE INDEX IF NOT EXISTS search_doc_subject_tsv ON records_document "
                "USING gin (to_tsvector('simple'::regconfig, subject_folded))")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute(PG_INDEX_SQL)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("records", "0003_perf_list_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

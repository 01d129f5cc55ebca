"""SQLite: each file's adjacent word pairs in a contentless FTS5 table, so a quoted phrase is the
AND of its pairs ("giai_phong", "phong_mat", "mat_bang"), answered from short doclists without
positions. FTS5's own phrase query reads the position lists of every file holding all the words:
for common words that is most of the province's files (a 4-word phrase of common words cost
~750 ms at 1,000,000 files). A phrase of three words or more is then checked with positions on
the few documents the list walks (search.fulltext). The pairs come from a Python function every
connection registers (apps.py, schema.word_pairs), called by the triggers. Filling it at
1,000,000 files takes minutes: see docs/deploy.md. Nothing on PostgreSQL (migration 0007 did it
there). With it, an index of each file's (id, document, state), so a list of matching files never
reads the rows that hold the text. The DDL is schema.py's, written out here as history."""

from django.db import migrations

TABLE = """
    CREATE VIRTUAL TABLE IF NOT EXISTS search_filetext_pairs_fts USING fts5(
        pairs, content='', columnsize=0, detail=none, tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
    )"""
TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS search_filetext_pairs_ai AFTER INSERT ON search_filetext BEGIN
        INSERT INTO search_filetext_pairs_fts(rowid, pairs) VALUES (new.id, vpdt_word_pairs(new.text_folded));
    END""",
    """
    CREATE TRIGGER IF NOT EXISTS search_filetext_pairs_ad AFTER DELETE ON search_filetext BEGIN
        INSERT INTO search_filetext_pairs_fts(search_filetext_pairs_fts, rowid, pairs)
        VALUES ('delete', old.id, vpdt_word_pairs(old.text_folded));
    END""",
    """
    CREATE TRIGGER IF NOT EXISTS search_filetext_pairs_au AFTER UPDATE OF text_folded ON search_filetext
    WHEN old.text_folded IS NOT new.text_folded BEGIN
        INSERT INTO search_filetext_pairs_fts(search_filetext_pairs_fts, rowid, pairs)
        VALUES ('delete', old.id, vpdt_word_pairs(old.text_folded));
        INSERT INTO search_filetext_pairs_fts(rowid, pairs) VALUES (new.id, vpdt_word_pairs(new.text_folded));
    END""",
]
# The files' rows read without their text (a list of matching files needs each one's document and
# state): schema.FILE_SQLITE_COVERING.
COVERING = "CREATE INDEX IF NOT EXISTS search_ft_id_doc ON search_filetext (id, document_id, state)"
FILL = "INSERT INTO search_filetext_pairs_fts(rowid, pairs) SELECT id, vpdt_word_pairs(text_folded) FROM search_filetext"
BACKWARDS = [
    "DROP TRIGGER IF EXISTS search_filetext_pairs_ai",
    "DROP TRIGGER IF EXISTS search_filetext_pairs_ad",
    "DROP TRIGGER IF EXISTS search_filetext_pairs_au",
    "DROP TABLE IF EXISTS search_filetext_pairs_fts",
    "DROP INDEX IF EXISTS search_ft_id_doc",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(TABLE)
        for sql in TRIGGERS:
            cursor.execute(sql)
        cursor.execute(FILL)
        cursor.execute(COVERING)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            for sql in BACKWARDS:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0008_subject_agency")]
    operations = [migrations.RunPython(forwards, backwards)]

"""PostgreSQL: the subject's tsvector stored in a generated column (as 0003 did for the file text),
indexed by GIN in place of the index on the expression. A search whose plan filters the agency's
documents row by row (the usual plan for a word in many subjects, or beside the visibility's id
set) then reads a stored vector instead of parsing every subject again: 236 ms → a few ms for a
unit head's search at 100,000 documents. Not a model field: SQLite has no tsvector (it keeps its
FTS5 table); the search's SQL names it. Nothing on SQLite."""

from django.db import migrations

FORWARDS = [
    "ALTER TABLE records_document ADD COLUMN IF NOT EXISTS subject_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, subject_folded)) STORED",
    "DROP INDEX IF EXISTS search_doc_subject_tsv",
    "CREATE INDEX IF NOT EXISTS search_doc_subject_tsv ON records_document USING gin (subject_tsv)",
    "ANALYZE records_document",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS search_doc_subject_tsv",
    "ALTER TABLE records_document DROP COLUMN IF EXISTS subject_tsv",
    "CREATE INDEX IF NOT EXISTS search_doc_subject_tsv ON records_document "
    "USING gin (to_tsvector('simple'::regconfig, subject_folded))",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [("search", "0003_ftext_tsvector")]
    operations = [migrations.RunPython(run(FORWARDS), run(BACKWARDS))]

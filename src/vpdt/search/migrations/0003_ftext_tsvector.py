"""PostgreSQL: the file text's tsvector stored in a generated column, indexed by GIN, in place of
the index on the expression: a query the planner answers without the index (a word in most files,
a walk in list order) then reads the stored vector instead of parsing every text again
(to_tsvector over 100,000 files took 20 s under load). Not a model field: SQLite has no tsvector;
the search's SQL names it. Nothing on SQLite."""

from django.db import migrations

FORWARDS = [
    "ALTER TABLE search_filetext ADD COLUMN IF NOT EXISTS text_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text_folded)) STORED",
    "DROP INDEX IF EXISTS search_filetext_tsv",
    "CREATE INDEX IF NOT EXISTS search_filetext_tsv ON search_filetext USING gin (text_tsv)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS search_filetext_tsv",
    "ALTER TABLE search_filetext DROP COLUMN IF EXISTS text_tsv",
    "CREATE INDEX IF NOT EXISTS search_filetext_tsv ON search_filetext "
    "USING gin (to_tsvector('simple'::regconfig, text_folded))",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [("search", "0002_ftext_filetext")]
    operations = [migrations.RunPython(run(FORWARDS), run(BACKWARDS))]

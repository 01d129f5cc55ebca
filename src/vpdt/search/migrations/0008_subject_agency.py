"""PostgreSQL: the subject's GIN index leads with the document's agency (btree_gin, as search
migration 0006 did for the files), so a word or phrase common in subjects reads only the person's
agencies' matches. A quoted phrase in 2.7 % of the subjects read 26,900 rows of the province at
1,000,000 documents (237 ms) to keep the big agency's 2,558. A GIN index on two columns still
serves a condition on the vector alone (the lists' searches without an agency), at the same cost.
The agency as an integer expression: btree_gin (PostgreSQL < 18) has no cross-type operators,
and the lists' `agency_id = 1` joins the search's own condition in one equivalence class whose
integer constant the bigint column's index cannot take; the search's condition names the
expression (`agency_id::integer = %s`), which no list condition shares (search.query). Without
btree_gin the index stays on the vector alone. Nothing on SQLite. The DDL is
schema.pg_subject_index_sql's, written out here as history."""

from django.db import migrations

FORWARDS = [
    "DROP INDEX IF EXISTS search_doc_subject_tsv",
    "CREATE INDEX search_doc_subject_tsv ON records_document USING gin ((agency_id::integer), subject_tsv)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS search_doc_subject_tsv",
    "CREATE INDEX search_doc_subject_tsv ON records_document USING gin (subject_tsv)",
]


def run(statements):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin')")
            if not cursor.fetchone()[0]:
                return  # search migration 0006 could not create it: the index stays on the vector
            for sql in statements:
                cursor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [("search", "0007_phrase_pairs")]
    operations = [migrations.RunPython(run(FORWARDS), run(BACKWARDS))]

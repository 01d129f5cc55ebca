"""PostgreSQL: each file's text row carries its document's agency (a column kept by triggers, not a
model field: SQLite needs none), and the GIN index over the text leads with it (btree_gin), so a
search over the files of the person's agencies reads only those files' matches: a word or a phrase
in 12 % of the files hashed 12,000 rows at 100,000 documents and would hash 120,000 at 1,000,000;
within the big agency (10 %) it hashes a tenth. Without the right to create btree_gin the index
stays on the text alone and the search still works (slower). Nothing on SQLite. The DDL is
schema.FILE_PG_AGENCY_SQL's, written out here as history."""

from django.db import migrations, transaction

COLUMN = [
    "ALTER TABLE search_filetext ADD COLUMN IF NOT EXISTS agency_id integer",
    "UPDATE search_filetext ft SET agency_id = d.agency_id FROM records_document d "
    "WHERE d.id = ft.document_id AND ft.agency_id IS DISTINCT FROM d.agency_id",
    """CREATE OR REPLACE FUNCTION search_filetext_agency() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.agency_id := (SELECT agency_id FROM records_document WHERE id = NEW.document_id);
        RETURN NEW;
    END $$""",
    "DROP TRIGGER IF EXISTS search_filetext_agency ON search_filetext",
    "CREATE TRIGGER search_filetext_agency BEFORE INSERT OR UPDATE OF document_id, agency_id ON search_filetext "
    "FOR EACH ROW EXECUTE FUNCTION search_filetext_agency()",
    """CREATE OR REPLACE FUNCTION search_document_agency() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE search_filetext SET agency_id = NEW.agency_id WHERE document_id = NEW.id;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS search_document_agency ON records_document",
    "CREATE TRIGGER search_document_agency AFTER UPDATE OF agency_id ON records_document FOR EACH ROW "
    "WHEN (OLD.agency_id IS DISTINCT FROM NEW.agency_id) EXECUTE FUNCTION search_document_agency()",
]
INDEX = [
    "DROP INDEX IF EXISTS search_filetext_tsv",
    "CREATE INDEX search_filetext_tsv ON search_filetext USING gin (agency_id, text_tsv)",
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS search_document_agency ON records_document",
    "DROP FUNCTION IF EXISTS search_document_agency()",
    "DROP INDEX IF EXISTS search_filetext_tsv",
    "ALTER TABLE search_filetext DROP COLUMN IF EXISTS agency_id",  # drops its trigger too
    "DROP FUNCTION IF EXISTS search_filetext_agency()",
    "CREATE INDEX IF NOT EXISTS search_filetext_tsv ON search_filetext USING gin (text_tsv)",
]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in COLUMN:
            cursor.execute(sql)
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: a refusal aborts nothing
                cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        except Exception:
            return  # no right to create it: the index stays on the text alone
        for sql in INDEX:
            cursor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for sql in BACKWARDS:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0005_ftext2_documenttext")]
    operations = [migrations.RunPython(forwards, backwards)]

# The full search (issue 15) on SQLite, at 1,000,000 documents: the names and the part of a ký
# hiệu were matched by a scan of doc_qs_people / doc_qs_notation over the whole province (60-80 ms)
# or on every row of the agency's list (a table row each: 125 ms for a big agency when nothing
# matches). These covering indexes lead with the agency, so the search scans only the person's
# agencies' entries (10 ms for the big agency's 100,000). SQLite only: PostgreSQL answers the
# LIKE '%x%' from its pg_trgm indexes (records 0012). A few seconds at 1,000,000 documents.

from django.db import migrations

SQLITE_INDEXES = [
    "CREATE INDEX IF NOT EXISTS doc_agency_people ON records_document (agency_id, people_folded)",
    "CREATE INDEX IF NOT EXISTS doc_agency_notation ON records_document (agency_id, notation_folded)",
]
DROP = ["DROP INDEX IF EXISTS doc_agency_people", "DROP INDEX IF EXISTS doc_agency_notation"]


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in SQLITE_INDEXES:
            cursor.execute(sql)
        # Statistics for the new indexes, or the planner may walk them for a list (BENCHMARKS.md).
        cursor.execute("ANALYZE doc_agency_people")
        cursor.execute("ANALYZE doc_agency_notation")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in DROP:
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0013_ftext2_newest'),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]

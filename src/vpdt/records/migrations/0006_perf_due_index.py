"""The "Quá hạn" (overdue) and "Sắp đến hạn" (due soon) queues: documents of an agency in a
handling state with a due date in a range. An index in that shape (BENCHMARKS.md): the
leader's due-soon queue on SQLite walked the agency's 54,000 incoming documents (113 ms in
the database); now it reads the few that match. Owned by Document.Meta.indexes from 0007 on."""

from django.db import migrations

INDEXES = [
    ("doc_due", "agency_id, direction, state, due_date"),
]


def analyze(apps, schema_editor):
    """SQLite: statistics for the new index when the database has some (see 0004)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            for name, _columns in INDEXES:
                cursor.execute(f"ANALYZE {name}")


class Migration(migrations.Migration):
    dependencies = [("records", "0005_perf_ids_first")]
    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                          f"DROP INDEX IF EXISTS {name}", elidable=False)
        for name, columns in INDEXES
    ] + [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False)]

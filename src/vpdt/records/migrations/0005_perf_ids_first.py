"""Lists page through ids first (records.listing): indexes that answer the ids-only query
alone. The state filter's index gains secrecy (replacing doc_list_state); drafts by unit and
by person get (column, id) indexes. See BENCHMARKS.md; owned by Document.Meta.indexes from
migration 0007 on."""

from django.db import migrations

INDEXES = [
    ("doc_list_state_s", "agency_id, direction, state, urgency DESC, created_at DESC, id DESC, secrecy"),
    ("doc_drafting_unit_ids", "drafting_unit_id, id"),
    ("doc_created_by_ids", "created_by_id, id"),
]
RETIRED = [
    ("doc_list_state", "agency_id, direction, state, urgency DESC, created_at DESC, id DESC"),
]


def analyze(apps, schema_editor):
    """SQLite: statistics for the new indexes when the database has some (see 0004)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            for name, _columns in INDEXES:
                cursor.execute(f"ANALYZE {name}")


class Migration(migrations.Migration):
    dependencies = [("records", "0004_perf_api_order")]
    operations = (
        [migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                           f"DROP INDEX IF EXISTS {name}", elidable=False)
         for name, columns in INDEXES]
        + [migrations.RunSQL(f"DROP INDEX IF EXISTS {name}",
                             f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})", elidable=False)
           for name, columns in RETIRED]
        + [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False)]
    )

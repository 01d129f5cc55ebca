"""The API lists incoming and outgoing together, urgent first then newest: an index in that
order per agency (see 0003; owned by Document.Meta.indexes from migration 0007 on)."""

from django.db import migrations

INDEXES = [
    ("doc_agency_order", "agency_id, secrecy, urgency DESC, created_at DESC, id DESC"),
]
# 0003's and this one's: analysed together (see `analyze`).
ANALYZED = ["doc_list_order", "doc_list_state", "doc_agency_incoming_no", "doc_agency_order"]


def analyze(apps, schema_editor):
    """SQLite: give new indexes statistics when the database already has some. Without them
    the planner preferred walking a new list index over an exact lookup (388/UBND-VP went
    from 1 ms to 148 ms on 1M documents). PostgreSQL's planner needs nothing per index."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            for name in ANALYZED:
                cursor.execute(f"ANALYZE {name}")


class Migration(migrations.Migration):
    dependencies = [("records", "0003_perf_list_indexes")]
    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                          f"DROP INDEX IF EXISTS {name}", elidable=False)
        for name, columns in INDEXES
    ] + [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False)]

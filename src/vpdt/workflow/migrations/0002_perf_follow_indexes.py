"""Indexes for the "Theo dõi" queue (queues.following), one per lookup: by who assigned, by
person, by unit, each covering (state, done_at, document) so the ids come from the index.

History: created here with raw SQL; migration 0003 hands them to Assignment.Meta.indexes
(same names, same columns). Literals, so that this migration never changes with the app.
"""

from django.db import migrations

TABLE = "workflow_assignment"
INDEXES = [
    ("asg_follow_by", "assigned_by_id, state, done_at, document_id"),
    ("asg_follow_user", "user_id, state, done_at, document_id"),
    ("asg_follow_unit", "unit_id, state, done_at, document_id"),
]


def analyze(apps, schema_editor):
    """SQLite: statistics for the new indexes when the database has some (records 0004)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            for name, _columns in INDEXES:
                cursor.execute(f"ANALYZE {name}")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({columns})",
                          f"DROP INDEX IF EXISTS {name}", elidable=False)
        for name, columns in INDEXES
    ] + [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False)]

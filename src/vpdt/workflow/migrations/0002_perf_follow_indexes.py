"""The "Theo dõi" queue (queues.following): per person or unit, the assignments open or
finished in the last 30 days, as document ids. These indexes answer each lookup alone
(PostgreSQL index-only scan, SQLite covering index): a director who assigned 48,000
documents reads 8,000 index entries, not 6,000 table pages (BENCHMARKS.md)."""

from django.db import migrations

INDEXES = [
    ("asg_follow_by", "assigned_by_id, state, done_at, document_id"),
    ("asg_follow_user", "user_id, state, done_at, document_id"),
    ("asg_follow_unit", "unit_id, state, done_at, document_id"),
]


def analyze(apps, schema_editor):
    from vpdt.search.schema import analyze_indexes

    analyze_indexes(schema_editor.connection, [name for name, _c in INDEXES])


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON workflow_assignment ({columns})",
                          f"DROP INDEX IF EXISTS {name}", elidable=False)
        for name, columns in INDEXES
    ] + [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False)]

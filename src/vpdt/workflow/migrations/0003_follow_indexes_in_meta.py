"""Assignment.Meta.indexes takes over the "Theo dõi" indexes that 0002 created with raw SQL
(same names, same columns): the database keeps them, Django's state learns them, and a table
remake on SQLite now re-creates them (the after-migrate repair is gone). A database that lost
one gets it back here. Reversing leaves them in place, owned again by 0002."""

from django.db import migrations, models

TABLE = "workflow_assignment"
INDEXES = [
    ("asg_follow_by", "assigned_by_id, state, done_at, document_id"),
    ("asg_follow_user", "user_id, state, done_at, document_id"),
    ("asg_follow_unit", "unit_id, state, done_at, document_id"),
]


def create_missing(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if TABLE not in connection.introspection.table_names(cursor):
            return  # a database the router keeps workflow out of (the hub's)
        present = set(connection.introspection.get_constraints(cursor, TABLE))
        missing = [(name, columns) for name, columns in INDEXES if name not in present]
        for name, columns in missing:
            cursor.execute(f"CREATE INDEX {name} ON {TABLE} ({columns})")
        if missing and connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                for name, _columns in missing:
                    cursor.execute(f"ANALYZE {name}")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0002_perf_follow_indexes")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_missing, migrations.RunPython.noop, elidable=False)],
            state_operations=[
                migrations.AddIndex(
                    model_name="assignment",
                    index=models.Index(fields=["assigned_by", "state", "done_at", "document"], name="asg_follow_by"),
                ),
                migrations.AddIndex(
                    model_name="assignment",
                    index=models.Index(fields=["user", "state", "done_at", "document"], name="asg_follow_user"),
                ),
                migrations.AddIndex(
                    model_name="assignment",
                    index=models.Index(fields=["unit", "state", "done_at", "document"], name="asg_follow_unit"),
                ),
            ],
        ),
    ]

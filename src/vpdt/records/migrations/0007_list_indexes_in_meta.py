"""Document.Meta.indexes takes over the list indexes that migrations 0003-0006 created with
raw SQL. Same names, same columns in the same order, so the database keeps the indexes it
has (rebuilding them on a million documents would take minutes for nothing): only Django's
state learns them, and from now on a table remake on SQLite re-creates them like any other
index. A database that lost one (a remake before this migration, without the old
after-migrate repair) gets it back here, with statistics on SQLite.

Reversing leaves the indexes in place, owned again by 0003-0006.
"""

from django.db import migrations, models

TABLE = "records_document"
INDEXES = [
    ("doc_list_order", "agency_id, direction, secrecy, urgency DESC, created_at DESC, id DESC"),
    ("doc_list_state_s", "agency_id, direction, state, urgency DESC, created_at DESC, id DESC, secrecy"),
    ("doc_agency_order", "agency_id, secrecy, urgency DESC, created_at DESC, id DESC"),
    ("doc_agency_incoming_no", "agency_id, incoming_number"),
    ("doc_drafting_unit_ids", "drafting_unit_id, id"),
    ("doc_created_by_ids", "created_by_id, id"),
    ("doc_due", "agency_id, direction, state, due_date"),
]


def create_missing(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        present = set(connection.introspection.get_constraints(cursor, TABLE))
        missing = [(name, columns) for name, columns in INDEXES if name not in present]
        for name, columns in missing:
            cursor.execute(f"CREATE INDEX {name} ON {TABLE} ({columns})")
        if missing and connection.vendor == "sqlite":
            # Statistics for a new index when the database has some (see 0004).
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                for name, _columns in missing:
                    cursor.execute(f"ANALYZE {name}")


class Migration(migrations.Migration):
    dependencies = [("records", "0006_perf_due_index")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_missing, migrations.RunPython.noop, elidable=False)],
            state_operations=[
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(fields=["agency", "direction", "secrecy", "-urgency", "-created_at", "-id"],
                                       name="doc_list_order"),
                ),
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(
                        fields=["agency", "direction", "state", "-urgency", "-created_at", "-id", "secrecy"],
                        name="doc_list_state_s"),
                ),
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(fields=["agency", "secrecy", "-urgency", "-created_at", "-id"],
                                       name="doc_agency_order"),
                ),
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(fields=["agency", "incoming_number"], name="doc_agency_incoming_no"),
                ),
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(fields=["drafting_unit", "id"], name="doc_drafting_unit_ids"),
                ),
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(fields=["created_by", "id"], name="doc_created_by_ids"),
                ),
                migrations.AddIndex(
                    model_name="document",
                    index=models.Index(fields=["agency", "direction", "state", "due_date"], name="doc_due"),
                ),
            ],
        ),
    ]

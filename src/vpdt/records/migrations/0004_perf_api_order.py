"""The API lists incoming and outgoing together, urgent first then newest: an index in that
order per agency (see 0003 and vpdt.search.schema)."""

from django.db import migrations

from vpdt.search.schema import LIST_INDEXES_0004

operations = [
    migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                      f"DROP INDEX IF EXISTS {name}", elidable=False)
    for name, columns in LIST_INDEXES_0004
]


def analyze(apps, schema_editor):
    from vpdt.core.db_indexes import analyze
    from vpdt.search.schema import LIST_INDEXES

    analyze(schema_editor.connection, [name for name, _c in LIST_INDEXES + LIST_INDEXES_0004])


operations.append(migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False))


class Migration(migrations.Migration):
    dependencies = [("records", "0003_perf_list_indexes")]
    operations = operations

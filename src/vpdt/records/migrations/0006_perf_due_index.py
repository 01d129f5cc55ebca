"""The "Quá hạn" (overdue) and "Sắp đến hạn" (due soon) queues: documents of an agency in a
handling state with a due date in a range. An index in that shape (see vpdt.search.schema and
BENCHMARKS.md): the leader's due-soon queue on SQLite walked the agency's 54,000 incoming
documents (113 ms in the database); now it reads the few that match."""

from django.db import migrations

from vpdt.search.schema import LIST_INDEXES_0006

operations = [
    migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                      f"DROP INDEX IF EXISTS {name}", elidable=False)
    for name, columns in LIST_INDEXES_0006
]


def analyze(apps, schema_editor):
    from vpdt.search.schema import analyze_indexes

    analyze_indexes(schema_editor.connection, [name for name, _c in LIST_INDEXES_0006])


operations.append(migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False))


class Migration(migrations.Migration):
    dependencies = [("records", "0005_perf_ids_first")]
    operations = operations

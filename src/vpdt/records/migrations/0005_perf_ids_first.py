"""Lists page through ids first (records.listing): indexes that answer the ids-only query
alone. The state filter's index gains secrecy (replacing doc_list_state); drafts by unit and
by person get (column, id) indexes. See vpdt.search.schema and BENCHMARKS.md."""

from django.db import migrations

from vpdt.search.schema import LIST_INDEXES, LIST_INDEXES_0005, RETIRED_0005

operations = [
    migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                      f"DROP INDEX IF EXISTS {name}", elidable=False)
    for name, columns in LIST_INDEXES_0005
]
retired = dict(LIST_INDEXES)
operations += [
    migrations.RunSQL(f"DROP INDEX IF EXISTS {name}",
                      f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({retired[name]})", elidable=False)
    for name in RETIRED_0005
]


def analyze(apps, schema_editor):
    from vpdt.search.schema import analyze_indexes

    analyze_indexes(schema_editor.connection, [name for name, _c in LIST_INDEXES_0005])


operations.append(migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False))


class Migration(migrations.Migration):
    dependencies = [("records", "0004_perf_api_order")]
    operations = operations

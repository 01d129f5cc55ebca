from django.db import migrations


def forwards(apps, schema_editor):
    from vpdt.search import schema

    schema.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from vpdt.search import schema

    schema.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    # SQLite: FTS5 virtual table + triggers; PostgreSQL: GIN expression index (schema.py).
    atomic = True
    dependencies = [("records", "0003_perf_list_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

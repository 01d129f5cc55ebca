from django.db import migrations


def seed(apps, schema_editor):
    from vpdt.records.seed import seed_document_types

    seed_document_types(apps.get_model("records", "DocumentType"))


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

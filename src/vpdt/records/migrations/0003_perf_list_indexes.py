"""Indexes for the lists: agency + direction + secrecy leading, then the list order
(urgency, newest), so a clerk's page is an index walk with no sort; the same ordered by
state for filtered lists; and (agency, incoming number) for the quick search by số đến.

Raw SQL (not model state) so that they do not depend on Document.Meta; on SQLite a table
remake would drop them and `vpdt.search` puts them back after migrate (schema.ensure).
"""

from django.db import migrations

from vpdt.search.schema import LIST_INDEXES

operations = []
for name, columns in LIST_INDEXES:
    operations.append(migrations.RunSQL(
        f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
        f"DROP INDEX IF EXISTS {name}",
        elidable=False,
    ))


class Migration(migrations.Migration):
    dependencies = [("records", "0002_seed_document_types")]
    operations = operations

"""Indexes for the lists: agency + direction + secrecy leading, then the list order
(urgency, newest), so a clerk's page is an index walk with no sort; the same ordered by
state for filtered lists; and (agency, incoming number) for the quick search by số đến.

History: created here with raw SQL; migration 0007 hands them to Document.Meta.indexes
(same names, same columns), which owns them from then on. The SQL is written out as
literals so that this migration never changes with the app's code.
"""

from django.db import migrations

INDEXES = [
    ("doc_list_order", "agency_id, direction, secrecy, urgency DESC, created_at DESC, id DESC"),
    ("doc_list_state", "agency_id, direction, state, urgency DESC, created_at DESC, id DESC"),
    ("doc_agency_incoming_no", "agency_id, incoming_number"),
]


class Migration(migrations.Migration):
    dependencies = [("records", "0002_seed_document_types")]
    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON records_document ({columns})",
                          f"DROP INDEX IF EXISTS {name}", elidable=False)
        for name, columns in INDEXES
    ]

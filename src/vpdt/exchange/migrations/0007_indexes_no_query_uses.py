"""Indexes no query uses (issue 17): the inbox item's own index of its connection (the unique
(connection, hub_doc_id) begins with it), and the LIKE-only copies of columns only ever compared
whole."""

import django.db.models.deletion
from django.db import migrations, models

# Django's LIKE-only copies (varchar_pattern_ops) no query uses, as in core's migration 0006
# (a migration does not import another's code): (table, column, the copy as Django named it).
LIKE_ONLY = [
    ("exchange_inboxitem", "edxml_document_id", "exchange_inboxitem_edxml_document_id_5172d90f_like"),
    ("exchange_inboxitem", "outcome", "exchange_inboxitem_outcome_4d203a77_like"),
    ("exchange_inboxitem", "package_head_id", "exchange_inboxitem_package_head_id_6bec60e8_like"),
    ("exchange_inboxitem", "package_id", "exchange_inboxitem_package_id_2275f186_like"),
    ("exchange_outboxmessage", "edxml_document_id", "exchange_outboxmessage_edxml_document_id_49962f52_like"),
    ("exchange_outboxmessage", "package_id", "exchange_outboxmessage_package_id_b8f14715_like"),
]


def drop_like_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _, _, index in LIKE_ONLY:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def make_like_only_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column, index in LIKE_ONLY:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}" varchar_pattern_ops)')


# The own indexes the AlterFields below take away (an inbox item's of its connection), by the names Django gave them, the
# same on SQLite and PostgreSQL: dropped by name. Django's own way on SQLite remakes the whole
# table for each field whose index changes, a copy of every row each time.
OWN = [
    ("exchange_inboxitem", "connection_id", "exchange_inboxitem_connection_id_97b3ff7c"),
]


def drop_own(apps, schema_editor):
    for _, _, index in OWN:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def make_own_again(apps, schema_editor):
    for table, column, index in OWN:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0006_order_by_document_id'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='inboxitem',
                    name='connection',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='exchange.hubconnection'),
                ),
            ],
            database_operations=[migrations.RunPython(drop_own, make_own_again)],
        ),
        migrations.RunPython(drop_like_only, make_like_only_again),
    ]

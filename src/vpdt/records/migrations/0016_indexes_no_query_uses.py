"""Indexes no query uses (issue 17): a document's own indexes of its agency, direction, urgency,
drafting unit and creator (Meta.indexes begin with the ones read), and the LIKE-only copies
of columns only ever compared whole."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's LIKE-only copies (varchar_pattern_ops) no query uses, as in core's migration 0006
# (a migration does not import another's code): (table, column, the copy as Django named it).
LIKE_ONLY = [
    ("records_document", "direction", "records_document_direction_312dbd11_like"),
    ("records_attachment", "blob_id", "records_attachment_blob_id_56868e5b_like"),
    ("records_closedregisterfile", "blob_id", "records_closedregisterfile_blob_id_5a04ed46_like"),
    ("records_document", "edxml_document_id", "records_document_edxml_document_id_07a0d4d8_like"),
    ("records_document", "issuer_code", "records_document_issuer_code_5af20264_like"),
    ("records_document", "state", "records_document_state_1c6b6ae1_like"),
    ("records_documenttype", "code", "records_documenttype_code_6b859860_like"),
    ("records_draftversion", "blob_id", "records_draftversion_blob_id_c982e58b_like"),
    ("records_rendition", "blob_id", "records_rendition_blob_id_6b889d9d_like"),
    ("records_rendition", "state", "records_rendition_state_781f92b8_like"),
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


# The own indexes the AlterFields below take away (a document's of its agency, creator, direction, drafting unit, urgency), by the names Django gave them, the
# same on SQLite and PostgreSQL: dropped by name. Django's own way on SQLite remakes the whole
# table for each field whose index changes, a copy of every row each time.
OWN = [
    ("records_document", "agency_id", "records_document_agency_id_ea835ffb"),
    ("records_document", "created_by_id", "records_document_created_by_id_7caa4d26"),
    ("records_document", "direction", "records_document_direction_312dbd11"),
    ("records_document", "drafting_unit_id", "records_document_drafting_unit_id_e6a235b0"),
    ("records_document", "urgency", "records_document_urgency_2c641d6b"),
]


def drop_own(apps, schema_editor):
    for _, _, index in OWN:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def make_own_again(apps, schema_editor):
    for table, column, index in OWN:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0009_motcua_roles'),
        ('records', '0015_order_by_document_id'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='document',
                    name='agency',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='directory.agency', verbose_name='cơ quan'),
                ),
                migrations.AlterField(
                    model_name='document',
                    name='created_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='người tạo'),
                ),
                migrations.AlterField(
                    model_name='document',
                    name='direction',
                    field=models.CharField(choices=[('incoming', 'Văn bản đến'), ('outgoing', 'Văn bản đi'), ('internal', 'Văn bản nội bộ')], max_length=10, verbose_name='chiều'),
                ),
                migrations.AlterField(
                    model_name='document',
                    name='drafting_unit',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='directory.unit', verbose_name='đơn vị soạn thảo'),
                ),
                migrations.AlterField(
                    model_name='document',
                    name='urgency',
                    field=models.PositiveSmallIntegerField(choices=[(0, 'Thường'), (1, 'Khẩn'), (2, 'Thượng khẩn'), (3, 'Hỏa tốc'), (4, 'Hỏa tốc hẹn giờ')], default=0, verbose_name='độ khẩn'),
                ),
            ],
            database_operations=[migrations.RunPython(drop_own, make_own_again)],
        ),
        migrations.RunPython(drop_like_only, make_like_only_again),
    ]

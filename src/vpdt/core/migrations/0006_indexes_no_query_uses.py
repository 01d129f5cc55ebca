"""The LIKE-only copies of columns only ever compared whole (issue 17): an audit entry's agency
code and object id, a blob's SHA-256. The audit entry's action keeps its copy: the privileges
page lists actions by prefix."""

from django.db import migrations

# Django's PostgreSQL backend makes, beside the btree of each indexed or unique CharField (and of
# each indexed foreign key to a CharField key, such as a blob's SHA-256), a copy in
# varchar_pattern_ops (its name ends in _like), which serves only LIKE 'prefix%' (__startswith).
# No query asks that of these columns: each copy cost every INSERT, and every UPDATE that cannot be
# HOT, one more index entry to write and log, and every write statement one more index to open
# and lock. (table, column, the copy as Django named it); elsewhere than PostgreSQL there is none.
LIKE_ONLY = [
    ("core_auditentry", "agency_code", "core_auditentry_agency_code_171be640_like"),
    ("core_auditentry", "object_id", "core_auditentry_object_id_bb227230_like"),
    ("core_blob", "sha256", "core_blob_sha256_6715bd52_like"),
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


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_ops_incidents"),
    ]

    operations = [
        migrations.RunPython(drop_like_only, make_like_only_again),
    ]

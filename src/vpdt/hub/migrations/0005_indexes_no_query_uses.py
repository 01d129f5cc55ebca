"""The LIKE-only copies of the hub's unique keys, only ever compared whole (issue 17): a
delivery's and a submission's DocId, a package's SHA-256, a request's signature (written with
every request), a system's id, an agency's code, a downstream route's suffix (matched in
Python). A delivery's is written with each package accepted and with each change of its state."""

from django.db import migrations

# Django's LIKE-only copies (varchar_pattern_ops) no query uses, as in core's migration 0006
# (a migration does not import another's code): (table, column, the copy as Django named it).
LIKE_ONLY = [
    ("hub_agency", "code", "hub_agency_code_eddd3408_like"),
    ("hub_delivery", "doc_id", "hub_delivery_doc_id_3347ff71_like"),
    ("hub_package", "sha256", "hub_package_sha256_2117ea8e_like"),
    ("hub_route", "suffix", "hub_route_suffix_b57be7a0_like"),
    ("hub_seenrequest", "signature", "hub_seenrequest_signature_5857f6f2_like"),
    ("hub_submission", "doc_id", "hub_submission_doc_id_2752b0af_like"),
    ("hub_system", "system_id", "hub_system_system_id_94e4bacf_like"),
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
        ("hub", "0004_hubperf_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_like_only, make_like_only_again),
    ]

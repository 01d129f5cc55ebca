# The quick search finds what clerks type (issue 15): a code in any case or with Đ typed as D,
# part of a ký hiệu, the issuer's or the signer's name without accents. Two folded columns
# (kept by Document.save), filled here, and their indexes, which differ per backend so they
# are raw SQL (like the search app's): SQLite B-trees that a LIKE '%x%' scans instead of the
# table (covering: the column and the rowid only); PostgreSQL pg_trgm GIN indexes, which
# answer LIKE '%x%' and 'x%' directly. Without the pg_trgm extension (a server where it may not
# be created) the search still works, by a scan.

import re
import unicodedata

from django.db import migrations, models, transaction

_SPACES = re.compile(r"\s+")
_DD = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text):
    # vpdt.core.text.fold as of this migration (migrations are history: no app imports).
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_DD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()

SQLITE_INDEXES = [
    "CREATE INDEX IF NOT EXISTS doc_qs_notation ON records_document (notation_folded)",
    "CREATE INDEX IF NOT EXISTS doc_qs_people ON records_document (people_folded)",
]
PG_INDEXES = [
    "CREATE INDEX IF NOT EXISTS doc_qs_notation_trgm ON records_document USING gin (notation_folded gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS doc_qs_people_trgm ON records_document USING gin (people_folded gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS doc_qs_notation", "DROP INDEX IF EXISTS doc_qs_people",
        "DROP INDEX IF EXISTS doc_qs_notation_trgm", "DROP INDEX IF EXISTS doc_qs_people_trgm"]


def fill(apps, schema_editor):
    Document = apps.get_model("records", "Document")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(Document.objects.using(db).filter(pk__gt=last).order_by("pk")
                    .only("pk", "notation", "issuer_name", "signer_name")[:5000])
        if not rows:
            return
        for row in rows:
            row.notation_folded = fold(row.notation)[:60]
            row.people_folded = f" {fold(row.issuer_name)} / {fold(row.signer_name)}"
        Document.objects.using(db).bulk_update(rows, ["notation_folded", "people_folded"], batch_size=1000)
        last = rows[-1].pk


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for sql in SQLITE_INDEXES:
                cursor.execute(sql)
            # Statistics for the new indexes, or the planner may walk them for a list (BENCHMARKS.md).
            cursor.execute("ANALYZE doc_qs_notation")
            cursor.execute("ANALYZE doc_qs_people")
        elif connection.vendor == "postgresql":
            try:
                with transaction.atomic(using=connection.alias):  # a savepoint: a refusal aborts nothing
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:
                return  # no right to create it: the search scans instead (docs/BENCHMARKS.md)
            for sql in PG_INDEXES:
                cursor.execute(sql)


def drop_indexes(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in DROP:
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0011_move_dossiers_to_archive'),
    ]

    operations = [
        migrations.AddField(
            model_name='document',
            name='notation_folded',
            field=models.CharField(blank=True, editable=False, max_length=60, verbose_name='ký hiệu không dấu'),
        ),
        migrations.AddField(
            model_name='document',
            name='people_folded',
            field=models.TextField(blank=True, editable=False, verbose_name='cơ quan ban hành, người ký không dấu'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]

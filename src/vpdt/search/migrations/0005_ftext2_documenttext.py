"""search.DocumentText (issue 15): summary, note, recipients and opinions, folded, one row per
document; its index (SQLite FTS5 + triggers, PostgreSQL stored tsvector + GIN, the DDL of
schema.py written out here as history); and the rows of the documents already there."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0013_ftext2_newest'),
        ('search', '0004_ftext2_subject_tsv'),
        ('workflow', '0007_archivist_role'),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentText',
            fields=[
                ('document', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='records.document', verbose_name='văn bản')),
                ('text_folded', models.TextField(blank=True, verbose_name='nội dung không dấu')),
            ],
            options={
                'verbose_name': 'nội dung khác của văn bản',
                'verbose_name_plural': 'nội dung khác của văn bản',
            },
        ),
    ]


SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_documenttext_fts USING fts5(
        text_folded, content='search_documenttext', content_rowid='document_id',
        tokenize="unicode61 remove_diacritics 2", detail=full
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_documenttext_ai AFTER INSERT ON search_documenttext BEGIN
        INSERT INTO search_documenttext_fts(rowid, text_folded) VALUES (new.document_id, new.text_folded);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documenttext_ad AFTER DELETE ON search_documenttext BEGIN
        INSERT INTO search_documenttext_fts(search_documenttext_fts, rowid, text_folded)
            VALUES ('delete', old.document_id, old.text_folded);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documenttext_au AFTER UPDATE OF text_folded ON search_documenttext
    WHEN old.text_folded IS NOT new.text_folded BEGIN
        INSERT INTO search_documenttext_fts(search_documenttext_fts, rowid, text_folded)
            VALUES ('delete', old.document_id, old.text_folded);
        INSERT INTO search_documenttext_fts(rowid, text_folded) VALUES (new.document_id, new.text_folded);
    END""",
]
PG = [
    "ALTER TABLE search_documenttext ADD COLUMN IF NOT EXISTS text_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text_folded)) STORED",
    "CREATE INDEX IF NOT EXISTS search_documenttext_tsv ON search_documenttext USING gin (text_tsv)",
]


def fold(text):
    """vpdt.core.text.fold as it was when this migration was written (migrations import no app code)."""
    import re
    import unicodedata

    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate({ord("đ"): "d", ord("Đ"): "d"}))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def index_and_fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in {"sqlite": SQLITE, "postgresql": PG}.get(connection.vendor, []):
            cursor.execute(sql)
    db = schema_editor.connection.alias
    Document = apps.get_model("records", "Document")
    Recipient = apps.get_model("records", "Recipient")
    Opinion = apps.get_model("workflow", "Opinion")
    DocumentText = apps.get_model("search", "DocumentText")
    parts: dict[int, list[str]] = {}
    for pk, content, note, recipients in (Document.objects.using(db).exclude(content="", note="", recipients_text="")
                                          .values_list("pk", "content", "note", "recipients_text").iterator()):
        parts.setdefault(pk, []).extend([content, note, recipients])
    for pk, name in Recipient.objects.using(db).exclude(name="").values_list("document_id", "name").iterator():
        parts.setdefault(pk, []).append(name)
    for pk, text in Opinion.objects.using(db).values_list("document_id", "text").iterator():
        parts.setdefault(pk, []).append(text)
    rows = [DocumentText(document_id=pk, text_folded=fold("\n".join(p for p in texts if p)))
            for pk, texts in parts.items()]
    DocumentText.objects.using(db).bulk_create([r for r in rows if r.text_folded.strip()], batch_size=2000)


def drop_index(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            for name in ("search_documenttext_ai", "search_documenttext_ad", "search_documenttext_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS search_documenttext_fts")


Migration.operations.append(migrations.RunPython(index_and_fill, drop_index))

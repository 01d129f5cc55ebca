"""PostgreSQL: each file's adjacent word pairs, as a second stored vector with its own GIN index, so
a quoted phrase is answered by the index alone. A phrase on the word vector (`a <-> b`) makes the
GIN index return every file holding all its words, each then re-read from its TOASTed vector to
check positions: a common phrase cost ~30 µs a candidate, 12,000 candidates in a big agency at
1,000,000 documents. The pairs vector holds "giai phong", "phong mat", "mat bang" (no positions),
and a phrase is the AND of its pairs, which GIN answers without a recheck.

The pairs come from the folded text split on what is not [0-9a-z], as core.text.words splits the
query. `lead()` over the words in order, not array subscripts, which cost O(n) each on a text[].
Nothing on SQLite (FTS5 checks positions in its own doclists). The DDL is schema.py's, written out
here as history."""

from django.db import migrations, transaction

FUNCTION = r"""
CREATE OR REPLACE FUNCTION search_word_pairs(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT p.pair)), ''::tsvector)
    FROM (SELECT w.word || ' ' || lead(w.word) OVER (ORDER BY w.n) AS pair
          FROM unnest(regexp_split_to_array(t, '[^0-9a-z]+')) WITH ORDINALITY AS w(word, n)
          WHERE w.word <> '') p
    WHERE p.pair IS NOT NULL
$$"""
COLUMN = ("ALTER TABLE search_filetext ADD COLUMN IF NOT EXISTS pairs_tsv tsvector "
          "GENERATED ALWAYS AS (search_word_pairs(text_folded)) STORED")
INDEX_AGENCY = "CREATE INDEX IF NOT EXISTS search_filetext_pairs ON search_filetext USING gin (agency_id, pairs_tsv)"
INDEX_PLAIN = "CREATE INDEX IF NOT EXISTS search_filetext_pairs ON search_filetext USING gin (pairs_tsv)"
BACKWARDS = [
    "DROP INDEX IF EXISTS search_filetext_pairs",
    "ALTER TABLE search_filetext DROP COLUMN IF EXISTS pairs_tsv",
    "DROP FUNCTION IF EXISTS search_word_pairs(text)",
]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        cursor.execute(COLUMN)
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') AND EXISTS "
                       "(SELECT 1 FROM information_schema.columns WHERE table_name = 'search_filetext' "
                       "AND column_name = 'agency_id' AND table_schema = current_schema())")
        agency = cursor.fetchone()[0]
        with transaction.atomic(using=connection.alias):
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(INDEX_AGENCY if agency else INDEX_PLAIN)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for sql in BACKWARDS:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0006_search3_filetext_agency")]
    operations = [migrations.RunPython(forwards, backwards)]

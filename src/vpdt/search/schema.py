"""The index's DDL per backend: what cannot be a Django index, so the search app owns it.

SQLite: an FTS5 external-content table and three triggers on records_document; PostgreSQL: a
GIN index on an expression (to_tsvector). Installed by search migration 0001 (which writes
the same SQL out as literals, as migrations are history). The lists' B-tree indexes are not
here: Document.Meta.indexes owns them.

On SQLite a later migration that remakes records_document (Django copies the table into a
new one and drops the old) drops the triggers with the old table, and the FTS table would
silently miss every later write: `ensure` puts them back (apps.py runs it after migrate) and
rebuilds the index. Nothing else needs re-checking: the FTS table is a table of its own and
survives, and PostgreSQL never remakes a table.
"""

from __future__ import annotations

import re

FTS_TABLE = "search_document_fts"
PG_INDEX = "search_doc_subject_tsv"


def _fts_triggers(prefix: str, table: str, fts: str, column: str, rowid: str) -> dict[str, str]:
    """The three triggers that keep an FTS5 external-content table `fts` in step with `column` of
    `table` (rowid = `rowid`): insert, delete, and an update that changed the column."""
    return {
        f"{prefix}_ai": f"""
        CREATE TRIGGER IF NOT EXISTS {prefix}_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, {column}) VALUES (new.{rowid}, new.{column});
        END""",
        f"{prefix}_ad": f"""
        CREATE TRIGGER IF NOT EXISTS {prefix}_ad AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.{rowid}, old.{column});
        END""",
        f"{prefix}_au": f"""
        CREATE TRIGGER IF NOT EXISTS {prefix}_au AFTER UPDATE OF {column} ON {table}
        WHEN old.{column} IS NOT new.{column} BEGIN
            INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.{rowid}, old.{column});
            INSERT INTO {fts}(rowid, {column}) VALUES (new.{rowid}, new.{column});
        END""",
    }


SQLITE_TRIGGERS = _fts_triggers("search_document", "records_document", FTS_TABLE, "subject_folded", "id")
SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        subject_folded, content='records_document', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3'
    )"""

# The subject's vector is a stored generated column (search migration 0004), not a model field;
# its index leads with the agency where btree_gin is there (search migration 0008).
PG_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON records_document USING gin (subject_tsv)"
PG_AGENCY_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON records_document USING gin ((agency_id::integer), subject_tsv)"


def pg_subject_index_sql(cursor) -> str:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin')")
    return PG_AGENCY_INDEX_SQL if cursor.fetchone()[0] else PG_INDEX_SQL

# The text of files (search.FileText, issue 15): the same two designs over search_filetext.text_folded.
FILE_FTS_TABLE = "search_filetext_fts"
FILE_PG_INDEX = "search_filetext_tsv"
FILE_SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FILE_FTS_TABLE} USING fts5(
        text_folded, content='search_filetext', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", detail=full
    )"""
FILE_SQLITE_TRIGGERS = _fts_triggers("search_filetext", "search_filetext", FILE_FTS_TABLE, "text_folded", "id")
# text_folded is at most VPDT_TEXT_MAX_CHARS (300,000) characters: a tsvector stays under its 1 MB limit.
# The vector is a stored generated column (search migration 0003), not a model field.
FILE_PG_COLUMN = "text_tsv"
FILE_PG_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {FILE_PG_INDEX} ON search_filetext USING gin ({FILE_PG_COLUMN})"
# Search migration 0006: the document's agency on each row (kept by triggers), and the index leading
# with it when btree_gin could be created, so a search reads only the files of the person's agencies.
FILE_PG_AGENCY_INDEX_SQL = (f"CREATE INDEX IF NOT EXISTS {FILE_PG_INDEX} ON search_filetext "
                            f"USING gin (agency_id, {FILE_PG_COLUMN})")


# Search migration 0007: each file's adjacent word pairs (a quoted phrase is the AND of its pairs),
# a stored vector with its GIN index, leading with the agency like the words' index.
FILE_PG_PAIRS_INDEX = "search_filetext_pairs"


def pg_pairs_index_sql(cursor) -> str:
    columns = "agency_id, pairs_tsv" if pg_file_index_sql(cursor) == FILE_PG_AGENCY_INDEX_SQL else "pairs_tsv"
    return f"CREATE INDEX IF NOT EXISTS {FILE_PG_PAIRS_INDEX} ON search_filetext USING gin ({columns})"


# Search migration 0009, SQLite: the same pairs in a contentless FTS5 table (no positions, no
# sizes: a phrase is the AND of its pair tokens "giai_phong", "phong_mat", …), so a quoted phrase
# of common words never evaluates their position lists over the whole province. The pairs come
# from `word_pairs`, a Python function each connection registers (apps.py), called by triggers;
# a contentless table's 'delete' needs the tokens inserted, which the function gives again.
FILE_PAIRS_FTS_TABLE = "search_filetext_pairs_fts"
PAIRS_FUNCTION = "vpdt_word_pairs"
FILE_SQLITE_PAIRS_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FILE_PAIRS_FTS_TABLE} USING fts5(
        pairs, content='', columnsize=0, detail=none, tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
    )"""
FILE_SQLITE_PAIRS_TRIGGERS = {
    "search_filetext_pairs_ai": f"""
    CREATE TRIGGER IF NOT EXISTS search_filetext_pairs_ai AFTER INSERT ON search_filetext BEGIN
        INSERT INTO {FILE_PAIRS_FTS_TABLE}(rowid, pairs) VALUES (new.id, {PAIRS_FUNCTION}(new.text_folded));
    END""",
    "search_filetext_pairs_ad": f"""
    CREATE TRIGGER IF NOT EXISTS search_filetext_pairs_ad AFTER DELETE ON search_filetext BEGIN
        INSERT INTO {FILE_PAIRS_FTS_TABLE}({FILE_PAIRS_FTS_TABLE}, rowid, pairs)
        VALUES ('delete', old.id, {PAIRS_FUNCTION}(old.text_folded));
    END""",
    "search_filetext_pairs_au": f"""
    CREATE TRIGGER IF NOT EXISTS search_filetext_pairs_au AFTER UPDATE OF text_folded ON search_filetext
    WHEN old.text_folded IS NOT new.text_folded BEGIN
        INSERT INTO {FILE_PAIRS_FTS_TABLE}({FILE_PAIRS_FTS_TABLE}, rowid, pairs)
        VALUES ('delete', old.id, {PAIRS_FUNCTION}(old.text_folded));
        INSERT INTO {FILE_PAIRS_FTS_TABLE}(rowid, pairs) VALUES (new.id, {PAIRS_FUNCTION}(new.text_folded));
    END""",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def word_pairs(text: str | None) -> str:
    """The adjacent word pairs of a folded text as FTS5 tokens ("giai_phong phong_mat mat_bang"),
    each once, split as core.text.words splits the query and as PostgreSQL's search_word_pairs."""
    words = [w for w in _NOT_WORD.split(text or "") if w]
    return " ".join(dict.fromkeys(pair_token(a, b) for a, b in zip(words, words[1:], strict=False)))


def pair_token(a: str, b: str) -> str:
    """One pair as the pairs' table holds it (unicode61 keeps '_' inside a token)."""
    return f"{a}_{b}"


# Also 0009, SQLite: the files' rows read without their text. A list of the files matching (FTS5
# rowids) needs each file's document and state; from the table that is one row's first page each,
# scattered through a file of gigabytes (text beside it), from this index a few small pages
# (121,000 files: 340 → 105 ms at 1,000,000).
FILE_SQLITE_COVERING = {
    "search_ft_id_doc": "CREATE INDEX IF NOT EXISTS search_ft_id_doc ON search_filetext (id, document_id, state)",
}


def register_sqlite_functions(connection) -> None:
    """What the pairs' triggers call, on every new SQLite connection (a connection without it
    cannot write search_filetext once search migration 0009 is in)."""
    connection.connection.create_function(PAIRS_FUNCTION, 1, word_pairs, deterministic=True)


def install_pairs_index(connection) -> None:
    """SQLite: the pairs' table and triggers (idempotent), filled again from search_filetext."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FILE_PAIRS_FTS_TABLE}")
        cursor.execute(FILE_SQLITE_PAIRS_TABLE)
        for sql in FILE_SQLITE_PAIRS_TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute(f"INSERT INTO {FILE_PAIRS_FTS_TABLE}(rowid, pairs) "
                       f"SELECT id, {PAIRS_FUNCTION}(text_folded) FROM search_filetext")


def pg_file_index_sql(cursor) -> str:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') AND EXISTS "
                   "(SELECT 1 FROM information_schema.columns WHERE table_name = 'search_filetext' "
                   "AND column_name = 'agency_id' AND table_schema = current_schema())")
    return FILE_PG_AGENCY_INDEX_SQL if cursor.fetchone()[0] else FILE_PG_INDEX_SQL


# The rest of a document's words (search.DocumentText: summary, note, recipients, opinions), keyed
# by the document's id (rowid = document_id on SQLite): the same two designs again.
DOC_FTS_TABLE = "search_documenttext_fts"
DOC_PG_INDEX = "search_documenttext_tsv"
DOC_SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {DOC_FTS_TABLE} USING fts5(
        text_folded, content='search_documenttext', content_rowid='document_id',
        tokenize="unicode61 remove_diacritics 2", detail=full
    )"""
DOC_SQLITE_TRIGGERS = _fts_triggers("search_documenttext", "search_documenttext", DOC_FTS_TABLE, "text_folded",
                                    "document_id")
DOC_PG_SQL = [
    "ALTER TABLE search_documenttext ADD COLUMN IF NOT EXISTS text_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text_folded)) STORED",
    f"CREATE INDEX IF NOT EXISTS {DOC_PG_INDEX} ON search_documenttext USING gin (text_tsv)",
]


def install_document_text_index(connection) -> None:
    """The index of search.DocumentText (idempotent), filled from the table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(DOC_SQLITE_TABLE)
            for sql in DOC_SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {DOC_FTS_TABLE}({DOC_FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            for sql in DOC_PG_SQL:
                cursor.execute(sql)


def _has_documents(connection) -> bool:
    with connection.cursor() as cursor:
        return "records_document" in connection.introspection.table_names(cursor)


def _sqlite_objects(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")
        return {row[0] for row in cursor.fetchall()}


def install(connection) -> None:
    """Create the index (idempotent) and fill it from the table."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
        rebuild(connection)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(pg_subject_index_sql(cursor))


# The quick search's indexes on the folded ký hiệu and names (records migration 0012). On
# SQLite a later table remake drops them like the triggers (Django copies only the model's
# indexes), so `ensure` puts them back too.
SQLITE_QS_INDEXES = {
    "doc_qs_notation": "CREATE INDEX IF NOT EXISTS doc_qs_notation ON records_document (notation_folded)",
    "doc_qs_people": "CREATE INDEX IF NOT EXISTS doc_qs_people ON records_document (people_folded)",
}


def _ensure_qs_indexes(connection, present: set[str]) -> list[str]:
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "records_document")}
        if not {"notation_folded", "people_folded"} <= columns:
            return []  # records migration 0012 not applied yet
        missing = [name for name in SQLITE_QS_INDEXES if name not in present]
        for name in missing:
            cursor.execute(SQLITE_QS_INDEXES[name])
    return [f"index {name}" for name in missing]


def ensure(connection) -> list[str]:
    """Put back what a table remake (SQLite) or a hand's DROP removed; returns what was repaired."""
    if connection.vendor not in ("sqlite", "postgresql") or not _has_documents(connection):
        return []
    repaired = []
    if connection.vendor == "sqlite":
        present = _sqlite_objects(connection)
        repaired += _ensure_qs_indexes(connection, present)
        if FTS_TABLE not in present:
            return repaired  # search migration 0001 not applied on this database yet
        missing = [name for name in SQLITE_TRIGGERS if name not in present]
        if missing:
            # The index may have missed writes while a trigger was gone: install rebuilds it.
            install(connection)
            repaired += [f"trigger {name}" for name in missing] + ["index rebuilt"]
        if FILE_FTS_TABLE in present:
            missing = [name for name in FILE_SQLITE_TRIGGERS if name not in present]
            if missing:
                install_file_index(connection)
                repaired += [f"trigger {name}" for name in missing] + ["file text index rebuilt"]
        if FILE_PAIRS_FTS_TABLE in present:
            with connection.cursor() as cursor:
                for name in [n for n in FILE_SQLITE_COVERING if n not in present]:
                    cursor.execute(FILE_SQLITE_COVERING[name])
                    repaired.append(f"index {name}")
            missing = [name for name in FILE_SQLITE_PAIRS_TRIGGERS if name not in present]
            if missing:
                install_pairs_index(connection)
                repaired += [f"trigger {name}" for name in missing] + ["file pairs index rebuilt"]
        if DOC_FTS_TABLE in present:
            missing = [name for name in DOC_SQLITE_TRIGGERS if name not in present]
            if missing:
                install_document_text_index(connection)
                repaired += [f"trigger {name}" for name in missing] + ["document text index rebuilt"]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'records_document'")
            present = {row[0] for row in cursor.fetchall()}
        if PG_INDEX not in present:
            install(connection)
            repaired.append(f"index {PG_INDEX}")
        if "search_filetext" in connection.introspection.table_names():
            with connection.cursor() as cursor:
                cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_filetext'")
                indexes = {row[0] for row in cursor.fetchall()}
                cursor.execute("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE "
                               "table_name = 'search_filetext' AND column_name = 'pairs_tsv' "
                               "AND table_schema = current_schema())")
                wanted = [FILE_PG_INDEX] + ([FILE_PG_PAIRS_INDEX] if cursor.fetchone()[0] else [])
                missing = [name for name in wanted if name not in indexes]
                if missing:
                    install_file_index(connection)
                    repaired += [f"index {name}" for name in missing]
    return repaired


def install_file_index(connection) -> None:
    """The file text's index (idempotent), filled from search_filetext."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(FILE_SQLITE_TABLE)
            for sql in FILE_SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {FILE_FTS_TABLE}({FILE_FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute(pg_file_index_sql(cursor))
            cursor.execute("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE "
                           "table_name = 'search_filetext' AND column_name = 'pairs_tsv' "
                           "AND table_schema = current_schema())")
            if cursor.fetchone()[0]:  # search migration 0007 applied
                cursor.execute(pg_pairs_index_sql(cursor))


def rebuild(connection) -> None:
    """Rebuild the index from the table (SQLite FTS5 'rebuild'; PostgreSQL REINDEX)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute(f"REINDEX INDEX {PG_INDEX}")


def problems(connection) -> list[str]:
    """What is wrong with the index; empty when it matches the table."""
    found = []
    if connection.vendor == "sqlite":
        present = _sqlite_objects(connection)
        if FTS_TABLE not in present:
            return [f"table {FTS_TABLE} is missing"]
        found += [f"trigger {name} is missing" for name in SQLITE_TRIGGERS if name not in present]
        with connection.cursor() as cursor:
            try:
                # rank=1: also compare the index with the content table (every row, every token).
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
            except Exception as exc:  # sqlite3.DatabaseError: database disk image is malformed
                found.append(f"index does not match records_document: {exc}")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [PG_INDEX])
            row = cursor.fetchone()
        if row is None:
            found.append(f"index {PG_INDEX} is missing")
        elif not row[0]:
            found.append(f"index {PG_INDEX} is invalid")
    return found

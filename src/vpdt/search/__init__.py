"""Full-text search of documents: the index and the query, per database backend.

SQLite: an FTS5 external-content table over `records_document.subject_folded`, kept in
step by triggers (same transaction as the write, whatever path writes: ORM, bulk SQL,
admin). PostgreSQL: a GIN index on the stored `subject_tsv` (to_tsvector('simple', subject_folded)), an index on
the column itself, so there is no second copy that could drift.
"""

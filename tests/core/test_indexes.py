"""The indexes of the tables the exchange writes: each one a query uses (issue 17).

Rules protected (PostgreSQL, where Django adds the copies):
- no LIKE-only copy (`varchar_pattern_ops`, name ending in `_like`) on the tables an exchange
  writes, in the e-office's database and the hub's, but the audit entry's action, which the
  privileges page lists by prefix (`action__startswith`); vpdt.core.migration_ops.DropPatternIndex;
- a document has no index of its own for its agency, direction, urgency, drafting unit or
  creator, and an inbox item none for its connection;
- every foreign key of those tables still leads an index (a parent's delete, PROTECT or
  SET_NULL, finds its rows by it; a list by agency, by creator, by drafting unit reads it);
- the copies come back when the migrations are reversed (checked by hand: `vpdt manage migrate
  records 0015` and the others; a test would rebuild the whole schema).
"""

from __future__ import annotations

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.backends]

OFFICE_TABLES = ["records_document", "records_attachment", "records_draftversion", "records_rendition",
                 "records_closedregisterfile", "records_documenttype", "core_auditentry", "core_blob",
                 "exchange_inboxitem", "exchange_outboxmessage"]
HUB_TABLES = ["hub_delivery", "hub_package", "hub_submission", "hub_seenrequest", "hub_system", "hub_agency",
              "hub_route"]


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("POSTGRESQL ONLY: Django's LIKE-only index copies (run with VPDT_TEST_DATABASE_URL)")


def _indexes(alias: str, tables: list[str]) -> list[tuple[str, str, list[str]]]:
    """(table, index, its columns in order) of `tables`."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            """SELECT t.relname, i.relname, array_agg(a.attname ORDER BY k.ord)
               FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
               CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
               WHERE t.relname = ANY(%s) GROUP BY t.relname, i.relname""", [tables])
        return [(table, index, list(columns)) for table, index, columns in cursor.fetchall()]


def test_the_tables_an_exchange_writes_keep_no_like_only_copy_but_the_audit_actions():
    _postgres_only()
    office = [index for table, index, _ in _indexes("default", OFFICE_TABLES) if index.endswith("_like")]
    assert [i for i in office if not i.startswith("core_auditentry_action_")] == []
    assert len(office) == 1  # the action's: listed by prefix
    if connections["hub"].vendor == "postgresql":
        assert [index for _, index, _ in _indexes("hub", HUB_TABLES) if index.endswith("_like")] == []


def test_a_document_reads_its_agency_creator_and_unit_through_the_indexes_that_begin_with_them():
    _postgres_only()
    indexes = _indexes("default", ["records_document", "exchange_inboxitem"])
    alone = {(table, columns[0]) for table, _, columns in indexes if len(columns) == 1}
    for column in ("agency_id", "direction", "urgency", "drafting_unit_id", "created_by_id"):
        assert ("records_document", column) not in alone
    assert ("exchange_inboxitem", "connection_id") not in alone
    leading = {(table, columns[0]) for table, _, columns in indexes}
    for column in ("agency_id", "drafting_unit_id", "created_by_id"):
        assert ("records_document", column) in leading
    assert ("exchange_inboxitem", "connection_id") in leading


def test_every_foreign_key_of_the_tables_an_exchange_writes_leads_an_index():
    _postgres_only()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.relname, a.attname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1]
               WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1 AND t.relname = ANY(%s)""", [OFFICE_TABLES])
        keys = set(cursor.fetchall())
    assert ("records_document", "agency_id") in keys
    leading = {(table, columns[0]) for table, _, columns in _indexes("default", OFFICE_TABLES)}
    assert sorted(keys - leading) == []

"""The indexes the lists and queues rely on exist after `migrate` from zero, with the columns
in the order the queries need, and survive a table remake on SQLite (Meta.indexes owns them;
the search triggers are put back after migrate)."""

from __future__ import annotations

import textwrap

import pytest
from django.db import connection

from tests.fresh_process import run_django_script

# name: (columns, orders) as the lists' queries need them (records.listing, BENCHMARKS.md).
DOCUMENT_INDEXES = {
    "doc_list_order": (["agency_id", "direction", "secrecy", "urgency", "created_at", "id"],
                       ["ASC", "ASC", "ASC", "DESC", "DESC", "DESC"]),
    "doc_list_state_s": (["agency_id", "direction", "state", "urgency", "created_at", "id", "secrecy"],
                         ["ASC", "ASC", "ASC", "DESC", "DESC", "DESC", "ASC"]),
    "doc_agency_order": (["agency_id", "secrecy", "urgency", "created_at", "id"],
                         ["ASC", "ASC", "DESC", "DESC", "DESC"]),
    "doc_agency_incoming_no": (["agency_id", "incoming_number"], ["ASC", "ASC"]),
    "doc_drafting_unit_ids": (["drafting_unit_id", "id"], ["ASC", "ASC"]),
    "doc_created_by_ids": (["created_by_id", "id"], ["ASC", "ASC"]),
    "doc_due": (["agency_id", "direction", "state", "due_date"], ["ASC", "ASC", "ASC", "ASC"]),
}
ASSIGNMENT_INDEXES = {
    name: ([lead, "state", "done_at", "document_id"], ["ASC"] * 4)
    for name, lead in [("asg_follow_by", "assigned_by_id"), ("asg_follow_user", "user_id"),
                       ("asg_follow_unit", "unit_id")]
}
SEARCH_TRIGGERS = {"search_document_ai", "search_document_ad", "search_document_au"}


def _indexes(table: str) -> dict:
    """{name: (columns, orders)} of the table's indexes."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
        names = [name for name, info in found.items() if info["index"]]
        if connection.vendor != "sqlite":
            return {name: (found[name]["columns"], found[name]["orders"]) for name in names}
        # Django's SQLite introspection does not read the order of an index's columns.
        indexes = {}
        for name in names:
            cursor.execute(f'PRAGMA index_xinfo("{name}")')
            keys = [row for row in cursor.fetchall() if row[5]]  # key columns, not the rowid
            indexes[name] = ([row[2] for row in keys], ["DESC" if row[3] else "ASC" for row in keys])
        return indexes


@pytest.mark.backends
@pytest.mark.django_db
def test_every_index_the_lists_rely_on_is_there_after_migrate_from_zero():
    # The test database is built by running every migration from zero.
    documents = _indexes("records_document")
    for name, expected in DOCUMENT_INDEXES.items():
        assert documents.get(name) == expected, name
    assert "doc_list_state" not in documents  # retired by records migration 0005
    assignments = _indexes("workflow_assignment")
    for name, expected in ASSIGNMENT_INDEXES.items():
        assert assignments.get(name) == expected, name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records_document'")
            assert SEARCH_TRIGGERS <= {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'records_document'")
            assert "search_doc_subject_tsv" in {row[0] for row in cursor.fetchall()}


# Runs in a fresh process on its own SQLite file: migrate from zero, remake both tables the
# way a later AlterField would, run migrate again (the search app's after-migrate check), then
# take records and workflow back before the hand-over migrations and forward again.
_SCRIPT = textwrap.dedent("""
    import json, django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from vpdt.records.models import Document
    from vpdt.workflow.models import Assignment

    def indexes(table):
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return sorted(n for n, i in found.items() if i["index"])

    def triggers():
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return sorted(r[0] for r in cursor.fetchall())

    out = {}
    call_command("migrate", verbosity=0)
    out["fresh"] = [indexes("records_document"), indexes("workflow_assignment"), triggers()]
    for model in (Document, Assignment):
        # What SQLite's schema editor does for most field changes: copy into a new table.
        with connection.schema_editor() as editor:
            editor._remake_table(model)
    out["remade"] = [indexes("records_document"), indexes("workflow_assignment"), triggers()]
    call_command("migrate", verbosity=0)
    out["after_migrate"] = [indexes("records_document"), indexes("workflow_assignment"), triggers()]
    call_command("migrate", "records", "0006", verbosity=0)
    call_command("migrate", "workflow", "0002", verbosity=0)
    out["back"] = [indexes("records_document"), indexes("workflow_assignment"), triggers()]
    call_command("migrate", verbosity=0)
    out["forward"] = [indexes("records_document"), indexes("workflow_assignment"), triggers()]
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_indexes_survive_a_table_remake_and_the_hand_over_migrations_reverse(tmp_path):
    states = run_django_script(_SCRIPT, tmp_path)
    for state, (documents, assignments, triggers) in states.items():
        assert set(DOCUMENT_INDEXES) <= set(documents), state
        assert set(ASSIGNMENT_INDEXES) <= set(assignments), state
        if state != "remade":  # the remake drops the triggers; the next migrate puts them back
            assert SEARCH_TRIGGERS <= set(triggers), state
    assert not SEARCH_TRIGGERS & set(states["remade"][2])  # why apps.py keeps its re-check

"""The e-office's PostgreSQL connection: parameters bound on the server, each statement prepared
after VPDT_DB_PREPARE_AFTER runs (PostgreSQL then neither parses nor plans it again)."""

from __future__ import annotations

import pytest
from django.db import connection

from vpdt import settings as vpdt_settings

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("POSTGRESQL ONLY: the e-office's prepared statements (run with VPDT_TEST_DATABASE_URL)")


def test_a_statement_run_often_is_prepared_once_and_answers_the_same():
    _postgres_only()
    assert vpdt_settings.DB_PREPARE_AFTER > 0
    connection.ensure_connection()
    raw = connection.connection
    assert raw.prepare_threshold == vpdt_settings.DB_PREPARE_AFTER
    sql = "SELECT %s::int + 1 AS next_one"
    with connection.cursor() as cursor:
        answers = []
        for i in range(vpdt_settings.DB_PREPARE_AFTER + 3):
            cursor.execute(sql, [i])
            answers.append(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%next_one%"])
        prepared = cursor.fetchone()[0]
    assert answers == [i + 1 for i in range(vpdt_settings.DB_PREPARE_AFTER + 3)]
    assert prepared == 1  # one server-side statement for every run after the threshold


def test_zero_leaves_client_side_binding(monkeypatch):
    """VPDT_DB_PREPARE_AFTER=0, for a pooler that cannot keep prepared statements."""
    import importlib

    monkeypatch.setenv("VPDT_DB_PREPARE_AFTER", "0")
    monkeypatch.setenv("VPDT_DATABASE_URL", "postgres://vpdt@db.example:5432/vpdt")
    try:
        fresh = importlib.reload(vpdt_settings)
        assert fresh.DB_PREPARE_AFTER == 0
        assert "server_side_binding" not in fresh.DATABASES["default"].get("OPTIONS", {})
        monkeypatch.setenv("VPDT_DB_PREPARE_AFTER", "5")
        fresh = importlib.reload(vpdt_settings)
        assert fresh.DATABASES["default"]["OPTIONS"]["server_side_binding"] is True
        assert fresh.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 5
    finally:
        monkeypatch.undo()
        importlib.reload(vpdt_settings)

"""The e-office's PostgreSQL connection: parameters bound on the server, each statement prepared
after VPDT_DB_PREPARE_AFTER runs (PostgreSQL then neither parses nor plans it again)."""

from __future__ import annotations

import pytest
from django.db import connection, connections

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


# --- the health check of a kept connection (vpdt.core.postgresql)
def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _new_request() -> None:
    """What Django does at the start of each request and vpdt at each job: a kept connection
    is checked again before its next statement."""
    connection.close_if_unusable_or_obsolete()


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_is_checked_without_a_round_trip(monkeypatch):
    _postgres_only()
    assert connection.settings_dict["ENGINE"] == "vpdt.core.postgresql" and connection.health_check_enabled
    pid = _backend_pid()
    asked = []
    monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: asked.append(1) or True)
    for _ in range(3):
        _new_request()
        assert _backend_pid() == pid  # kept
    assert asked == []  # no SELECT 1


@pytest.mark.django_db(transaction=True)
def test_a_connection_closed_by_the_server_is_opened_again_before_the_next_statement():
    """PostgreSQL restarted, or an administrator ended the session: the next request works."""
    import time

    import psycopg

    _postgres_only()
    pid = _backend_pid()
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                         password=settings["PASSWORD"] or None, dbname=settings["NAME"], autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    deadline = time.monotonic() + 5
    while connection.looks_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye reaches the socket
    _new_request()
    assert _backend_pid() != pid


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_check_asks_the_server():
    """Not idle (a transaction left open): the socket cannot tell, Django's SELECT 1 does."""
    _postgres_only()
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("BEGIN")
    try:
        asked = []
        wrapper = type(connections["default"])
        real = wrapper.is_usable
        wrapper.is_usable = lambda self: asked.append(1) or real(self)
        try:
            assert connection.looks_usable() is True and asked == [1]
        finally:
            wrapper.is_usable = real
    finally:
        raw.execute("ROLLBACK")

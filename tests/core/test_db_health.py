"""A kept PostgreSQL connection is checked (`SELECT 1`) at a request's first use only when it
has not served a request without error in the last second (vpdt.core.dbbackends.postgresql):
Django's health check on every request cost one round trip more each."""

from __future__ import annotations

import time

import pytest
from django.db import DatabaseError, connections

pytestmark = [pytest.mark.django_db(databases=["default", "hub"]), pytest.mark.backends]


@pytest.fixture
def conn():
    """A connection of its own to the test database (outside the test's transaction), with its
    health checks counted."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no health check (runs in make test's PostgreSQL phase)")
    c = connections.create_connection("default")
    c.checks = 0
    usable = c.is_usable

    def counted():
        c.checks += 1
        return usable()

    c.is_usable = counted
    yield c
    c.close()


def _request(c, *, work: bool = True) -> None:
    """What a request does to a connection: Django's close_old_connections at its start and end
    (request_started, request_finished), a statement between."""
    c.close_if_unusable_or_obsolete()
    if work:
        with c.cursor() as cursor:
            cursor.execute("SELECT 2")
            assert cursor.fetchone() == (2,)
    c.close_if_unusable_or_obsolete()


def test_both_aliases_use_vpdts_backend_on_postgresql(conn):
    for alias in ("default", "hub"):
        assert type(connections[alias]).__module__ == "vpdt.core.dbbackends.postgresql.base", alias
        assert connections[alias].settings_dict["CONN_HEALTH_CHECKS"], alias


def test_a_connection_proven_within_the_window_is_not_checked_again(conn):
    conn.health_window = 60
    _request(conn)  # connects: a new connection is not checked
    for _ in range(3):
        _request(conn)
    assert conn.checks == 0


def test_without_the_window_every_request_is_checked_as_django_does(conn):
    conn.health_window = 0
    for _ in range(3):
        _request(conn)
    assert conn.checks == 2  # the first request connected


def test_a_connection_idle_longer_than_the_window_is_checked(conn):
    conn.health_window = 1
    _request(conn)
    conn.proven_at -= 1.5  # its last request was 1.5 s ago
    _request(conn)
    assert conn.checks == 1
    _request(conn)  # the check and the request proved it again
    assert conn.checks == 1


def test_a_request_that_did_not_use_the_connection_proves_nothing(conn):
    _request(conn)
    before = conn.proven_at
    time.sleep(0.01)
    _request(conn, work=False)
    assert conn.proven_at == before


def test_a_connection_dropped_inside_the_window_fails_one_request_and_the_next_reconnects(conn):
    conn.health_window = 60
    _request(conn)
    pid = conn.connection.info.backend_pid
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the server ends the backend asynchronously
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.02)
    with pytest.raises(DatabaseError):
        _request(conn)
    assert conn.errors_occurred
    conn.close_if_unusable_or_obsolete()  # request_finished: the failed check closes it
    assert conn.connection is None
    _request(conn)
    assert conn.connection.info.backend_pid != pid


def test_a_failed_statement_is_checked_at_the_next_request(conn):
    conn.health_window = 60
    _request(conn)
    conn.close_if_unusable_or_obsolete()
    with pytest.raises(DatabaseError), conn.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_here")
    assert conn.errors_occurred
    conn.close_if_unusable_or_obsolete()  # request_finished: checked (usable), kept
    assert conn.checks == 1 and conn.connection is not None
    _request(conn)
    assert conn.checks == 1

"""The hub's PostgreSQL backend (vpdt.hub.postgresql): the per-request health check is asked
on a kept connection after a pause, not on every request of a busy hub; a connection that saw
a database error is still checked."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, connections

from vpdt.hub.models import Agency

pytestmark = [pytest.mark.django_db(databases=["default", "hub"], transaction=True), pytest.mark.backends]


@pytest.fixture
def checks(monkeypatch):
    conn = connections["hub"]
    if conn.vendor != "postgresql":
        pytest.skip("the hub's own backend is for PostgreSQL; SQLite has no health check query")
    from vpdt.hub.postgresql import base

    assert isinstance(conn, base.DatabaseWrapper)
    monkeypatch.setitem(conn.settings_dict, "CONN_HEALTH_CHECKS", True)
    monkeypatch.setitem(conn.settings_dict, "CONN_MAX_AGE", 60)
    conn.close()
    # Django's own handler, first or last among the receivers (a test fixture may reconnect it)
    request_started.disconnect(close_old_connections)
    request_started.connect(close_old_connections)
    asked = []
    real = conn.is_usable
    monkeypatch.setattr(conn, "is_usable", lambda: asked.append(1) or real())
    yield asked
    conn.close()


def _request():
    request_started.send(sender=None)
    try:
        Agency.objects.using("hub").filter(code="none").exists()
    finally:
        request_finished.send(sender=None)


def test_a_busy_connection_is_not_checked_an_idle_one_is(checks, monkeypatch):
    from vpdt.hub.postgresql import base

    _request()  # a new connection: nothing to check
    _request()
    _request()
    assert checks == []
    monkeypatch.setattr(base, "RECENTLY_SECONDS", 0.0)  # as if a pause came between
    _request()
    assert checks == [1]


def test_after_a_database_error_the_next_request_checks(checks):
    _request()
    request_started.send(sender=None)
    with pytest.raises(DatabaseError), connections["hub"].cursor() as c:
        c.execute("SELECT * FROM no_such_table_here")
    # the error is seen at the request's end: Django checks the connection then
    request_finished.send(sender=None)
    assert checks == [1]
    _request()
    assert checks == [1], "checked at the end of the failed request, sound since"

"""Test set-up shared by every app: the database under test, factories, loud skips.

The suite runs on SQLite by default; `make test-pg` (and CI) run it again on PostgreSQL by
setting VPDT_TEST_DATABASE_URL. If that server does not answer, the run stops with a loud
message instead of passing silently.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest


def _pg_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def pytest_configure(config):
    # Background jobs queue in memory during the suite: what a test enqueues (an outbox
    # message's wake-up on commit) stays in this process. Tests of the real queues (SQLite,
    # Redis) and of real processes set up their own.
    from huey.storage import MemoryStorage

    from vpdt.core import tasks

    tasks.huey.storage = MemoryStorage(tasks.huey.name)

    url = os.environ.get("VPDT_TEST_DATABASE_URL")
    if url and url.startswith("postgres") and not _pg_reachable(url):
        banner = f"\n{'!' * 78}\n!! PostgreSQL at {url} does NOT answer: the PostgreSQL run is SKIPPED.\n{'!' * 78}\n"
        print(banner)
        pytest.exit("PostgreSQL unreachable: skipped loudly", returncode=0)


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"vpdt test database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}"


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """Django's LocaleMiddleware activates the request's language in the thread and never
    deactivates it, so a test that asked for a page in English would leave English active for
    the next test on the same worker; each test starts in the default language (Vietnamese)."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """MD5 instead of PBKDF2 for every test: factories make people by the dozen, and each
    PBKDF2 hash costs a tenth of a second. No test is about the hasher's strength; the
    production setting is untouched (processes that tests start keep it)."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _second_factor_policy_off():
    """Nobody is made to enrol a second factor in the tests of other things (they sign people
    in with force_login); the tests of the second factor (tests/web/test_mfa*.py,
    tests/signing/test_unlock.py) and the browser walks (tests/browser/conftest.py) put the
    production default "admins,signers" back. A person WITH a device is still asked for a code."""
    from django.test import override_settings

    with override_settings(VPDT_MFA_REQUIRED_FOR="none"):
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_blob_fsync():
    """A test's blobs live in a throwaway directory: not fsync'd (a few ms each, thousands of them
    in the suite). tests/core/test_blobs.py turns it on to check that a stored blob is."""
    from django.test import override_settings

    with override_settings(VPDT_BLOB_FSYNC=False):
        yield


@pytest.fixture(scope="session", autouse=True)
def _audit_anchor_dir(tmp_path_factory):
    """The audit log's anchors (and their key) of the run in a temporary directory, never the
    developer's var/audit: a job run by a test (`tasks.run_once`) anchors too."""
    from django.test import override_settings

    with override_settings(VPDT_AUDIT_ANCHOR_DIR=str(tmp_path_factory.mktemp("audit-anchors"))):
        yield


@pytest.fixture
def blob_dir(settings, tmp_path):
    """Blobs of one test in their own directory."""
    # Django's setting_changed handler resets the storage handler on STORAGES changes.
    settings.STORAGES = {**settings.STORAGES, "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "blobs")}}}
    return tmp_path / "blobs"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On SQLite, let Django's flush between transactional tests empty the audit log: the
    test database (a throwaway copy, not a record) drops the append-only triggers, which
    have no off switch (core migration 0004). The tests of the rule install them again
    inside their own transaction (`audit_triggers` below). PostgreSQL's flush is a
    TRUNCATE: only the TRUNCATE trigger goes."""
    from django.db import connection

    with django_db_blocker.unblock():
        audit_migration().drop_triggers_for_test_flush(connection)
    yield
    # PostgreSQL refuses to drop a test database others still use: the live servers' and
    # in-process hub's threads may hold connections at the end. Close them first.
    from django.db import DatabaseError, connections

    with django_db_blocker.unblock():
        for alias in connections:
            conn = connections[alias]
            # Only the test databases this run made (a run of some tests leaves the hub's
            # alias pointing at its real, absent, database).
            if conn.vendor != "postgresql" or not conn.settings_dict["NAME"].startswith("test_"):
                continue
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            except DatabaseError:
                pass  # nothing to close: Django's teardown says what is wrong, if anything


def audit_migration():
    import importlib

    return importlib.import_module("vpdt.core.migrations.0004_audit_chain")


@pytest.fixture
def audit_triggers(db):
    """The production append-only triggers, in this test's transaction (rolled back after)."""
    from django.db import connection

    audit_migration().install_triggers(connection)


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Seeded reference data (document types, the starting retention table) for every test that
    touches the database.

    Migrations seed it, but a transactional test's flush removes it for the tests after it.
    """
    if request.node.get_closest_marker("django_db") is None and not (_DB_FIXTURES & set(request.fixturenames)):
        return
    request.getfixturevalue("_django_db_helper")
    from vpdt.archive.models import RetentionPeriod
    from vpdt.archive.seed import seed_retention_periods
    from vpdt.records.models import DocumentType
    from vpdt.records.seed import seed_document_types

    if not DocumentType.objects.exists():
        seed_document_types(DocumentType)
    if not RetentionPeriod.objects.exists():
        seed_retention_periods(RetentionPeriod)

"""The package-signing keys of connected agencies are made in the background (job
exchange.package_keys), so that a clerk's first release does not generate one in its request."""

from __future__ import annotations

import pytest

from tests import factories
from vpdt.directory.roles import Role
from vpdt.exchange import jobs, services
from vpdt.exchange import keys as exchange_keys
from vpdt.exchange.models import HubConnection
from vpdt.signing import agency_keys
from vpdt.signing.models import SigningKey

pytestmark = pytest.mark.django_db


def _runs_until_idle() -> int:
    runs = 0
    while jobs.package_keys():
        runs += 1
        assert runs < 20, "the job never went idle"
    return runs


def test_each_agency_that_may_send_gets_one_package_key_and_the_rest_none(monkeypatch):
    monkeypatch.setattr("vpdt.core.tasks.wake", lambda name: None)
    a, b, alone, off, staffed, closed = (factories.agency() for _ in range(6))
    services.connect([a, b], endpoint="/hub", system_id="sys-ab", secret="s")
    services.connect([off], endpoint="/hub", system_id="sys-off", secret="s")
    HubConnection.objects.filter(system_id="sys-off").update(enabled=False)
    factories.person(staffed, Role.CLERK)  # a clerk here releases, connected or not yet
    factories.person(alone, Role.SPECIALIST)  # people, but nobody who releases
    factories.person(closed, Role.CLERK)
    closed.active = False
    closed.save()

    assert _runs_until_idle() == 3  # one agency per run, then idle
    for agency in (a, b, staffed):
        (key,) = SigningKey.objects.filter(agency=agency)
        assert key.purpose == SigningKey.Purpose.PACKAGES and key.active
    # a directory entry, a disabled connection, an agency closed down: none
    assert not SigningKey.objects.filter(agency__in=[alone, off, closed]).exists()

    # the release's signer uses the key made beforehand: nothing generated in the request
    made = {a.pk: SigningKey.objects.get(agency=a).pk}
    assert exchange_keys.signer_for(a) is not None
    assert list(SigningKey.objects.filter(agency=a).values_list("pk", flat=True)) == [made[a.pk]]
    assert _runs_until_idle() == 0


def test_an_agency_whose_seal_the_server_opens_needs_no_package_key(monkeypatch):
    monkeypatch.setattr("vpdt.core.tasks.wake", lambda name: None)
    sealed, plain = factories.agency(), factories.agency()
    services.connect([sealed, plain], endpoint="/hub", system_id="sys-s", secret="s")
    SigningKey.objects.create(agency=sealed, kind=SigningKey.Kind.SOFTWARE, purpose=SigningKey.Purpose.DOCUMENTS,
                              pkcs12_encrypted=b"x", password_encrypted=b"y")  # a seal with its password
    SigningKey.objects.create(agency=plain, kind=SigningKey.Kind.SOFTWARE, purpose=SigningKey.Purpose.DOCUMENTS,
                              pkcs12_encrypted=b"x")  # a seal only its holder can open: it cannot sign packages
    from vpdt.directory.models import Agency

    assert list(agency_keys.without_package_key(Agency.objects.filter(pk__in=[sealed.pk, plain.pk]))) == [plain]
    assert _runs_until_idle() == 1
    assert SigningKey.objects.filter(agency=plain, purpose=SigningKey.Purpose.PACKAGES).count() == 1
    assert not SigningKey.objects.filter(agency=sealed, purpose=SigningKey.Purpose.PACKAGES).exists()


def test_connecting_agencies_wakes_the_job_once_committed(monkeypatch, django_capture_on_commit_callbacks):
    woken = []
    monkeypatch.setattr("vpdt.core.tasks.wake", woken.append)
    with django_capture_on_commit_callbacks(execute=True):
        services.connect([factories.agency()], endpoint="/hub", system_id="sys-w", secret="s")
    assert "exchange.package_keys" in woken


def _at_once(holder, other) -> list:
    """Run `holder(holding)` and `other()` in two threads with their own connections, `other`
    once `holder` has set `holding`, and return the errors each raised (PostgreSQL only)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("POSTGRESQL ONLY: concurrent writers (run with VPDT_TEST_DATABASE_URL)")
    holding = threading.Event()
    errors: list = []

    def run(name, func, *args):
        try:
            func(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append((name, exc))
        finally:
            connection.close()

    def after():
        holding.wait(10)
        run("other", other)

    threads = [threading.Thread(target=run, args=("holder", holder, holding)), threading.Thread(target=after)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def _audited_then(agency, seconds: float, then):
    """A release's transaction that audits a change (the audit head held from there), waits
    `seconds` while the other thread works, then calls `then()`."""
    import time

    from django.db import transaction

    from vpdt.core import audit

    def holder(holding):
        with transaction.atomic():
            audit.record("document.release", agency, agency_code=agency.code)
            holding.set()
            time.sleep(seconds)
            then()

    return holder


@pytest.mark.django_db(transaction=True)
def test_the_job_and_a_release_making_the_same_key_at_once_neither_fails():
    """A release that has audited a change holds the audit chain's head, then makes its agency's
    package key at first use; the job makes the same key at that moment. The job used to insert
    the key, then wait for the head; the release waited for the job's key: a deadlock, and one of
    them aborted (seen in bench/exchange_bench.py). Now the job takes the head first and gives way."""
    agency = factories.agency()
    errors = _at_once(_audited_then(agency, 0.5, lambda: agency_keys.package_key(agency)),
                      lambda: agency_keys.make_package_key(agency))
    assert not errors
    assert SigningKey.objects.filter(agency=agency, purpose=SigningKey.Purpose.PACKAGES, active=True).count() == 1
    assert agency_keys.make_package_key(agency) is True  # it has one: nothing more
    assert SigningKey.objects.filter(agency=agency).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_releases_of_one_agency_at_once_neither_fails():
    """Two releases of an agency without a package key: the first has audited a change (the
    audit head held) when it makes the key; the second makes it before auditing anything. The
    second used to insert the key and wait for the head, the first to wait for the second's key:
    PostgreSQL aborted one release (a clerk's error). Both take the head before the key now."""
    from django.db import transaction

    from vpdt.core import audit

    agency = factories.agency()
    used: list = []

    def second():
        with transaction.atomic():
            used.append(agency_keys.package_key(agency)[0])
            audit.record("document.release", agency, agency_code=agency.code)

    errors = _at_once(_audited_then(agency, 1.0, lambda: used.append(agency_keys.package_key(agency)[0])), second)
    assert not errors
    assert len(used) == 2 and used[0] == used[1]  # both signed with the one key
    assert SigningKey.objects.filter(agency=agency, purpose=SigningKey.Purpose.PACKAGES, active=True).count() == 1


def test_a_new_clerk_wakes_the_job_once_committed(monkeypatch, django_capture_on_commit_callbacks):
    """An agency that gets its first clerk has its package key made at once, not at the job's
    next hourly run nor in the clerk's first release."""
    woken = []
    monkeypatch.setattr("vpdt.core.tasks.wake", woken.append)
    agency = factories.agency()
    with django_capture_on_commit_callbacks(execute=True):
        factories.person(agency, Role.SPECIALIST)
    assert "exchange.package_keys" not in woken  # nobody here releases yet
    with django_capture_on_commit_callbacks(execute=True):
        factories.person(agency, Role.CLERK)
    assert woken.count("exchange.package_keys") == 1
    monkeypatch.setattr("vpdt.core.tasks.wake", lambda name: None)
    assert _runs_until_idle() == 1
    assert SigningKey.objects.filter(agency=agency, purpose=SigningKey.Purpose.PACKAGES).count() == 1

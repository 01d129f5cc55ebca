"""Numbering (Decree 30): no gap, no duplicate, leading zero, the right symbol, reset each year."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from tests import factories
from vpdt.core.errors import InvalidState, PermissionDenied
from vpdt.directory.roles import Role
from vpdt.records import services
from vpdt.records.choices import Direction, Secrecy, State
from vpdt.records.models import Document, Register

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def test_cong_van_symbol_is_agency_then_drafting_unit():
    agency = factories.agency(abbreviation="UBND")
    office = factories.unit(agency, "VP")
    clerk = factories.clerk(agency)
    doc = factories.document(agency, drafting_unit=office)
    services.issue_number(clerk, doc, date=dt.date(2026, 3, 2))
    assert doc.code == "01/UBND-VP"
    assert doc.issued_date == dt.date(2026, 3, 2)


def test_typed_document_symbol_is_type_then_agency_with_leading_zero():
    agency = factories.agency(abbreviation="UBND")
    clerk = factories.clerk(agency)
    docs = [factories.document(agency, type_code="QD") for _ in range(15)]
    for doc in docs:
        services.issue_number(clerk, doc, date=dt.date(2026, 5, 1))
    assert [d.code for d in docs[:2]] == ["01/QĐ-UBND", "02/QĐ-UBND"]
    assert docs[14].code == "15/QĐ-UBND"


def test_normative_and_secret_documents_have_their_own_series():
    agency = factories.agency(abbreviation="BNV")
    clerk = factories.clerk(agency)
    cv = factories.document(agency, type_code="CV")
    qd = factories.document(agency, type_code="QD")
    secret = factories.document(agency, type_code="CV", secrecy=Secrecy.CONFIDENTIAL)
    tb = factories.document(agency, type_code="TB")
    for d in (cv, qd, secret, tb):
        services.issue_number(clerk, d, date=dt.date(2026, 1, 5))
    assert (cv.number, qd.number, secret.number, tb.number) == (1, 1, 1, 2)
    assert cv.register != qd.register != secret.register
    assert tb.register == cv.register


def test_numbers_restart_on_first_of_january():
    agency = factories.agency(abbreviation="UBND")
    clerk = factories.clerk(agency)
    late = [factories.document(agency) for _ in range(3)]
    for d in late:
        services.issue_number(clerk, d, date=dt.date(2026, 12, 31))
    new_year = factories.document(agency)
    services.issue_number(clerk, new_year, date=dt.date(2027, 1, 1))
    assert late[-1].number == 3
    assert new_year.number == 1
    assert new_year.register.year == 2027 and late[0].register.year == 2026


def test_only_a_clerk_issues_numbers_and_only_once():
    agency = factories.agency()
    specialist = factories.person(agency, Role.SPECIALIST)
    clerk = factories.clerk(agency)
    doc = factories.document(agency)
    with pytest.raises(PermissionDenied):
        services.issue_number(specialist, doc)
    services.issue_number(clerk, doc)
    with pytest.raises(InvalidState):
        services.issue_number(clerk, doc)


def test_a_draft_not_yet_approved_gets_no_number():
    agency = factories.agency()
    clerk = factories.clerk(agency)
    doc = factories.document(agency, state=State.DRAFT)
    with pytest.raises(InvalidState):
        services.issue_number(clerk, doc)
    assert Document.objects.get(pk=doc.pk).number is None


def test_failed_transaction_gives_its_number_back():
    from django.db import transaction

    agency = factories.agency()
    clerk = factories.clerk(agency)
    first, second = factories.document(agency), factories.document(agency)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_number(clerk, first, date=dt.date(2026, 6, 1))
        raise RuntimeError("release failed after numbering")
    services.issue_number(clerk, second, date=dt.date(2026, 6, 1))
    assert second.number == 1


def _concurrently(workers: int, target) -> list:
    barrier = threading.Barrier(workers)
    results: list = []
    errors: list = []

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_number_never_repeats_or_skips_under_concurrency():
    workers, per_worker = 16, 5
    agency = factories.agency(abbreviation="UBND")
    clerk = factories.clerk(agency)
    docs = [factories.document(agency) for _ in range(workers * per_worker)]

    def issue(i):
        numbers = []
        for doc in docs[i * per_worker:(i + 1) * per_worker]:
            numbers.append(services.issue_number(clerk, doc, date=dt.date(2026, 8, 8)).number)
        return numbers

    results = _concurrently(workers, issue)
    numbers = sorted(n for chunk in results for n in chunk)
    assert numbers == list(range(1, workers * per_worker + 1)), f"{connection.vendor}: gaps or duplicates"
    assert Register.objects.get(agency=agency, direction=Direction.OUTGOING).last_number == workers * per_worker


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_incoming_numbers_never_repeat_or_skip_under_concurrency():
    workers = 16
    agency = factories.agency()
    clerk = factories.clerk(agency)
    docs = [factories.document(agency, direction=Direction.INCOMING, number=i + 1, notation="BNV-VP")
            for i in range(workers * 3)]

    def register(i):
        return [services.register_incoming(clerk, d).incoming_number for d in docs[i * 3:(i + 1) * 3]]

    numbers = sorted(n for chunk in _concurrently(workers, register) for n in chunk)
    assert numbers == list(range(1, workers * 3 + 1))

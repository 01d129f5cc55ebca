"""What a unit head or specialist may see is the same set whichever way it is written: in a
read-only request (a GET's memo open) their reached documents go to the database as a list of
ids when there are few, elsewhere as a subquery read when the documents are."""

import pytest

from tests import factories as f
from vpdt.core import request_context
from vpdt.directory.roles import Role
from vpdt.records import permissions
from vpdt.records.choices import AccessReason, Direction, Secrecy
from vpdt.records.models import DocumentAccess
from vpdt.records.permissions import visible_documents
from vpdt.records.search import apply_quick_search

pytestmark = pytest.mark.django_db

GIVEN = AccessReason.choices[0][0]


@pytest.fixture
def office():
    agency, other = f.agency(), f.agency()
    unit, other_unit = f.unit(agency, "CĐS"), f.unit(agency, "KHTC")
    specialist = f.person(agency, Role.SPECIALIST, unit=unit)
    head = f.person(agency, Role.UNIT_HEAD, unit=unit)
    docs = {
        "given": f.document(agency, direction=Direction.INCOMING, subject="Kế hoạch chuyển đổi số"),
        "drafted": f.document(agency, created_by=specialist, subject="Kế hoạch ngân sách"),
        "unit_drafted": f.document(agency, drafting_unit=unit, subject="Báo cáo kế hoạch quý"),
        "unit_given": f.document(agency, direction=Direction.INCOMING, subject="Kế hoạch đất đai"),
        "secret_granted": f.document(agency, secrecy=Secrecy.SECRET, subject="Kế hoạch mật được xem"),
        "secret": f.document(agency, secrecy=Secrecy.SECRET, subject="Kế hoạch mật"),
        "others": f.document(agency, drafting_unit=other_unit, subject="Kế hoạch của phòng khác"),
        "elsewhere": f.document(other, subject="Kế hoạch cơ quan khác"),
    }
    DocumentAccess.objects.create(document=docs["given"], user=specialist, reason=GIVEN)
    DocumentAccess.objects.create(document=docs["unit_given"], unit=unit, reason=GIVEN)
    DocumentAccess.objects.create(document=docs["secret_granted"], user=specialist, reason=GIVEN, secret_grant=True)
    DocumentAccess.objects.create(document=docs["elsewhere"], user=specialist, reason=GIVEN)  # not their agency
    return specialist, head, docs


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def _in_a_get(fn):
    token = request_context.open_memo()
    try:
        return fn()
    finally:
        request_context.close_memo(token)


def test_the_same_documents_in_a_read_only_request_and_elsewhere(office):
    specialist, head, docs = office
    expected = {
        specialist: {docs[k].pk for k in ("given", "drafted", "secret_granted")},
        head: {docs[k].pk for k in ("unit_drafted", "unit_given")},  # the unit's, not a member's own draft
    }
    for person, want in expected.items():
        outside = visible_documents(person)
        assert "UNION" in str(outside.query)  # a subquery: read when the documents are
        assert _ids(outside) == want
        inside = _in_a_get(lambda p=person: (str(visible_documents(p).query), _ids(visible_documents(p))))
        assert "UNION" not in inside[0]  # the reached ids, looked up once
        assert inside[1] == want
        # A search narrows both the same way.
        for q in ("kế hoạch", "ngan sach", "dat dai"):
            assert _ids(apply_quick_search(visible_documents(person), q)) == _in_a_get(
                lambda p=person, q=q: _ids(apply_quick_search(visible_documents(p), q))), q


def test_many_reached_documents_stay_a_subquery(office, monkeypatch):
    specialist, _, docs = office
    monkeypatch.setattr(permissions, "_INLINE_REACHED_IDS", 2)  # the specialist reached 4 ids
    sql, found = _in_a_get(lambda: (str(visible_documents(specialist).query), _ids(visible_documents(specialist))))
    assert "UNION" in sql
    assert found == {docs[k].pk for k in ("given", "drafted", "secret_granted")}


def test_nothing_reached_sees_nothing(office):
    agency = office[0].agency
    newcomer = f.person(agency, Role.SPECIALIST)
    assert _in_a_get(lambda: _ids(visible_documents(newcomer))) == set()


def test_outside_a_read_only_request_a_new_access_row_is_seen_by_the_queryset_built_before(office):
    """A form's POST may give a document and read the list in one go: there the set is not
    taken when the queryset is built."""
    specialist, _, docs = office
    qs = visible_documents(specialist)
    DocumentAccess.objects.create(document=docs["others"], user=specialist, reason=GIVEN)
    assert docs["others"].pk in _ids(qs)

"""can_view answers a clerk's or leader's own non-secret document without asking the database,
and asks it for everything else (a secret one, a specialist, another agency's)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from vpdt.directory.roles import Role
from vpdt.records.choices import AccessReason, Secrecy
from vpdt.records.models import DocumentAccess
from vpdt.records.permissions import can_view

pytestmark = pytest.mark.django_db


def test_wide_view_of_a_non_secret_document_needs_no_statement():
    agency, other = f.agency(), f.agency()
    clerk, leader, specialist = f.person(agency, Role.CLERK), f.person(agency, Role.LEADER), f.person(
        agency, Role.SPECIALIST)
    plain = f.document(agency)
    secret = f.document(agency, secrecy=Secrecy.SECRET)
    theirs = f.document(other)
    for person in (clerk, leader):
        person.role_set()  # roles are read with the person, before the page asks
        with CaptureQueriesContext(connection) as ctx:
            assert can_view(person, plain)
        assert len(ctx.captured_queries) == 0
        assert not can_view(person, secret)  # a secret one: the grant is asked for
        assert not can_view(person, theirs)
    assert not can_view(specialist, plain)  # a specialist reaches only what they were given
    DocumentAccess.objects.create(document=secret, user=leader, secret_grant=True, reason=AccessReason.choices[0][0])
    assert can_view(leader, secret)

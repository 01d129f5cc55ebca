"""`id__any_of` answers what `id__in` answers, on the backend under test; on PostgreSQL the
list is one array parameter, whatever its length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from vpdt.directory.models import User
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db


def test_any_of_answers_as_in():
    agency = f.agency()
    people = [f.person(agency, Role.SPECIALIST) for _ in range(4)]
    ids = [p.pk for p in people]
    for chosen in ([], [ids[0]], ids[:2], [ids[1], ids[1], None], [*range(10**7, 10**7 + 3000), ids[3]],
                   [str(ids[2])]):
        for method in ("filter", "exclude"):
            want = sorted(getattr(User.objects, method)(id__in=chosen).values_list("id", flat=True))
            got = sorted(getattr(User.objects, method)(id__any_of=chosen).values_list("id", flat=True))
            assert got == want, (method, chosen[:5])


def test_on_postgresql_a_long_list_is_one_parameter():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere any_of is Django's IN list")
    with CaptureQueriesContext(connection) as ctx:
        list(User.objects.filter(id__any_of=list(range(1, 3001))).values_list("id"))
    sql = ctx.captured_queries[0]["sql"]
    assert '"id" = ANY(' in sql and " IN (" not in sql

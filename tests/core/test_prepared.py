"""A prepared read answers what its ORM queryset answers, with the ORM's conversions, on the
backend under test (SQLite here, PostgreSQL in CI), and refuses shapes it cannot take."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from vpdt.core.prepared import Read
from vpdt.directory.models import RoleAssignment, User
from vpdt.directory.roles import Role
from vpdt.workflow.models import Delegation

pytestmark = pytest.mark.django_db


def test_values_rows_and_instances_match_the_orm():
    agency = f.agency()
    one, two = f.person(agency, Role.CLERK, Role.LEADER), f.person(agency, Role.SPECIALIST)
    roles = Read(lambda user_id: RoleAssignment.objects.filter(user_id=user_id).values_list("agency_id", "role")
                 .order_by("role"), user_id=int)
    for user in (one, two):
        assert roles.rows(user_id=user.pk) == list(RoleAssignment.objects.filter(user_id=user.pk)
                                                   .values_list("agency_id", "role").order_by("role"))
    people = Read(lambda pk: User.objects.filter(pk=pk), pk=int)
    got = people.instance(pk=two.pk)
    want = User.objects.get(pk=two.pk)
    assert type(got) is User and got.pk == two.pk and not got._state.adding and got._state.db == want._state.db
    for field in User._meta.concrete_fields:  # every column converted as the ORM converts it
        assert getattr(got, field.attname) == getattr(want, field.attname), field.name
    assert people.instance(pk=10**6) is None


def test_dates_datetimes_and_counts():
    agency = f.agency()
    boss, deputy = f.person(agency, Role.LEADER), f.person(agency, Role.LEADER)
    today = timezone.localdate()
    Delegation.objects.create(agency=agency, principal=boss, deputy=deputy, starts_on=today - dt.timedelta(days=1),
                              ends_on=today + dt.timedelta(days=1), reason="đi công tác")
    principals = Read(lambda user_id, day: Delegation.objects.filter(
        deputy_id=user_id, starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True)
        .values_list("principal_id", flat=True), user_id=int, day=dt.date)
    assert principals.rows(user_id=deputy.pk, day=today) == [(boss.pk,)]
    assert principals.rows(user_id=deputy.pk, day=today + dt.timedelta(days=5)) == []
    assert principals.rows(user_id=boss.pk, day=today) == []

    counted = Read(lambda user_id: RoleAssignment.objects.filter(user_id=user_id).order_by()
                   .values("user_id").annotate(n=Count("id")).values_list("n"), user_id=int)
    assert counted.scalar(user_id=boss.pk) == 1

    sessions = Read(lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
                    key=str, now=dt.datetime)
    later = timezone.now() + dt.timedelta(hours=1)
    Session.objects.create(session_key="k" * 32, session_data="x", expire_date=later)
    found = sessions.instance(key="k" * 32, now=timezone.now())
    assert found.expire_date == Session.objects.get(pk="k" * 32).expire_date and found.expire_date.tzinfo
    assert sessions.instance(key="k" * 32, now=later + dt.timedelta(seconds=1)) is None


def test_the_sql_is_written_once():
    agency = f.agency()
    user = f.person(agency, Role.CLERK)
    roles = Read(lambda user_id: RoleAssignment.objects.filter(user_id=user_id).values_list("role"), user_id=int)
    roles.rows(user_id=user.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert roles.rows(user_id=user.pk) == [(Role.CLERK,)]
        assert roles.rows(user_id=user.pk + 1) == []
    assert len(ctx.captured_queries) == 2
    assert ctx.captured_queries[0]["sql"].replace(str(user.pk), "?") == ctx.captured_queries[1]["sql"].replace(
        str(user.pk + 1), "?")


def test_a_shape_it_cannot_take_runs_through_the_orm():
    agency = f.agency()
    user = f.person(agency, Role.CLERK)
    # The marker compared in Python, not passed to the database: refused, answered by the ORM.
    odd = Read(lambda user_id: RoleAssignment.objects.filter(user_id=user.pk if user_id else 0).values_list("role"),
               user_id=int)
    assert odd.rows(user_id=user.pk) == [(Role.CLERK,)]
    with pytest.raises(TypeError):
        odd.rows()
    with pytest.raises(TypeError):
        Read(lambda flag: RoleAssignment.objects.filter(user_id=1), flag=bool).rows(flag=True)


def test_a_session_of_djangos_own_backend_stays_signed_in(client):
    """Signed in before PasswordBackend replaced Django's ModelBackend: still signed in, as the
    same person, their agency loaded with them."""
    from django.contrib.auth import BACKEND_SESSION_KEY, get_user

    agency = f.agency()
    user = f.person(agency, Role.CLERK)
    client.force_login(user, backend="vpdt.directory.accounts.PasswordBackend")
    store = client.session
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store.save()
    response = client.get("/")
    assert response.status_code == 200 and response.wsgi_request.user == user
    request = response.wsgi_request
    loaded = get_user(request)
    assert loaded == user and User.agency.is_cached(loaded) and loaded.agency == agency
    User.objects.filter(pk=user.pk).update(is_active=False)  # deactivated: signed out at the next request
    assert client.get("/").status_code == 302


def test_the_frames_reads_are_prepared_not_refused(client):
    """Every read of a page's frame compiles on this backend (a refused one would still answer,
    through the ORM, and silently cost what it cost before)."""
    from vpdt.core import sessions
    from vpdt.directory import accounts
    from vpdt.directory import models as directory
    from vpdt.records import permissions
    from vpdt.web import context
    from vpdt.workflow import delegation, notifications

    agency = f.agency()
    user = f.person(agency, Role.SPECIALIST)
    client.force_login(user)
    assert client.get("/").status_code == 200
    reads = [sessions._LOAD, accounts._USER, accounts._AGENCY, directory._ROLES, delegation._PRINCIPALS,
             notifications._UNREAD, permissions._SECRET_IDS, context._resolves_procedures()]
    for read in reads:
        read._get({name: None for name in read._kinds})
        assert read._compiled and all(c is not None for c in read._compiled.values()), read._build
    assert accounts._USER._compiled[User.objects.db].model is User

"""A prepared read answers what its ORM queryset answers, with the ORM's conversions, on the
backend under test (SQLite here, PostgreSQL in CI), and refuses shapes it cannot take."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from vpdt.core import prepared
from vpdt.core.prepared import Read, ReferenceRead, Update
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


def test_select_related_and_annotations_come_back_as_the_orm_gives_them():
    agency = f.agency()
    unit = f.unit(agency)
    one, two = f.person(agency, Role.CLERK, unit=unit), f.person(agency, Role.SPECIALIST)

    def build(agency_id):
        return (User.objects.filter(agency_id=agency_id).select_related("agency", "unit")
                .annotate(n_roles=Count("role_assignments")).order_by("id"))

    people = Read(build, agency_id=int)
    for _ in range(2):  # compiled at the first call, prepared at the second
        got, want = people.instances(agency_id=agency.pk), list(build(agency.pk))
        assert [u.pk for u in got] == [u.pk for u in want] == [one.pk, two.pk]
        for g, w in zip(got, want, strict=True):
            assert User.agency.is_cached(g) and g.agency.name == w.agency.name
            assert g.n_roles == w.n_roles == 1
            assert User.unit.is_cached(g) and (g.unit and g.unit.pk) == (w.unit and w.unit.pk)
    assert people._compiled[(User.objects.db, ())].populators  # the related objects really were prepared
    assert people.instances(agency_id=10**6) == []


def test_a_list_parameter_is_written_once_per_length_bucket():
    agency = f.agency()
    users = [f.person(agency, Role.SPECIALIST) for _ in range(5)]
    ids = [u.pk for u in users]
    named = Read(lambda ids: User.objects.filter(pk__in=ids).values_list("id").order_by("id"), ids=[int])
    for chosen in ([ids[0]], ids[:2], ids[:3], ids, ids[::-1], [ids[1], ids[1], 10**6]):
        assert named.rows(ids=chosen) == sorted({(pk,) for pk in chosen if pk in ids}), chosen
    assert named.rows(ids=[]) == []  # the ORM's own answer for an empty IN
    assert all(c is not None for c in named._compiled.values())
    with CaptureQueriesContext(connection) as ctx:
        named.rows(ids=ids[:3])
        named.rows(ids=ids[:2])
    first, second = (q["sql"] for q in ctx.captured_queries)
    if connection.vendor == "postgresql":  # one array parameter: one SQL text for every length
        assert [k[1] for k in named._compiled] == [(1,), "array"]
        assert all(" = ANY(" in sql and " IN (" not in sql for sql in (first, second))
    else:
        assert sorted(k[1] for k in named._compiled) == [(1,), (2,), (4,), (8,)]
        assert first.count(str(ids[2])) == 2  # padded with its last value

    # strings, beside a scalar, excluded by negation: the padding does not change the answer
    names = Read(lambda agency_id, usernames: User.objects.filter(agency_id=agency_id).exclude(
        username__in=usernames).values_list("username").order_by("username"), agency_id=int, usernames=[str])
    kept = [u.username for u in users[:3]]
    assert names.rows(agency_id=agency.pk, usernames=kept) == [(u.username,) for u in sorted(
        users[3:], key=lambda u: u.username)]
    assert len(names.rows(agency_id=agency.pk, usernames=[])) == 5
    # a long list (a list page's 1,000 matches), and strings the array literal must quote
    many = [*range(10**6, 10**6 + 997), *ids]
    assert named.rows(ids=many) == [(pk,) for pk in ids]
    odd = ['a,b', 'c"d', "e'f", "g\\h", "{i}", " j ", users[4].username]
    assert names.rows(agency_id=agency.pk, usernames=odd) == [(u.username,) for u in sorted(
        users[:4], key=lambda u: u.username)]
    with pytest.raises(TypeError):
        Read(lambda days: User.objects.all(), days=[dt.date])


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


def test_the_pages_reads_are_prepared_not_refused(client):
    """Every read of vpdt's own that a document page and the work lists make compiles on this
    backend: none falls back to the ORM (small integer columns, lists, select_related)."""
    from vpdt.core import prepared
    from vpdt.records.models import Register

    agency = f.agency()
    clerk, leader = f.person(agency, Role.CLERK), f.person(agency, Role.LEADER)
    unit = f.unit(agency)
    head = f.person(agency, Role.UNIT_HEAD, unit=unit)
    Register.objects.create(agency=agency, name="Sổ văn bản đến", series="chung", year=timezone.localdate().year,
                            direction="in")
    doc = f.document(agency, direction="in")
    for person in (clerk, leader, head):
        client.force_login(person)
        for url in ("/", "/viec/waiting/", "/viec/following/", f"/van-ban/{doc.pk}/"):
            if url.startswith("/van-ban/") and person is head:
                continue  # not theirs to see
            assert client.get(url).status_code == 200, (person, url)
    used = [r for r in list(prepared.ALL) if r._build.__module__.startswith("vpdt.") and r._compiled]
    assert len(used) >= 20
    refused = [r._build for r in used if any(c is None for c in r._compiled.values())]
    assert not refused


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
    assert accounts._USER._compiled[(User.objects.db, ())].model is User


def test_the_session_device_is_read_as_django_otp_reads_it():
    """The device a session was verified with (every request of a leader): prepared, the same
    device as Device.from_persistent_id, None for what django-otp would not find."""
    from django_otp.models import Device
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vpdt.directory import mfa

    agency = f.agency()
    leader = f.person(agency, Role.LEADER)
    device = TOTPDevice.objects.create(user=leader, name="app", confirmed=True)
    for _ in range(2):
        found = mfa.session_device(device.persistent_id)
        assert found == Device.from_persistent_id(device.persistent_id) and found.user_id == leader.pk
    assert all(c is not None for c in mfa._DEVICE_READS[TOTPDevice]._compiled.values())
    for wrong in ("otp_totp.totpdevice/999999", "otp_totp.totpdevice/x", "auth.group/1", "nope", "no.model/1"):
        assert mfa.session_device(wrong) is None, wrong


def _updates_compiled(update: Update) -> bool:
    return bool(update._compiled) and all(c is not None for c in update._compiled.values())


def test_an_update_changes_what_the_orms_update_changes():
    agency = f.agency()
    one, two = f.person(agency, Role.CLERK), f.person(agency, Role.SPECIALIST)
    when = timezone.now().replace(microsecond=123000)
    stamp = Update(lambda pk, when: (User.objects.filter(pk=pk), {"last_login": when}), pk=int, when=dt.datetime)
    assert stamp.run(pk=one.pk, when=when) == 1
    assert stamp.run(pk=two.pk, when=when + dt.timedelta(days=1)) == 1
    assert stamp.run(pk=two.pk + 1000, when=when) == 0
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.last_login == when and two.last_login == when + dt.timedelta(days=1)
    # A condition on the row as it is, a fixed value and an F() expression among the changes.
    only_before = Update(lambda pk, when, name: (User.objects.filter(pk=pk, last_login__lt=when),
                                                 {"first_name": name, "last_name": F("first_name"), "email": ""}),
                         pk=int, when=dt.datetime, name=str)
    assert only_before.run(pk=one.pk, when=when, name="Lan") == 0  # not before: unchanged
    assert only_before.run(pk=one.pk, when=when + dt.timedelta(seconds=1), name="Lan") == 1
    one.refresh_from_db()
    assert (one.first_name, one.email) == ("Lan", "") and one.last_name != "Lan"  # F() read the old value
    assert _updates_compiled(stamp) and _updates_compiled(only_before)


def test_an_update_takes_lists_and_filters_across_a_join():
    agency, other = f.agency(), f.agency()
    people = [f.person(agency, Role.CLERK) for _ in range(3)]
    outsider = f.person(other, Role.CLERK)
    rename = Update(lambda ids, name: (User.objects.filter(pk__in=ids), {"first_name": name}), ids=[int], name=str)
    assert rename.run(ids=[people[0].pk], name="A") == 1
    assert rename.run(ids=[p.pk for p in people], name="B") == 3
    assert rename.run(ids=[], name="C") == 0  # the ORM knows what an empty list means
    by_agency = Update(lambda agency_id, name: (User.objects.filter(role_assignments__agency_id=agency_id),
                                                {"last_name": name}), agency_id=int, name=str)
    assert by_agency.run(agency_id=agency.pk, name="Trong") == 3
    assert sorted(User.objects.filter(last_name="Trong").values_list("pk", flat=True)) == sorted(p.pk for p in people)
    outsider.refresh_from_db()
    assert outsider.last_name != "Trong"
    assert _updates_compiled(rename) and _updates_compiled(by_agency)


def test_an_update_is_written_once():
    agency = f.agency()
    one, two = f.person(agency, Role.CLERK), f.person(agency, Role.CLERK)
    rename = Update(lambda pk, name: (User.objects.filter(pk=pk), {"first_name": name}), pk=int, name=str)
    rename.run(pk=one.pk, name="X")
    with CaptureQueriesContext(connection) as ctx:
        rename.run(pk=one.pk, name="Một")
        rename.run(pk=two.pk, name="Hai")
    assert len(ctx.captured_queries) == 2
    first, second = (q["sql"] for q in ctx.captured_queries)
    assert first.replace(str(one.pk), "?").replace("Một", "?") == second.replace(str(two.pk), "?").replace("Hai", "?")
    with pytest.raises(TypeError):
        rename.rows(pk=one.pk, name="X")


def test_a_read_after_a_write_answers_what_the_write_then_the_read_answer():
    """`instances_after`: the write, then the read; in one statement on PostgreSQL (a WITH),
    two elsewhere. The write runs even when the read finds nothing."""
    agency = f.agency()
    one, two = f.person(agency, Role.CLERK), f.person(agency, Role.SPECIALIST)
    rename = Update(lambda pk, name: (User.objects.filter(pk=pk), {"first_name": name}), pk=int, name=str)
    people = Read(lambda pk: User.objects.filter(pk=pk).select_related("agency"), pk=int)
    people.instance(pk=one.pk)
    rename.run(pk=one.pk, name="?")
    with CaptureQueriesContext(connection) as ctx:
        got = people.instances_after(rename.statement(pk=one.pk, name="Lan"), pk=two.pk)
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert [u.pk for u in got] == [two.pk] and got[0].agency == agency  # select_related as the read gives it
    one.refresh_from_db()
    assert one.first_name == "Lan"
    assert people.instances_after(rename.statement(pk=two.pk, name="Hai"), pk=10**6) == []
    two.refresh_from_db()
    assert two.first_name == "Hai"
    assert people.instances_after(None, pk=one.pk)[0].first_name == "Lan"  # no write: the read alone


def test_a_read_after_a_write_names_the_rows_the_write_returns_on_postgresql():
    """On PostgreSQL the read may name what the write returns (`after_write`); it sees the rows
    as they were before the write. (How the exchange claims the next due message and reads it.)"""
    from django.db.models.expressions import RawSQL

    if connection.vendor != "postgresql":
        pytest.skip("a data-modifying WITH is PostgreSQL's (SQLite runs the write, then the read)")
    agency = f.agency()
    one = f.person(agency, Role.CLERK)
    one.first_name = "Cũ"
    one.save(update_fields=["first_name"])
    claimed = Read(lambda: User.objects.filter(pk=RawSQL(f"SELECT id FROM {prepared.AFTER_WRITE}", [])))
    table = connection.ops.quote_name(User._meta.db_table)
    sql = f"UPDATE {table} SET first_name = %s WHERE id = %s RETURNING id"
    with CaptureQueriesContext(connection) as ctx:
        got = claimed.instances_after((sql, ["Mới", one.pk]))
    assert len(ctx.captured_queries) == 1
    assert [u.pk for u in got] == [one.pk] and got[0].first_name == "Cũ"  # as it was before the write
    one.refresh_from_db()
    assert one.first_name == "Mới"
    assert claimed.instances_after((sql, ["Khác", 10**6])) == []
    assert claimed._compiled and all(c is not None for c in claimed._compiled.values())


# --- Insert: one row as Model.objects.create saves it, its INSERT written once
def _columns(obj, skip=("id",)) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if f.attname not in skip}


def test_an_insert_saves_what_the_orms_create_saves_with_its_signals():
    from django.db.models.signals import post_save, pre_save

    from vpdt.core.prepared import Insert
    from vpdt.directory.models import AdminRequest
    from vpdt.workflow.models import Notification

    agency = f.agency()
    clerk, boss = f.person(agency, Role.CLERK), f.person(agency, Role.LEADER)
    seen = []

    def before(sender, instance, raw, using, update_fields, **kw):
        seen.append(("pre", sender, instance.pk, raw, update_fields))

    def after(sender, instance, created, raw, update_fields, **kw):
        seen.append(("post", sender, instance.pk, created, raw, update_fields))

    pre_save.connect(before)
    post_save.connect(after)
    try:
        notices = Insert(Notification)
        notices.create(user=clerk, kind="warmup", message="một")  # written at the first call
        seen.clear()
        with CaptureQueriesContext(connection) as one:
            got = notices.create(user=clerk, kind="arrived", message="Văn bản mới đến – Hỏa tốc", key="k1")
        want = Notification.objects.create(user=clerk, kind="arrived", message="Văn bản mới đến – Hỏa tốc", key="k2")
        requests = Insert(AdminRequest)
        payload = {"add": ["leader"], "ghi chú": "Phó Giám đốc"}
        asked = requests.create(kind=AdminRequest.Kind.ROLE_CHANGE, target=clerk, agency=agency, requested_by=boss,
                                reason="bổ nhiệm", payload=payload)
    finally:
        pre_save.disconnect(before)
        post_save.disconnect(after)
    assert len(one.captured_queries) == 1 and one.captured_queries[0]["sql"].upper().startswith("INSERT")
    assert got.pk and got.pk != want.pk and not got._state.adding and got._state.db == want._state.db
    stored, orm = Notification.objects.get(pk=got.pk), Notification.objects.get(pk=want.pk)
    skip = ("id", "created_at", "key")
    assert _columns(stored, skip) == _columns(orm, skip) == _columns(got, skip) and stored.key == "k1"
    assert stored.created_at == got.created_at and abs(stored.created_at - orm.created_at) < dt.timedelta(seconds=5)
    assert seen[:2] == [("pre", Notification, None, False, None), ("post", Notification, got.pk, True, False, None)]
    assert seen[2:4] == [("pre", Notification, None, False, None), ("post", Notification, want.pk, True, False, None)]
    again = AdminRequest.objects.get(pk=asked.pk)
    assert again.payload == payload and again.state == AdminRequest.State.PENDING and again.target_id == clerk.pk


def test_an_insert_takes_expressions_and_given_keys_through_the_orm_and_refuses_its_own_save():
    from django.db.models.functions import Now

    from vpdt.core.models import AuditEntry
    from vpdt.core.prepared import Insert
    from vpdt.workflow.models import Notification

    clerk = f.person(f.agency(), Role.CLERK)
    notices = Insert(Notification)
    read = notices.create(user=clerk, kind="x", message="m", read_at=Now())
    assert Notification.objects.get(pk=read.pk).read_at is not None
    given = notices.create(id=987_654, user=clerk, kind="x", message="m")
    assert given.pk == 987_654 and Notification.objects.filter(pk=987_654).exists()
    entries = Insert(AuditEntry)
    assert entries._write(connection.alias) is None  # its own save(): the ORM's, with its rule, each time


def test_the_exchanges_inserts_are_written_once_not_refused():
    """Each Insert on the exchange's and the files' paths compiles on this backend (a refused one
    would still work, through the ORM, but slower: nothing else would tell)."""
    import vpdt.exchange.inbox
    import vpdt.exchange.outbox
    import vpdt.exchange.statuses
    import vpdt.records.services
    import vpdt.search.services  # noqa: F401
    from vpdt.core.prepared import ALL_INSERTS

    models = set()
    for insert in list(ALL_INSERTS):
        if insert.model._meta.app_label == "hub":
            continue
        assert insert._write(connection.alias) is not None, insert.model
        models.add(insert.model._meta.label)
    assert {"exchange.InboxItem", "exchange.OutboxMessage", "exchange.StatusEvent", "records.Attachment",
            "search.FileText"} <= models


# --- SaveFields: some fields of a row saved as save(update_fields=...) saves them, written once
def test_saving_fields_writes_what_the_orms_save_writes_with_its_signals():
    from django.db import DatabaseError, transaction
    from django.db.models.signals import post_save, pre_save

    from vpdt.core.prepared import SaveFields
    from vpdt.records.models import Recipient

    agency = f.agency()
    doc = f.document(agency)
    ours, theirs = (Recipient.objects.create(document=doc, kind="agency", name=name, state="pending")
                    for name in ("Sở Tài chính", "Sở Nội vụ"))
    at = timezone.now().replace(microsecond=123_456)
    seen = []

    def before(sender, instance, raw, using, update_fields, **kw):
        seen.append(("pre", sender, instance.pk, raw, update_fields))

    def after(sender, instance, created, raw, update_fields, **kw):
        seen.append(("post", sender, instance.pk, created, raw, update_fields))

    saving = SaveFields(Recipient, "state", "status_at", "status_code")
    saving.save(Recipient.objects.get(pk=ours.pk))  # written at the first call
    pre_save.connect(before)
    post_save.connect(after)
    try:
        for recipient in (ours, theirs):
            recipient.state, recipient.status_at, recipient.status_code = "delivered", at, "01"
            recipient.name = "not saved"  # not among the fields: stays as stored
        with CaptureQueriesContext(connection) as one:
            saving.save(ours)
        theirs.save(update_fields=["state", "status_at", "status_code"])
    finally:
        pre_save.disconnect(before)
        post_save.disconnect(after)
    assert len(one.captured_queries) == 1 and one.captured_queries[0]["sql"].upper().startswith("UPDATE")
    stored, orm = Recipient.objects.get(pk=ours.pk), Recipient.objects.get(pk=theirs.pk)
    assert (stored.state, stored.status_at, stored.status_code, stored.name) == ("delivered", at, "01", "Sở Tài chính")
    assert (orm.state, orm.status_at, orm.status_code, orm.name) == ("delivered", at, "01", "Sở Nội vụ")
    fields = frozenset({"state", "status_at", "status_code"})
    assert seen == [("pre", Recipient, ours.pk, False, fields), ("post", Recipient, ours.pk, False, False, fields),
                    ("pre", Recipient, theirs.pk, False, fields), ("post", Recipient, theirs.pk, False, False, fields)]
    gone = Recipient(pk=10**9, document=doc, kind="agency", name="x")
    with pytest.raises(DatabaseError), transaction.atomic():  # as the ORM: no row, no silent success
        saving.save(gone)


def test_saving_fields_takes_expressions_through_the_orm_and_refuses_its_own_save():
    from django.db.models.functions import Now

    from vpdt.core.prepared import SaveFields
    from vpdt.records.models import Document, Recipient

    doc = f.document(f.agency())
    recipient = Recipient.objects.create(document=doc, kind="agency", name="Sở Tài chính")
    recipient.status_at = Now()
    SaveFields(Recipient, "status_at").save(recipient)
    assert Recipient.objects.get(pk=recipient.pk).status_at is not None
    from vpdt.core.models import AuditEntry

    assert SaveFields(AuditEntry, "detail")._write(connection.alias) is None  # its own save(): the ORM's
    assert SaveFields(Document, "subject")._write(connection.alias) is not None  # its save() only folds
    with pytest.raises(ValueError):
        SaveFields(Recipient, "no_such_field")._write(connection.alias)


def test_the_exchanges_field_saves_are_written_once_not_refused():
    import vpdt.records.delivery  # noqa: F401
    from vpdt.core.prepared import ALL_SAVES

    labels = set()
    for saving in list(ALL_SAVES):
        if saving.model._meta.app_label == "records":
            assert saving._write(connection.alias) is not None, (saving.model, saving.names)
            labels.add(saving.model._meta.label)
    assert "records.Recipient" in labels


# --- Read.refresh: what refresh_from_db() leaves, from a prepared read
def test_a_refresh_leaves_what_refresh_from_db_leaves():
    from vpdt.records.models import Document, DocumentLink

    agency, other = f.agency(), f.agency()
    doc = f.document(agency, notation="UBND-VP")
    target = f.document(other)
    DocumentLink.objects.create(document=doc, target=target, code="1/X")
    read = Read(lambda pk: Document.objects.filter(pk=pk), pk=int)
    by_orm, by_read = Document.objects.get(pk=doc.pk), Document.objects.get(pk=doc.pk)
    for copy in (by_orm, by_read):  # cached: a forward relation, a reverse one, prefetched rows
        assert copy.agency.pk == agency.pk and copy.document_type.code == "CV"
        with pytest.raises(ObjectDoesNotExist):
            copy.legacy_record  # noqa: B018 - a reverse one-to-one, cached as missing
        copy._prefetched_objects_cache = {"response_for": list(copy.response_for.all())}
    new_type = f.doc_type("QD")
    Document.objects.filter(pk=doc.pk).update(subject="Đổi trích yếu", state="released", document_type=new_type,
                                              agency=other)
    by_orm.refresh_from_db()
    read.refresh(by_read, pk=doc.pk)
    for field in Document._meta.concrete_fields:
        assert getattr(by_read, field.attname) == getattr(by_orm, field.attname), field.name
    assert by_read.subject == "Đổi trích yếu" and by_read.document_type_id == new_type.pk
    for name in ("agency", "document_type"):  # the old related objects are dropped, read again on access
        assert Document._meta.get_field(name).is_cached(by_read) is Document._meta.get_field(name).is_cached(by_orm)
    assert by_read.agency.pk == other.pk and by_read.document_type.code == "QD"
    assert by_read._prefetched_objects_cache == by_orm._prefetched_objects_cache == {}
    legacy = Document._meta.get_field("legacy_record")
    assert not legacy.is_cached(by_read) and not legacy.is_cached(by_orm)
    assert by_read._state.db == by_orm._state.db and not by_read._state.adding

    related = Read(lambda pk: Document.objects.filter(pk=pk).select_related("agency"), pk=int)
    related.refresh(by_read, pk=doc.pk)  # a select_related object comes with the row, as the ORM's would
    assert Document._meta.get_field("agency").is_cached(by_read) and by_read.agency.pk == other.pk

    Document.objects.filter(pk=doc.pk).delete()
    with pytest.raises(Document.DoesNotExist):
        read.refresh(by_read, pk=doc.pk)
    with pytest.raises(TypeError):
        Read(lambda pk: Document.objects.filter(pk=pk).only("subject"), pk=int).refresh(
            Document.objects.get(pk=target.pk), pk=target.pk)


def test_the_releases_reads_are_prepared_not_refused():
    """A release reads the document's type (where it was not read with the document), its links,
    its travelling files, then its recipients again with the document: each written once on this
    backend, none falling back to the ORM."""
    from vpdt.exchange import mapping, outbox
    from vpdt.workflow.services import outgoing

    reads = [mapping._TYPE_BY_ID, mapping._LINKS, outbox._TRAVELLING, outgoing._RELEASED, outgoing._RECIPIENTS]
    for read in reads:
        read._get({name: ([] if isinstance(kind, list) else None) for name, kind in read._kinds.items()}
                  | {name: ["x"] for name in read._lists})
        assert read._compiled and all(c is not None for c in read._compiled.values()), read._build


# --- a model whose save() only sets some of its fields first (prepared_save_derives): Document
def test_a_documents_insert_and_field_saves_write_what_its_own_save_writes():
    from django.db.models import signals

    from vpdt.core.prepared import Insert, SaveFields
    from vpdt.records.models import Document

    agency = f.agency()
    kind = f.doc_type()
    seen = []

    def pre(sender, instance, update_fields, **kw):
        seen.append(("pre", instance.subject_folded, None if update_fields is None else set(update_fields)))

    def post(sender, instance, created, update_fields, **kw):
        seen.append(("post", created, None if update_fields is None else set(update_fields)))

    fields = {"agency": agency, "direction": "in", "state": "received", "document_type": kind,
              "subject": "Về việc Đường Hồ Chí Minh", "notation": "UBND-VP", "issuer_name": "Ủy ban nhân dân",
              "signer_name": "Nguyễn Văn Ấn"}
    signals.pre_save.connect(pre, sender=Document)
    signals.post_save.connect(post, sender=Document)
    try:
        by_orm = Document.objects.create(**fields)
        orm_signals, seen[:] = list(seen), []
        insert = Insert(Document)
        assert insert._write(connection.alias) is not None
        by_insert = insert.create(**fields)
        assert seen == orm_signals
        skip = {"id", "created_at", "updated_at"}
        got, want = Document.objects.get(pk=by_insert.pk), Document.objects.get(pk=by_orm.pk)
        for field in Document._meta.concrete_fields:
            if field.attname not in skip:
                assert getattr(got, field.attname) == getattr(want, field.attname), field.name
        assert got.subject_folded == "ve viec duong ho chi minh" and got.people_folded and got.notation_folded

        for copy in (by_orm, by_insert):  # a field save writes the named fields and what folds them
            copy.subject, copy.state = "Báo cáo Quý IV", "registered"
        seen[:] = []
        by_orm.save(update_fields=["subject", "updated_at"])
        orm_signals, seen[:] = list(seen), []
        saving = SaveFields(Document, "subject", "updated_at")
        assert saving._write(connection.alias) is not None
        saving.save(by_insert)
        assert seen == orm_signals and seen[0][2] == {"subject", "subject_folded", "updated_at"}
    finally:
        signals.pre_save.disconnect(pre, sender=Document)
        signals.post_save.disconnect(post, sender=Document)
    got, want = Document.objects.get(pk=by_insert.pk), Document.objects.get(pk=by_orm.pk)
    assert got.subject == want.subject == "Báo cáo Quý IV" and got.subject_folded == want.subject_folded
    assert got.state == want.state == "received"  # not named: not written
    assert got.updated_at > got.created_at


def test_the_documents_field_saves_and_insert_are_written_once_not_refused():
    from vpdt.records import services

    for saving in (services._SAVE_STATE, services._SAVE_STATE_COMPLETED, services._SAVE_IDENTITY,
                   services._SAVE_IDENTITY_ISSUER):
        assert saving._write(connection.alias) is not None, saving.names
    assert services._NEW_DOCUMENT._write(connection.alias) is not None


def test_a_reference_read_runs_once_per_parameters_within_a_run_and_each_call_gets_its_own_objects(monkeypatch):
    """Inside `reference_rows()` (a run of the inbox's poll) a reference read's statement runs once
    per parameters; the objects are new at every call, so one package's change to its object
    never reaches the next. Outside, and in another run, every call reads again."""
    agency = f.agency()
    f.person(agency, Role.CLERK)
    named = ReferenceRead(lambda pk: User.objects.filter(role_assignments__agency=pk).order_by("pk"), pk=int)
    other = f.agency()
    with prepared.reference_rows(), CaptureQueriesContext(connection) as queries:
        first = named.instances(pk=agency.pk)
        first[0].full_name = "đã sửa trong gói trước"
        again = named.instances(pk=agency.pk)
        assert named.instances(pk=other.pk) == []
        with prepared.reference_rows():  # nested: the outer run's rows
            named.instances(pk=agency.pk)
    assert len(queries.captured_queries) == 2  # one per parameters
    assert [u.pk for u in again] == [u.pk for u in first] and again[0] is not first[0]
    assert again[0].full_name != "đã sửa trong gói trước"
    with CaptureQueriesContext(connection) as queries:
        named.instances(pk=agency.pk)
        named.instances(pk=agency.pk)
    assert len(queries.captured_queries) == 2  # outside a run: a Read


def test_an_administrators_change_reaches_a_running_reference_read_within_its_seconds(monkeypatch):
    agency = f.agency()
    clerk = f.person(agency, Role.CLERK)
    holders = ReferenceRead(lambda pk, role: User.objects.filter(
        is_active=True, role_assignments__agency=pk, role_assignments__role=role).order_by("pk"), pk=int, role=str)
    now = [1000.0]
    monkeypatch.setattr(prepared.time, "monotonic", lambda: now[0])
    with prepared.reference_rows():
        assert [u.pk for u in holders.instances(pk=agency.pk, role=Role.CLERK)] == [clerk.pk]
        User.objects.filter(pk=clerk.pk).update(is_active=False)  # the administrator locks the account
        now[0] += prepared.REFERENCE_SECONDS - 1
        assert [u.pk for u in holders.instances(pk=agency.pk, role=Role.CLERK)] == [clerk.pk]
        now[0] += 2
        assert holders.instances(pk=agency.pk, role=Role.CLERK) == []


def test_known_related_rows_answer_without_a_query_and_a_filter_still_asks():
    """`known(doc, attachments=[...])` leaves what a `prefetch_related` read would: `.all()` answers
    from them, `known_rows` gives them; a `.filter()` still reads the database; an object whose
    rows are not known has `known_rows` None."""
    import io

    from vpdt.core import blobs
    from vpdt.records.models import Attachment, Document, DocumentLink

    document = f.document(f.agency())
    other = Document.objects.get(pk=document.pk)
    assert prepared.known_rows(other, "attachments") is None
    blob = blobs.store_stream(io.BytesIO(b"%PDF-1.4 known"))
    made = [Attachment.objects.create(document=document, blob=blob, name=f"t{i}.pdf") for i in range(2)]
    prepared.known(other, attachments=made, response_for=[])
    with CaptureQueriesContext(connection) as seen:
        assert list(other.attachments.all()) == made
        assert list(other.response_for.all()) == []
        assert prepared.known_rows(other, "attachments") == made
        assert prepared.known_rows(other, "response_for") == []
    assert not seen.captured_queries
    DocumentLink.objects.create(document=document, edxml_document_id="x")
    assert other.response_for.filter(edxml_document_id="x").count() == 1  # asks the database


def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the reused driver cursor is PostgreSQL's (SQLite keeps Django's cursor and its placeholders)")


def test_the_hot_path_cursor_is_made_once_per_connection_and_a_nested_one_is_its_own():
    _postgresql_only()
    with prepared.cursor() as one:
        one.execute("SELECT 1")
        first = one
        with prepared.cursor() as nested:  # asked for while the first is in use: another cursor
            nested.execute("SELECT 2")
            assert nested.fetchall() == [(2,)]
        assert one.fetchall() == [(1,)]  # the outer statement's rows were not taken by the inner one
    with prepared.cursor() as again:
        again.execute("SELECT 3")
        assert again is first and again.fetchone() == (3,) and again.connection is connection.connection


@pytest.mark.django_db(transaction=True)
def test_the_hot_path_cursor_follows_a_new_connection():
    _postgresql_only()
    with prepared.cursor() as first:
        first.execute("SELECT 1")
    connection.close()
    with prepared.cursor() as after:
        after.execute("SELECT 4")
        assert after is not first and after.fetchone() == (4,) and after.connection is connection.connection


def test_the_hot_path_cursor_keeps_what_djangos_does_around_a_statement():
    """Hooks see each statement, the query log is kept, errors are Django's, and a transaction
    marked for rollback refuses the next statement, as with Django's own cursor."""
    from django.db import IntegrityError, transaction
    from django.db.transaction import TransactionManagementError

    _postgresql_only()
    seen = []

    def hook(execute, sql, params, many, context):
        seen.append((sql, params, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook), prepared.cursor() as c:
        c.execute("SELECT %s::int", [7])
        assert c.fetchone() == (7,)
    assert seen == [("SELECT %s::int", [7], False)]
    with CaptureQueriesContext(connection) as ctx, prepared.cursor() as c:
        c.execute("SELECT 8")
    assert [q["sql"] for q in ctx.captured_queries] == ["SELECT 8"]

    user = f.person(f.agency(), Role.CLERK)
    table = connection.ops.quote_name(User._meta.db_table)
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(), prepared.cursor() as c:
            c.execute(f"UPDATE {table} SET username = NULL WHERE id = %s", [user.pk])
        with transaction.atomic():  # a savepoint rolled back: the transaction goes on
            assert Read(lambda pk: User.objects.filter(pk=pk).values_list("username"), pk=int).scalar(
                pk=user.pk) == user.username
    with transaction.atomic():
        with pytest.raises(IntegrityError), prepared.cursor() as c:
            c.execute(f"UPDATE {table} SET username = NULL WHERE id = %s", [user.pk])
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError), prepared.cursor() as c:
            c.execute("SELECT 1")

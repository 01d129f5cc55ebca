"""Every account, role, permission, unit and signing key change is in the audit log, with
who did it and before/after, whichever way it was made (Django admin, code, the shell)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission

from tests import factories
from vpdt.core import audit, request_context
from vpdt.core.models import AuditEntry
from vpdt.directory.models import RoleAssignment
from vpdt.directory.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def entries(action: str, obj=None) -> list[AuditEntry]:
    qs = AuditEntry.objects.filter(action=action)
    if obj is not None:
        qs = qs.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(qs.order_by("seq"))


def as_actor(user):
    return request_context.set_current(request_context.Actor(user_id=user.pk if user else None, ip="10.0.0.9",
                                                             via="web"))


def test_password_reset_through_admin_is_audited_without_the_hash(client):
    # A specialist: a leader's password is not the agency admin's to set alone (four eyes,
    # tests/web/test_admin_pages.py), so the admin form refuses it.
    skhcn = factories.agency("000.00.13.H90", abbreviation="SKHCN")
    quantri = factories.person(skhcn, Role.AGENCY_ADMIN, username="skhcn.quantri")
    quantri.is_staff = True
    quantri.save()
    director = factories.person(skhcn, Role.SPECIALIST, username="skhcn.giamdoc")
    old_hash = director.password
    client.force_login(quantri)
    response = client.post(f"/admin/directory/user/{director.pk}/password/",
                           {"password1": "Mới@2026-giám-đốc", "password2": "Mới@2026-giám-đốc",
                            "usable_password": "true"}, REMOTE_ADDR="10.1.1.7")
    assert response.status_code == 302, response.content.decode()[:2000]
    director.refresh_from_db()
    assert director.password != old_hash
    [entry] = entries("user.password_reset", director)
    assert entry.actor == quantri and entry.actor_name and entry.via == "web" and entry.ip == "10.1.1.7"
    assert entry.agency_code == skhcn.code
    assert entry.detail["username"] == "skhcn.giamdoc" and entry.detail["password"] == "changed"
    text = json.dumps(entry.detail)
    assert old_hash not in text and director.password not in text and "md5$" not in text
    assert audit.verify(anchors=False).ok


def test_user_flags_changed_in_code_are_audited_with_before_and_after_and_own_password_change():
    agency = factories.agency()
    admin = factories.person(agency, Role.PLATFORM_ADMIN, username="root")
    person = factories.person(agency, Role.SPECIALIST, username="cv.a")
    [created] = entries("user.create", person)
    assert created.detail["after"]["username"] == "cv.a" and "password" not in created.detail["after"]
    token = as_actor(admin)
    try:
        person.is_superuser, person.is_active = True, False
        person.save()
    finally:
        request_context.reset(token)
    [update] = entries("user.update", person)
    assert update.actor == admin
    assert update.detail["before"] == {"is_active": True, "is_superuser": False}
    assert update.detail["after"] == {"is_active": False, "is_superuser": True}
    # One's own password: a change, not a reset; no actor at all (the shell): the system.
    token = as_actor(person)
    try:
        person.set_password("Đổi@2026")
        person.save()
    finally:
        request_context.reset(token)
    assert entries("user.password_change", person)[0].actor == person
    person.set_password("Lần@hai")
    person.save()
    reset = entries("user.password_reset", person)[0]
    assert reset.actor is None and reset.via == "system"
    # A login's last_login save is not an account change.
    before = AuditEntry.objects.count()
    person.save(update_fields=["last_login"])
    assert AuditEntry.objects.count() == before


def test_role_changes_are_audited_on_the_person():
    agency = factories.agency()
    admin = factories.person(agency, Role.AGENCY_ADMIN, username="qt")
    person = factories.person(agency, Role.SPECIALIST, username="cv.b")
    token = as_actor(admin)
    try:
        RoleAssignment.objects.create(user=person, agency=agency, role=Role.LEADER)
        RoleAssignment.objects.get(user=person, role=Role.SPECIALIST).delete()
    finally:
        request_context.reset(token)
    factory_made, added = entries("user.role.create", person)
    assert factory_made.detail["role"] == Role.SPECIALIST and factory_made.actor is None
    assert added.actor == admin and added.detail["role"] == Role.LEADER and added.detail["agency"] == agency.code
    [removed] = entries("user.role.delete", person)
    assert removed.actor == admin and removed.detail["role"] == Role.SPECIALIST
    assert removed.detail["username"] == "cv.b"


def test_group_permission_and_membership_changes_are_audited():
    agency = factories.agency()
    admin = factories.person(agency, Role.PLATFORM_ADMIN, username="root")
    person = factories.person(agency, Role.SPECIALIST, username="cv.c")
    perm = Permission.objects.get(codename="change_user", content_type__app_label="directory")
    token = as_actor(admin)
    try:
        group = Group.objects.create(name="Quản trị tài khoản")
        group.permissions.add(perm)
        person.groups.add(group)
        person.user_permissions.add(perm)
        group.permissions.remove(perm)
        person.groups.clear()
    finally:
        request_context.reset(token)
    assert entries("group.create", group)[0].detail["after"] == {"name": "Quản trị tài khoản"}
    assert entries("group.permissions.add", group)[0].detail["items"] == ["directory.change_user"]
    assert entries("group.permissions.remove", group)[0].detail["items"] == ["directory.change_user"]
    assert entries("user.groups.add", person)[0].detail["items"] == ["Quản trị tài khoản"]
    assert entries("user.groups.remove", person)[0].detail["items"] == ["Quản trị tài khoản"]
    assert entries("user.permissions.add", person)[0].actor == admin


def test_unit_moves_and_a_persons_unit_and_position_are_audited():
    agency = factories.agency()
    office = factories.unit(agency, "VP")
    other = factories.unit(agency, "KT")
    person = factories.person(agency, Role.SPECIALIST, unit=office, username="cv.d")
    other.parent = office
    other.save()
    assert entries("unit.update", other)[0].detail["after"] == {"parent_id": office.pk}
    person.unit, person.position = other, "Phó trưởng phòng"
    person.save()
    update = entries("user.update", person)[0]
    assert update.detail["before"] == {"position": "", "unit_id": office.pk}
    assert update.detail["after"] == {"position": "Phó trưởng phòng", "unit_id": other.pk}


def test_signing_key_added_and_removed_is_audited_without_key_material():
    from vpdt.signing.models import SigningKey, SigningPolicy

    agency = factories.agency()
    person = factories.person(agency, Role.LEADER, username="gd")
    key = SigningKey.objects.create(user=person, kind=SigningKey.Kind.PKCS11, label="Token GĐ",
                                    pkcs11_lib="/usr/lib/x.so", password_encrypted=b"sealed-secret")
    [added] = entries("signing_key.create", key)
    assert added.detail["after"]["label"] == "Token GĐ" and "password_encrypted" not in added.detail["after"]
    key.password_encrypted = b"other-sealed"
    key.save()
    assert entries("signing_key.update", key)[0].detail == {"changed": ["password_encrypted"]}
    key_pk = key.pk
    key.delete()
    assert AuditEntry.objects.filter(action="signing_key.delete", object_id=str(key_pk)).exists()
    policy = SigningPolicy.objects.create(agency=agency, require_signatures=False)
    policy.require_signatures = True
    policy.save()
    assert entries("signing_policy.update", policy)[0].detail["after"] == {"require_signatures": True}
    assert "sealed" not in json.dumps(list(AuditEntry.objects.values_list("detail", flat=True)))

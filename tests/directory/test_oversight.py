"""Administrators within bounds: an agency admin cannot take over a leader's, a signer's or
another admin's account alone; the platform admin approves (four eyes); dormant accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from vpdt.core.models import AuditEntry
from vpdt.directory import oversight
from vpdt.directory.models import AdminRequest, ApiToken, User
from vpdt.directory.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def province():
    skhcn = factories.agency("000.00.13.H90", abbreviation="SKHCN")
    stc = factories.agency("000.00.03.H90", abbreviation="STC")
    quantri = factories.person(skhcn, Role.AGENCY_ADMIN, username="skhcn.quantri")
    User.objects.filter(pk=quantri.pk).update(is_staff=True)
    quantri.refresh_from_db()
    lanhdao = factories.person(skhcn, Role.LEADER, username="skhcn.lanhdao")
    lanhdao.email = "lanhdao@skhcn.example"
    lanhdao.save()
    chuyenvien = factories.person(skhcn, Role.SPECIALIST, username="skhcn.chuyenvien")
    root = factories.person(factories.agency("000.00.00.H90"), Role.PLATFORM_ADMIN, username="admin")
    return {"skhcn": skhcn, "stc": stc, "quantri": quantri, "lanhdao": lanhdao, "chuyenvien": chuyenvien,
            "root": root}


def test_leaders_admins_and_signers_are_protected_specialists_are_not(province):
    assert oversight.protected_reasons(province["lanhdao"])
    assert oversight.protected_reasons(province["quantri"])
    assert oversight.protected_reasons(province["chuyenvien"]) == []


def test_a_person_named_signer_of_a_chain_is_protected(province):
    from vpdt.workflow.models import ApprovalChain, ApprovalStep

    chain = ApprovalChain.objects.create(agency=province["skhcn"], name="Quy trình")
    ApprovalStep.objects.create(chain=chain, order=1, label="Ký", kind="user", user=province["chuyenvien"],
                                is_signer=True)
    assert oversight.protected_reasons(province["chuyenvien"])


def test_a_person_with_an_active_signing_key_is_protected(province):
    from vpdt.signing.models import SigningKey

    SigningKey.objects.create(user=province["chuyenvien"], kind="remote", remote_url="https://ky.example/")
    assert oversight.protected_reasons(province["chuyenvien"])


def test_the_agency_admin_alone_is_refused_on_a_leader(province):
    for change in (lambda: oversight.send_reset_link(province["quantri"], province["lanhdao"]),
                   lambda: oversight.change_roles(province["quantri"], province["lanhdao"], remove=[Role.LEADER]),
                   lambda: oversight.deactivate(province["quantri"], province["lanhdao"]),
                   lambda: oversight.reset_second_factor(province["quantri"], province["lanhdao"])):
        with pytest.raises(oversight.FourEyesRequired):
            change()
    # ... nor may they grant a leader's or an admin's role to anyone alone
    with pytest.raises(oversight.FourEyesRequired):
        oversight.change_roles(province["quantri"], province["chuyenvien"], add=[Role.AGENCY_ADMIN])
    province["lanhdao"].refresh_from_db()
    assert province["lanhdao"].is_active and province["lanhdao"].has_role(Role.LEADER)


def test_request_approved_by_the_platform_admin_mails_a_reset_link_and_the_director_sets_the_password(
        province, client, mailoutbox, django_capture_on_commit_callbacks):
    quantri, lanhdao, root = province["quantri"], province["lanhdao"], province["root"]
    found = oversight.request_change(quantri, lanhdao, AdminRequest.Kind.PASSWORD_RESET, reason="Quên mật khẩu")
    assert found.state == AdminRequest.State.PENDING
    # the requester cannot approve their own request, nor can another agency admin
    with pytest.raises(oversight.PermissionDenied):
        oversight.approve(quantri, found.pk)
    with django_capture_on_commit_callbacks(execute=True):
        oversight.approve(root, found.pk, note="Đã gọi điện xác nhận")
    found.refresh_from_db()
    assert found.state == AdminRequest.State.DONE and found.decided_by == root
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lanhdao@skhcn.example"]
    link = re.search(r"https?://\S+", mailoutbox[0].body).group(0)
    path = link.split("//", 1)[1].split("/", 1)[1]
    page = client.get("/" + path, follow=True)
    assert page.status_code == 200
    answer = client.post(page.redirect_chain[-1][0] if page.redirect_chain else "/" + path,
                         {"new_password1": "Giám đốc mới đặt 2026!", "new_password2": "Giám đốc mới đặt 2026!"})
    assert answer.status_code == 302
    lanhdao.refresh_from_db()
    assert lanhdao.check_password("Giám đốc mới đặt 2026!")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"admin_request.create", "admin_request.approve", "account.password_reset_link"} <= actions
    approve = AuditEntry.objects.get(action="admin_request.approve")
    assert approve.actor_id == root.pk and approve.detail["requested_by"] == "skhcn.quantri"
    assert AuditEntry.objects.get(action="admin_request.create").actor_id == quantri.pk


def test_an_approved_role_change_runs_and_is_audited_before_after(province, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    lanhdao = province["lanhdao"]
    found = oversight.request_change(province["quantri"], lanhdao, AdminRequest.Kind.ROLE_CHANGE,
                                     reason="Nghỉ hưu", add_roles=[Role.SPECIALIST], remove_roles=[Role.LEADER])
    with django_capture_on_commit_callbacks(execute=True):
        oversight.approve(province["root"], found.pk)
    lanhdao = User.objects.get(pk=lanhdao.pk)
    assert lanhdao.role_set(province["skhcn"].pk) == {Role.SPECIALIST}
    entry = AuditEntry.objects.get(action="account.roles_change")
    assert entry.detail["before"] == [Role.LEADER] and entry.detail["after"] == [Role.SPECIALIST]
    assert mailoutbox and mailoutbox[0].to == [lanhdao.email]


def test_a_refused_request_changes_nothing(province):
    found = oversight.request_change(province["quantri"], province["lanhdao"], AdminRequest.Kind.DEACTIVATE,
                                     reason="?")
    oversight.refuse(province["root"], found.pk, note="Không có căn cứ")
    province["lanhdao"].refresh_from_db()
    assert province["lanhdao"].is_active
    assert AuditEntry.objects.filter(action="admin_request.refuse").count() == 1
    with pytest.raises(oversight.InvalidState):
        oversight.approve(province["root"], found.pk)


def test_an_agency_admin_cannot_request_for_another_agency(province):
    other = factories.person(province["stc"], Role.LEADER)
    with pytest.raises(oversight.PermissionDenied):
        oversight.request_change(province["quantri"], other, AdminRequest.Kind.PASSWORD_RESET, reason="x")


def test_the_agency_admin_changes_an_ordinary_person_alone(province):
    oversight.change_roles(province["quantri"], province["chuyenvien"], add=[Role.CLERK])
    assert User.objects.get(pk=province["chuyenvien"].pk).has_role(Role.CLERK)


def test_dormant_accounts_are_disabled_and_audited_platform_admins_kept(province, settings):
    settings.VPDT_DORMANT_DAYS = 90
    old = timezone.now() - timedelta(days=120)
    User.objects.filter(pk__in=[province["chuyenvien"].pk, province["root"].pk]).update(last_login=old)
    User.objects.filter(pk=province["lanhdao"].pk).update(last_login=timezone.now() - timedelta(days=3))
    User.objects.exclude(pk__in=[province["chuyenvien"].pk, province["root"].pk, province["lanhdao"].pk]) \
        .update(last_login=timezone.now())
    token = ApiToken.issue(province["chuyenvien"])
    assert token
    from vpdt.directory.jobs import dormant

    assert dormant() == 1
    assert not User.objects.get(pk=province["chuyenvien"].pk).is_active
    assert User.objects.get(pk=province["root"].pk).is_active
    assert User.objects.get(pk=province["lanhdao"].pk).is_active
    assert not ApiToken.objects.get(user=province["chuyenvien"]).active
    entry = AuditEntry.objects.get(action="account.dormant_disable")
    assert entry.object_id == str(province["chuyenvien"].pk) and entry.detail["after"] == {"is_active": False}
    assert dormant() == 0


def test_an_account_used_through_its_api_token_is_not_dormant(province, settings):
    settings.VPDT_DORMANT_DAYS = 90
    User.objects.update(last_login=timezone.now() - timedelta(days=200))
    ApiToken.issue(province["chuyenvien"])
    ApiToken.objects.filter(user=province["chuyenvien"]).update(last_used_at=timezone.now())
    assert province["chuyenvien"] not in set(oversight.dormant_people())


def test_a_person_moved_to_another_agency_keeps_their_account_and_loses_the_old_rights(province):
    lanhdao = province["lanhdao"]
    with pytest.raises(oversight.PermissionDenied):
        oversight.move_to_agency(province["quantri"], lanhdao, province["stc"])
    oversight.move_to_agency(province["root"], lanhdao, province["stc"], position="Chuyên viên")
    moved = User.objects.get(pk=lanhdao.pk)
    assert moved.agency == province["stc"] and moved.role_set() == set()
    entry = AuditEntry.objects.get(action="account.move")
    assert entry.detail["before"]["roles"] == [Role.LEADER] and entry.detail["after"]["agency"] == "000.00.03.H90"

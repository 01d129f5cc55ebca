"""The second factor on the pages: enrolment before anything else, the code after the password,
recovery codes, the policy setting and the admin site."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from vpdt.core.models import AuditEntry
from vpdt.directory import mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(settings):
    settings.VPDT_MFA_REQUIRED_FOR = "admins,signers"
    settings.OTP_TOTP_THROTTLE_FACTOR = 0.05
    settings.OTP_STATIC_THROTTLE_FACTOR = 0.05
    return settings


def code_of(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def _enrol(client) -> list[str]:
    client.get(reverse("web:mfa_enrol"))
    device = TOTPDevice.objects.get(confirmed=False)
    page = client.post(reverse("web:mfa_enrol"), {"code": code_of(device)})
    assert page.status_code == 200
    return re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", page.content.decode())


def test_an_agency_admin_without_a_device_is_sent_to_enrolment_before_anything_else(client, world, policy):
    client.force_login(world.admin)
    page = client.get(reverse("workflow:outgoing"))
    assert page.status_code == 302 and page.url.startswith(reverse("web:mfa_enrol"))
    assert "next=" in page.url
    assert client.get("/admin/").url.startswith(reverse("web:mfa_enrol"))
    enrol = client.get(page.url)
    assert enrol.status_code == 200
    html = enrol.content.decode()
    assert "<svg" in html and "Đăng ký xác thực hai bước" in html
    assert "https://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")


def test_enrolment_confirms_with_a_code_shows_ten_recovery_codes_once_and_lets_the_person_in(client, world, policy):
    client.force_login(world.admin)
    client.get(reverse("web:mfa_enrol"))
    device = TOTPDevice.objects.get(user=world.admin, confirmed=False)
    wrong = client.post(reverse("web:mfa_enrol"), {"code": "000000" if code_of(device) != "000000" else "111111"})
    assert "Mã xác thực không đúng" in wrong.content.decode()
    assert not mfa.has_device(world.admin)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,  # the wait a person would
                                                  throttling_failure_timestamp=None)  # have let pass
    codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert mfa.has_device(world.admin) and mfa.recovery_left(world.admin) == 10
    assert client.get(reverse("workflow:outgoing")).status_code == 200
    assert AuditEntry.objects.filter(action="mfa.enrol", actor_id=world.admin.pk).exists()
    # shown once: the enrolment page no longer shows them (and a new pending device is not made for the verified person)
    assert "recovery-codes" not in client.get(reverse("web:mfa_enrol")).content.decode()


def test_a_person_with_a_device_is_asked_the_code_after_the_password_and_a_wrong_one_keeps_them_out(
        client, world, policy):
    policy.OTP_TOTP_THROTTLE_FACTOR = policy.OTP_STATIC_THROTTLE_FACTOR = 0.5
    device = mfa.enrol_with_secret(world.spec, "3132333435363738393031323334353637383930")
    client.force_login(world.spec)  # no policy for a specialist: the device alone asks for the code
    assert client.get(reverse("workflow:outgoing")).url.startswith(reverse("web:mfa_verify"))
    bad = client.post(reverse("web:mfa_verify"), {"code": code_of(device, offset=5)})
    assert "Mã xác thực không đúng" in bad.content.decode()
    assert client.get(reverse("workflow:outgoing")).status_code == 302
    assert AuditEntry.objects.filter(action="mfa.login_failed", actor_id=world.spec.pk).exists()
    # throttled right after a failure, whatever the code
    throttled = client.post(reverse("web:mfa_verify"), {"code": code_of(device)})
    assert "Thử lại sau" in throttled.content.decode()
    from tests.waiting import wait_until

    device.refresh_from_db()
    wait_until(lambda: TOTPDevice.objects.get(pk=device.pk).verify_is_allowed()[0], timeout=1)
    ok = client.post(reverse("web:mfa_verify"), {"code": code_of(device), "next": reverse("workflow:incoming")})
    assert ok.status_code == 302 and ok.url == reverse("workflow:incoming")
    assert client.get(reverse("workflow:outgoing")).status_code == 200


def test_a_recovery_code_works_once(client, world, policy):
    client.force_login(world.leader)
    codes = _enrol(client)
    client.logout()
    client.force_login(world.leader)
    ok = client.post(reverse("web:mfa_verify"), {"code": codes[0].upper()})
    assert ok.status_code == 302
    client.logout()
    client.force_login(world.leader)
    again = client.post(reverse("web:mfa_verify"), {"code": codes[0]})
    assert again.status_code == 200 and mfa.recovery_left(world.leader) == 9


def test_a_code_used_to_log_in_is_refused_again_with_a_message_that_says_it_was_used(client, world, policy):
    """A code is good once: used again (to log in again, or to sign within the same 30 s) it is
    refused, and the person reads that it was used, not that it is wrong."""
    device = mfa.enrol_with_secret(world.leader, "3132333435363738393031323334353637383930")
    code = code_of(device)
    client.force_login(world.leader)
    assert client.post(reverse("web:mfa_verify"), {"code": code}).status_code == 302
    client.logout()
    policy.OTP_TOTP_THROTTLE_FACTOR = 0  # the replay's failure does not throttle the next try
    client.force_login(world.leader)
    again = client.post(reverse("web:mfa_verify"), {"code": code})
    assert again.status_code == 200
    assert "Mã xác thực này đã được dùng" in again.content.decode()
    with pytest.raises(mfa.InvalidInput) as used:
        mfa.check_code(world.leader, code, purpose="signing")
    assert used.value.code == "OTP_USED"
    with pytest.raises(mfa.InvalidInput) as wrong:  # a wrong code is still called wrong
        mfa.check_code(world.leader, code_of(device, offset=5), purpose="signing")
    assert wrong.value.code == "OTP_INVALID"
    entry = AuditEntry.objects.filter(action="mfa.signing_failed", actor_id=world.leader.pk).order_by("seq").first()
    assert entry.detail == {"used_before": True}


def test_the_policy_setting(world, settings):
    settings.VPDT_MFA_REQUIRED_FOR = "admins,signers"
    assert mfa.required_for(world.admin) and mfa.required_for(world.leader)
    assert not mfa.required_for(world.spec) and not mfa.required_for(world.clerk)
    settings.VPDT_MFA_REQUIRED_FOR = "all"
    assert mfa.required_for(world.spec)
    settings.VPDT_MFA_REQUIRED_FOR = "none"
    assert not mfa.required_for(world.admin) and not mfa.required_for(world.leader)
    settings.VPDT_MFA_REQUIRED_FOR = "signers"
    assert mfa.required_for(world.leader) and not mfa.required_for(world.spec)


def test_a_specialist_is_not_made_to_enrol_but_may(client, world, policy):
    client.force_login(world.spec)
    assert client.get(reverse("workflow:outgoing")).status_code == 200
    page = client.get(reverse("web:mfa_enrol"))
    assert page.status_code == 200 and "mfa-required" not in page.content.decode()


def test_the_admin_site_wants_a_verified_second_factor_from_staff(client, world, policy):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client.force_login(world.admin)
    _enrol(client)  # verified in this session
    assert client.get("/admin/").status_code == 200
    client.logout()
    client.force_login(world.admin)
    assert client.get("/admin/").url.startswith(reverse("web:mfa_verify"))
    # the admin's own login page asks for the code beside the password
    client.logout()
    login = client.get("/admin/login/")
    assert 'name="otp_token"' in login.content.decode()


def test_a_person_makes_new_recovery_codes_with_a_code_from_the_app_and_the_old_ones_stop(client, world, policy):
    client.force_login(world.leader)
    old = _enrol(client)
    assert reverse("web:mfa_recovery") in client.get(reverse("web:account")).content.decode()
    device = TOTPDevice.objects.get(user=world.leader, confirmed=True)
    refused = client.post(reverse("web:mfa_recovery"), {"code": old[1]})  # a recovery code renews nothing
    assert refused.status_code == 200 and "Mã xác thực không đúng" in refused.content.decode()
    assert mfa.recovery_left(world.leader) == 10
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                  throttling_failure_timestamp=None)
    page = client.post(reverse("web:mfa_recovery"), {"code": code_of(device)})
    new = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEntry.objects.filter(action="mfa.recovery_renewed", actor=world.leader).exists()
    client.logout()
    client.force_login(world.leader)
    assert client.post(reverse("web:mfa_verify"), {"code": old[2]}).status_code == 200  # old: refused
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.filter(user=world.leader).update(throttling_failure_count=0,  # the wait a person would
                                                          throttling_failure_timestamp=None)  # have let pass
    assert client.post(reverse("web:mfa_verify"), {"code": new[0]}).status_code == 302


@pytest.mark.parametrize("setting", ["admins,signers", "all", "none", "signers"])
def test_what_the_gate_asks_is_has_device_then_required_for_in_one_statement(world, settings, setting):
    """The gate's one statement answers as the two checks it replaces, for every kind of person:
    a device of either kind (TOTP, recovery codes only), a leader, an administrator, a holder of an
    active signing key, a specialist with none of these."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_otp.plugins.otp_static.models import StaticDevice

    from tests.second_factor import device_of
    from vpdt.signing.models import SigningKey

    settings.VPDT_MFA_REQUIRED_FOR = setting
    device_of(world.head)
    StaticDevice.objects.create(user=world.clerk, name=mfa.RECOVERY_NAME, confirmed=True)
    key_holder = world.spec2
    SigningKey.objects.filter(user=key_holder).delete()
    SigningKey.objects.create(user=key_holder, kind="remote", remote_url="https://ky.example/", remote_key_id="k")
    SigningKey.objects.filter(user=world.spec).update(active=False)
    holders = {}
    for user in (world.spec, world.leader, world.admin, world.head, world.clerk, key_holder):
        user.refresh_from_db()
        old = mfa.VERIFY if mfa.has_device(user) else (mfa.ENROL if mfa.required_for(user) else None)
        user.role_set()  # the person's roles, read once per request by every check
        with CaptureQueriesContext(connection) as asked:
            holders[user.username] = mfa.second_factor_due(user)
        assert holders[user.username] == old, (user.username, setting)
        assert len(asked) == 1, user.username
    assert holders[world.head.username] == holders[world.clerk.username] == mfa.VERIFY
    if setting == "none":
        assert holders[world.spec.username] is None and holders[key_holder.username] is None
    else:
        assert holders[world.leader.username] == holders[key_holder.username] == mfa.ENROL
    if setting != "all":
        assert holders[world.spec.username] is None

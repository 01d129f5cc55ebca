"""The second factor in tests: a person's device and the code their authenticator app shows now."""

from __future__ import annotations

import secrets

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def device_of(user) -> TOTPDevice:
    """The person's confirmed TOTP device, enrolled with a random key if they have none."""
    from vpdt.directory import mfa

    return mfa.totp_device(user) or mfa.enrol_with_secret(user, secrets.token_hex(20))


def code_now(device: TOTPDevice, *, steps: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps):06d}"


def one_time_code(user) -> str:
    """The code the person's app shows now. Tests sign several times within one 30-second step,
    where a person would wait for the next code: django-otp refuses a code used before, so the
    device forgets the last step used and its throttling (tests of those rules do not use this)."""
    device = device_of(user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                  throttling_failure_timestamp=None)
    return code_now(device)


def verified_login(client, user) -> None:
    """Log `user` in on the test client as a person would: password (forced), then the code of
    their app when they have one, so the second-factor middleware lets the session through."""
    from vpdt.directory import mfa

    client.force_login(user)
    if mfa.has_device(user):
        response = client.post("/xac-thuc-hai-buoc/", {"code": one_time_code(user)})
        assert response.status_code == 302, response.content.decode()[:500]


def token_body(user, password: str) -> dict:
    """The body of POST /api/auth/token for `user`: with their app's code when they have one."""
    from vpdt.directory import mfa

    body = {"username": user.get_username(), "password": password}
    if mfa.has_device(user):
        body["otp"] = one_time_code(user)
    return body

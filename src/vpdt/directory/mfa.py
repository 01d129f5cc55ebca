"""The second factor (xác thực hai bước): who must have one, enrolment, and checking a code.

Built on django-otp: a TOTP device (an authenticator app, RFC 6238) per person and a static
device holding 10 recovery codes (each works once). django-otp throttles wrong codes per
device (the wait doubles after each failure) and refuses a TOTP code used before.

The policy is the setting VPDT_MFA_REQUIRED_FOR: "admins,signers" (default), "all" or
"none" (or a comma list of "admins", "signers"):
- admins: superusers, staff (the /admin/ site), platform and agency administrators;
- signers: agency leaders (they approve and sign) and anyone holding an active personal
  signing key.
A person the policy names must enrol before anything else (vpdt.web.middleware); anyone
who has a device is asked for a code after the password, whatever the policy.

A one-time code also unlocks a software or remote signing key for one act of signing
(`check_code(..., purpose="signing")`, TOTP only: recovery codes are for a lost phone).
"""

from __future__ import annotations

import base64
import functools
import secrets

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.utils import timezone
from django_otp import device_classes, devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from vpdt.core import audit
from vpdt.core.errors import InvalidInput
from vpdt.core.prepared import Read
from vpdt.directory.roles import Role

TOTP_NAME = "Ứng dụng xác thực"
RECOVERY_NAME = "Mã khôi phục"
RECOVERY_CODES = 10

GROUPS = {"admins", "signers"}


_DEVICE_READS: dict[type, Read] = {}


def session_device(persistent_id: str) -> Device | None:
    """The device a session was verified with ("otp_totp.totpdevice/12"), as django-otp's
    Device.from_persistent_id finds it, read on every request of a person with a second factor:
    one prepared statement per device model (vpdt.core.prepared)."""
    try:
        label, pk = persistent_id.rsplit("/", 1)
        model, pk = apps.get_model(*label.split(".")), int(pk)
    except (ValueError, LookupError, TypeError):
        return None
    if not issubclass(model, Device):
        return None
    read = _DEVICE_READS.get(model)
    if read is None:
        read = _DEVICE_READS[model] = Read(lambda pk: model.objects.filter(id=pk).order_by("pk")[:1], pk=int)
    return read.instance(pk=pk)


def policy() -> set[str]:
    """The groups the setting names ("all" → every person; "none" → nobody)."""
    raw = (getattr(settings, "VPDT_MFA_REQUIRED_FOR", "admins,signers") or "").strip().lower()
    if raw == "all":
        return {"all"}
    return {part.strip() for part in raw.split(",") if part.strip() in GROUPS}


def is_admin(user) -> bool:
    roles = user.role_set()
    return bool(user.is_superuser or user.is_staff or Role.PLATFORM_ADMIN in roles or Role.AGENCY_ADMIN in roles)


def is_signer(user) -> bool:
    if Role.LEADER in user.role_set():
        return True
    keys = getattr(user, "signing_keys", None)  # the signing app's reverse relation, if installed
    return bool(keys is not None and keys.filter(active=True).exists())


def required_for(user) -> bool:
    """Whether the policy makes `user` enrol a second factor before anything else."""
    if not getattr(user, "is_authenticated", False):
        return False
    wanted = policy()
    if "all" in wanted:
        return True
    return ("admins" in wanted and is_admin(user)) or ("signers" in wanted and is_signer(user))


def has_device(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user, confirmed=True)


VERIFY, ENROL = "verify", "enrol"


@functools.cache
def _facts_sql() -> tuple[str, int]:
    """(one statement, how many device kinds it asks about): whether the person has a confirmed
    device of each kind, then whether they hold an active signing key (when the signing app is
    installed). Asked on every page of a person without a second factor, so written once per
    process as plain SQL: built by the ORM each time (three EXISTS subqueries) it cost ~3 ms of
    CPU per page, a tenth of a list page."""
    from django.contrib.auth import get_user_model

    q = connection.ops.quote_name
    kinds = list(device_classes())
    parts = [f"EXISTS (SELECT 1 FROM {q(m._meta.db_table)} WHERE {q(m._meta.get_field('user').column)} = %s "
             f"AND {q(m._meta.get_field('confirmed').column)})" for m in kinds]
    try:
        keys = get_user_model()._meta.get_field("signing_keys")  # the signing app's reverse relation
    except FieldDoesNotExist:
        keys = None
    if keys is not None:
        key_meta = keys.related_model._meta
        parts.append(f"EXISTS (SELECT 1 FROM {q(key_meta.db_table)} WHERE {q(keys.field.column)} = %s "
                     f"AND {q(key_meta.get_field('active').column)})")
    return "SELECT " + ", ".join(parts), len(kinds)


def second_factor_due(user) -> str | None:
    """What a person not verified in this session owes: VERIFY (they have a device: a code after
    the password), ENROL (the policy names them and they have none), or None.

    `has_device` then `required_for`, with their questions to the database in one statement
    (`_facts_sql`: a confirmed device of each kind, an active signing key)."""
    if not getattr(user, "is_authenticated", False):
        return None
    sql, kinds = _facts_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk] * sql.count("%s"))
        found = cursor.fetchone()
    if any(found[:kinds]):
        return VERIFY
    wanted = policy()
    signer = Role.LEADER in user.role_set() or any(found[kinds:])
    if "all" in wanted or ("admins" in wanted and is_admin(user)) or ("signers" in wanted and signer):
        return ENROL
    return None


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-id").first()


def recovery_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- enrolment -----------------------------------------------------------------------------


def pending_device(user) -> TOTPDevice:
    """The TOTP device being enrolled (unconfirmed until a first code from it is typed)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The device's key as the base32 text an authenticator app takes."""
    return base64.b32encode(device.bin_key).decode()


def config_url(device: TOTPDevice, user) -> str:
    """otpauth:// address for the QR code (issuer and label say which e-office and which person)."""
    from urllib.parse import quote

    issuer = getattr(settings, "OTP_TOTP_ISSUER", "vpdt")
    label = quote(f"{issuer}:{user.get_username()}")
    return (f"otpauth://totp/{label}?secret={secret_of(device)}&algorithm=SHA1&digits={device.digits}"
            f"&period={device.step}&issuer={quote(issuer)}")


def _new_recovery_codes() -> list[str]:
    # 10 characters of an alphabet without look-alikes (0/O, 1/l), shown in two groups of 5.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]


def confirm_enrolment(user, code: str) -> list[str]:
    """The first code from the app confirms the pending device; returns the 10 recovery codes
    (shown once: only they are kept, never shown again). A wrong code: OTP_INVALID."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        raise InvalidInput("Chưa bắt đầu đăng ký xác thực hai bước: hãy tải lại trang.", code="MFA_NOT_STARTED")
    wait = _throttled([device])
    if wait is not None:
        raise InvalidInput(f"Đã nhập sai nhiều lần. Thử lại sau {wait} giây.", code="OTP_THROTTLED")
    if not device.verify_token(_clean(code)):
        audit.record("mfa.enrol_failed", user, user=user, detail={})
        raise InvalidInput("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và nhập mã mới nhất.",
                           code="OTP_INVALID")
    return _enrol(user, device)


def _enrol(user, device: TOTPDevice) -> list[str]:
    with transaction.atomic():
        # One device per kind: a new enrolment replaces an old phone and old recovery codes.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=user).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = issue_recovery_codes(user)
        audit.record("mfa.enrol", user, user=user, detail={"device": device.persistent_id})
    return codes


def issue_recovery_codes(user) -> list[str]:
    """New recovery codes (the old ones stop working)."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = _new_recovery_codes()
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def renew_recovery_codes(user, code: str | None) -> list[str]:
    """Ten new recovery codes for a person who proves their app now (the old codes stop working)."""
    check_code(user, code, purpose="recovery")
    with transaction.atomic():
        codes = issue_recovery_codes(user)
        audit.record("mfa.recovery_renewed", user, user=user, detail={"codes": len(codes)})
    return codes


def enrol_with_secret(user, key_hex: str) -> TOTPDevice:
    """A confirmed TOTP device with a given key (the demo's known secrets); no recovery codes."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=key_hex, confirmed=True)
        audit.record("mfa.enrol", user, user=None, detail={"device": device.persistent_id, "preset": True})
    return device


def reset(user, by) -> None:
    """Remove every device (a lost phone and lost codes): the person enrols again at next sign-in."""
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        audit.record("mfa.reset", user, user=by, detail={})


# --- checking a code -----------------------------------------------------------------------


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _throttled(devices) -> int | None:
    """Seconds to wait if every device that could take the code is throttled, else None."""
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return None
        locked_until = (data or {}).get("locked_until")
        waits.append(max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 1)
    return min(waits) if waits else None


def check_code(user, code: str | None, *, purpose: str = "login", target=None):
    """The device that accepts `code`, or InvalidInput (OTP_REQUIRED, OTP_INVALID, OTP_THROTTLED).

    Login takes a TOTP code or a recovery code; signing takes a TOTP code only. A failure is
    audited (against `target` when given: the document a signing was refused on).
    """
    token = _clean(code)
    if purpose in ("signing", "recovery"):  # the app's code only: a recovery code renews nothing
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-id"))
        if not devices:
            raise InvalidInput("Bạn chưa đăng ký xác thực hai bước nên chưa ký số bằng mã xác thực được. "
                               "Hãy đăng ký ở trang Xác thực hai bước.", code="MFA_NOT_ENROLLED")
    else:
        devices = list(devices_for_user(user, confirmed=True, for_verify=False))
    if not token:
        raise InvalidInput("Nhập mã xác thực (6 chữ số trong ứng dụng xác thực).", code="OTP_REQUIRED")
    wait = _throttled(devices)
    if wait is not None:
        audit.record(f"mfa.{purpose}_throttled", target or user, user=user, detail={})
        raise InvalidInput(f"Đã nhập sai nhiều lần. Thử lại sau {wait} giây.", code="OTP_THROTTLED")
    with transaction.atomic():
        for device in devices:
            fresh = type(device).objects.select_for_update().get(pk=device.pk)
            if fresh.verify_token(token):
                return fresh
    used = _used_before(devices, token)
    audit.record(f"mfa.{purpose}_failed", target or user, user=user, detail={"used_before": True} if used else {})
    if used:
        raise InvalidInput("Mã xác thực này đã được dùng (mỗi mã chỉ dùng một lần). Chờ ứng dụng hiện mã mới "
                           "rồi nhập mã đó.", code="OTP_USED")
    raise InvalidInput("Mã xác thực không đúng hoặc đã hết hạn.", code="OTP_INVALID")


def _used_before(devices, token: str) -> bool:
    """The code is one an authenticator app's device accepted already: the step it last took, or
    one before it that was still within the tolerance then (refused now as a replay)."""
    if not token.isdigit():
        return False
    for device in devices:
        if not isinstance(device, TOTPDevice) or device.last_t < 0:
            continue
        last = device.last_t
        if any(hotp(device.bin_key, t, device.digits) == int(token)
               for t in range(max(0, last - device.tolerance), last + 1)):
            return True
    return False

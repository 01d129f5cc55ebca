"""Administrators within bounds (issue 12): platform admin → agency admins → people.

An agency admin may not alone reset the password or the second factor, change the roles of,
or deactivate a *protected* person: a leader, an administrator, anyone holding an active
signing key or named as a signer in an approval chain. Such a change is an `AdminRequest`
the platform admin approves or refuses (four eyes); on approval the change runs here and the
person is told by e-mail. Both ways in — the pages of vpdt.web and Django admin
(`directory/admin.py`) — call `guard()`, so neither can skip it.

A password reset never lets an administrator choose the password: the person receives a
one-time link (Django's password reset token) and sets it themselves.

Apps above directory say who else is protected through the **protection seam**:
`register_protection(check)` with `check(user) -> str | None` (a Vietnamese reason or None),
from their `AppConfig.ready()` (signing: an active key; workflow: a signer step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.directory.models import AdminRequest, Agency, ApiToken, RoleAssignment, User
from vpdt.directory.roles import Role

# Roles whose holders are protected, and which an agency admin may not grant alone.
PROTECTED_ROLES = {Role.LEADER, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}

_checks: list[Callable[[User], str | None]] = []


def register_protection(check: Callable[[User], str | None]) -> None:
    if check not in _checks:
        _checks.append(check)


class FourEyesRequired(PermissionDenied):
    code = "FOUR_EYES_REQUIRED"


# --- who is protected, who decides ----------------------------------------------------------


def is_platform_admin(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.is_platform_admin))


def protected_reasons(person: User) -> list[str]:
    """Why a change to this person needs the platform admin's approval (empty: it does not)."""
    reasons = []
    roles = person.role_set()
    if Role.LEADER in roles:
        reasons.append(_("lãnh đạo cơ quan"))
    if roles & {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN} or person.is_staff or person.is_superuser:
        reasons.append(_("người quản trị"))
    for check in _checks:
        found = check(person)
        if found:
            reasons.append(found)
    return reasons


def can_manage(actor, person: User) -> bool:
    """The platform admin for anyone; an agency admin for the people of their agency."""
    from vpdt.directory import accounts

    return accounts.can_manage(actor, person)


def needs_four_eyes(actor, person: User, *, grant_roles=()) -> bool:
    if is_platform_admin(actor):
        return False
    return bool(protected_reasons(person)) or bool(set(grant_roles) & PROTECTED_ROLES)


def guard(actor, person: User, kind: str, *, grant_roles=()) -> None:
    """Refuse `kind` (an AdminRequest.Kind) on `person` unless `actor` may do it alone."""
    if not can_manage(actor, person):
        raise PermissionDenied(_("Chỉ quản trị cơ quan của người này mới được thay đổi tài khoản."))
    if needs_four_eyes(actor, person, grant_roles=grant_roles):
        why = ", ".join(protected_reasons(person)) or _("vai trò được cấp cần phê duyệt")
        raise FourEyesRequired(
            _("%(name)s là %(why)s: thay đổi này cần quản trị hệ thống phê duyệt. Hãy gửi yêu cầu phê duyệt.")
            % {"name": person, "why": why},
            detail=f"kind={kind}")


# --- the requests ---------------------------------------------------------------------------


def pending() -> list[AdminRequest]:
    return list(AdminRequest.objects.filter(state=AdminRequest.State.PENDING)
                .select_related("target", "requested_by", "agency"))


def visible_requests(actor):
    qs = AdminRequest.objects.select_related("target", "requested_by", "decided_by", "agency")
    if is_platform_admin(actor):
        return qs
    return qs.filter(agency_id__in=actor.admin_agency_ids())


def request_change(actor, person: User, kind: str, *, reason: str, add_roles=(), remove_roles=()) -> AdminRequest:
    """An agency admin asks the platform admin to make `kind` on `person`."""
    if kind not in AdminRequest.Kind.values:
        raise InvalidInput(_("Loại yêu cầu không hợp lệ."), code="INVALID_KIND")
    if not can_manage(actor, person):
        raise PermissionDenied(_("Chỉ quản trị cơ quan của người này mới được gửi yêu cầu."))
    if not reason.strip():
        raise InvalidInput(_("Cần ghi lý do."), code="REASON_REQUIRED")
    payload = {}
    if kind == AdminRequest.Kind.ROLE_CHANGE:
        allowed = set(Role.values) - {Role.PLATFORM_ADMIN}
        add, remove = sorted(set(add_roles) & allowed), sorted(set(remove_roles) & allowed)
        if not add and not remove:
            raise InvalidInput(_("Chọn vai trò cần thêm hoặc bỏ."), code="ROLES_REQUIRED")
        payload = {"add": add, "remove": remove}
    found = AdminRequest.objects.create(kind=kind, target=person, agency_id=person.agency_id, requested_by=actor,
                                        reason=reason.strip(), payload=payload)
    audit.record("admin_request.create", found, user=actor, agency_code=_code(person),
                 detail={"kind": kind, "target": person.get_username(), "reason": found.reason, **payload})
    return found


def refuse(actor, request_id: int, *, note: str = "") -> AdminRequest:
    with transaction.atomic():
        found = _pending_for_decision(actor, request_id)
        found.state = AdminRequest.State.REFUSED
        found.decided_by, found.decided_at, found.decision_note = actor, timezone.now(), note.strip()
        found.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit.record("admin_request.refuse", found, user=actor, agency_code=_code(found.target),
                     detail={"kind": found.kind, "target": found.target.get_username(), "note": found.decision_note,
                             "before": {"state": "pending"}, "after": {"state": "refused"}})
    return found


def approve(actor, request_id: int, *, note: str = "") -> AdminRequest:
    """The platform admin approves: the change runs now, the person is e-mailed."""
    with transaction.atomic():
        found = _pending_for_decision(actor, request_id)
        found.state = AdminRequest.State.DONE
        found.decided_by, found.decided_at, found.decision_note = actor, timezone.now(), note.strip()
        found.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit.record("admin_request.approve", found, user=actor, agency_code=_code(found.target),
                     detail={"kind": found.kind, "target": found.target.get_username(),
                             "requested_by": getattr(found.requested_by, "username", ""),
                             "before": {"state": "pending"}, "after": {"state": "done"}})
        _execute(actor, found)
    return found


def _pending_for_decision(actor, request_id: int) -> AdminRequest:
    if not is_platform_admin(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được phê duyệt yêu cầu này."))
    found = AdminRequest.objects.select_for_update().select_related("target").filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("Không tìm thấy yêu cầu."))
    if found.state != AdminRequest.State.PENDING:
        raise InvalidState(_("Yêu cầu này đã được xử lý."))
    if found.requested_by_id == actor.pk:
        raise PermissionDenied(_("Người gửi yêu cầu không được tự phê duyệt (nguyên tắc bốn mắt)."),
                               code="FOUR_EYES_SAME_PERSON")
    return found


def _execute(actor, found: AdminRequest) -> None:
    person = found.target
    if found.kind == AdminRequest.Kind.PASSWORD_RESET:
        send_reset_link(actor, person, via_request=found)
    elif found.kind == AdminRequest.Kind.SECOND_FACTOR_RESET:
        reset_second_factor(actor, person, via_request=found)
    elif found.kind == AdminRequest.Kind.ROLE_CHANGE:
        change_roles(actor, person, add=found.payload.get("add", []), remove=found.payload.get("remove", []),
                     via_request=found)
    elif found.kind == AdminRequest.Kind.DEACTIVATE:
        deactivate(actor, person, reason=found.reason, via_request=found)


# --- the changes (each guarded, audited with before/after, the person told) -----------------


def _check(actor, person, kind, via_request, **kw) -> None:
    if via_request is None and actor is not None:
        guard(actor, person, kind, **kw)


def _password_link(person: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    return settings.VPDT_SITE_URL.rstrip("/") + reverse("web:password_reset_confirm", args=[uid, token])


def add_person(actor, agency: Agency, *, username: str, full_name: str, email: str, unit=None, position: str = "",
               phone: str = "", roles=(), reason: str = "") -> tuple[User, AdminRequest | None]:
    """An admin adds a person to an agency they administer. Nobody picks the password: the person
    is e-mailed a one-time link to set it. Roles an agency admin may not grant alone (leader,
    admin) are not given: they go to the platform admin as a four-eyes request."""
    if not (is_platform_admin(actor) or agency.pk in actor.admin_agency_ids()):
        raise PermissionDenied(_("Chỉ quản trị của cơ quan này mới được thêm cán bộ."))
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("Tên đăng nhập đã có người dùng."), code="username")
    if unit is not None and unit.agency_id != agency.pk:
        raise InvalidInput(_("Đơn vị không thuộc cơ quan của cán bộ."), code="unit")
    if not email:
        raise InvalidInput(_("Cần thư điện tử: cán bộ nhận đường dẫn đặt mật khẩu qua thư."), code="email")
    roles = [r for r in dict.fromkeys(roles) if r in Role.values and r != Role.PLATFORM_ADMIN]
    with transaction.atomic():
        person = User(username=username, full_name=full_name, email=email, phone=phone, agency=agency, unit=unit,
                      position=position)
        person.set_unusable_password()
        person.save()
        audit.record("account.create", person, user=actor, agency_code=agency.code,
                     detail={"after": {"username": username, "full_name": full_name, "email": email,
                                       "unit": getattr(unit, "name", ""), "position": position}})
        alone = [r for r in roles if not needs_four_eyes(actor, person, grant_roles=[r])]
        held = [r for r in roles if r not in alone]
        if alone:
            change_roles(actor, person, add=alone, agency=agency)
        found = None
        if held:
            found = request_change(actor, person, AdminRequest.Kind.ROLE_CHANGE, add_roles=held,
                                   reason=reason.strip() or _("Cán bộ mới: cấp vai trò cần phê duyệt."))
    body = _("Xin chào %(name)s,\n\nTài khoản %(username)s của bạn trên văn phòng điện tử đã được tạo.\n"
             "Để đặt mật khẩu, mở đường dẫn sau (chỉ dùng được một lần):\n\n%(link)s\n") % {
        "name": person.get_full_name(), "username": username, "link": _password_link(person)}
    transaction.on_commit(lambda: _mail(person, _("[vpdt] Tài khoản mới"), body))
    return person, found


def send_reset_link(actor, person: User, *, via_request: AdminRequest | None = None) -> None:
    """Send the person a one-time link to set a new password themselves (nobody else picks it)."""
    _check(actor, person, AdminRequest.Kind.PASSWORD_RESET, via_request)
    if not person.email:
        raise InvalidInput(_("Cán bộ chưa có địa chỉ thư điện tử để nhận đường dẫn đặt lại mật khẩu."),
                           code="NO_EMAIL")
    link = _password_link(person)
    body = _("Xin chào %(name)s,\n\nQuản trị đã yêu cầu đặt lại mật khẩu tài khoản %(username)s của bạn%(approved)s.\n"
             "Để đặt mật khẩu mới, mở đường dẫn sau (chỉ dùng được một lần):\n\n%(link)s\n\n"
             "Nếu bạn không biết việc này, hãy báo ngay cho quản trị hệ thống.") % {
        "name": person.get_full_name(), "username": person.get_username(), "link": link,
        "approved": _approved_text(via_request)}
    transaction.on_commit(lambda: _mail(person, _("[vpdt] Đặt lại mật khẩu"), body))
    audit.record("account.password_reset_link", person, user=actor, agency_code=_code(person),
                 detail=_via(via_request))


def reset_second_factor(actor, person: User, *, via_request: AdminRequest | None = None) -> int:
    """Remove the person's second-factor devices (django-otp) so they enrol again at next login."""
    _check(actor, person, AdminRequest.Kind.SECOND_FACTOR_RESET, via_request)
    removed = 0
    if apps.is_installed("django_otp"):
        from django_otp import devices_for_user

        for device in list(devices_for_user(person, confirmed=None)):
            device.delete()
            removed += 1
    audit.record("account.mfa_reset", person, user=actor, agency_code=_code(person),
                 detail={"devices_removed": removed, **_via(via_request)})
    _notice(person, _("[vpdt] Xác thực hai lớp đã được đặt lại"),
            _("Xác thực hai lớp của tài khoản %(username)s đã được đặt lại%(approved)s. "
              "Lần đăng nhập tới, hãy đăng ký lại thiết bị xác thực.") % {
                "username": person.get_username(), "approved": _approved_text(via_request)})
    return removed


def change_roles(actor, person: User, *, add=(), remove=(), agency: Agency | None = None,
                 via_request: AdminRequest | None = None) -> tuple[list[str], list[str]]:
    agency = agency or person.agency
    if agency is None:
        raise InvalidInput(_("Cán bộ chưa thuộc cơ quan nào."), code="NO_AGENCY")
    if actor is not None and not is_platform_admin(actor) and Role.PLATFORM_ADMIN in set(add):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được cấp quyền quản trị hệ thống."))
    _check(actor, person, AdminRequest.Kind.ROLE_CHANGE, via_request, grant_roles=add)
    with transaction.atomic():
        before = sorted(person.role_set(agency.pk))
        for role in add:
            RoleAssignment.objects.get_or_create(user=person, agency=agency, role=role)
        RoleAssignment.objects.filter(user=person, agency=agency, role__in=list(remove)).delete()
        person._role_cache = None
        after = sorted(person.role_set(agency.pk))
        # Entering /admin/ follows the admin roles (an agency admin cannot tick it alone).
        staff = bool(person.role_set() & {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}) or person.is_superuser
        if staff != person.is_staff:
            User.objects.filter(pk=person.pk).update(is_staff=staff)
            person.is_staff = staff
        audit.record("account.roles_change", person, user=actor, agency_code=agency.code,
                     detail={"before": before, "after": after, **_via(via_request)})
    if before != after:
        _notice(person, _("[vpdt] Vai trò của bạn đã thay đổi"),
                _("Vai trò của tài khoản %(username)s tại %(agency)s đã thay đổi%(approved)s: %(roles)s.") % {
                    "username": person.get_username(), "agency": agency.name, "approved": _approved_text(via_request),
                    "roles": ", ".join(str(Role(r).label) for r in after) or "-"})
    return before, after


def deactivate(actor, person: User, *, reason: str = "", via_request: AdminRequest | None = None) -> None:
    """Close the account: no login, its sessions and API tokens end. History stays."""
    _check(actor, person, AdminRequest.Kind.DEACTIVATE, via_request)
    with transaction.atomic():
        _close(person)
        audit.record("account.deactivate", person, user=actor, agency_code=_code(person),
                     detail={"before": {"is_active": True}, "after": {"is_active": False}, "reason": reason,
                             **_via(via_request)})
    _notice(person, _("[vpdt] Tài khoản đã bị khóa"),
            _("Tài khoản %(username)s trên văn phòng điện tử đã bị khóa%(approved)s.") % {
                "username": person.get_username(), "approved": _approved_text(via_request)})


def _close(person: User) -> None:
    from vpdt.directory import accounts

    User.objects.filter(pk=person.pk).update(is_active=False)
    person.is_active = False
    ApiToken.objects.filter(user=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    accounts.end_all_sessions(person)


def update_person(actor, person: User, *, unit, position: str, email: str, full_name: str, phone: str = "") -> dict:
    """The agency admin moves a person within the agency (unit, position) or corrects their
    details; roles are per agency and stay. A move to another agency is `move_to_agency`."""
    if not can_manage(actor, person):
        raise PermissionDenied(_("Chỉ quản trị cơ quan của người này mới được sửa thông tin."))
    if unit is not None and unit.agency_id != person.agency_id:
        raise InvalidInput(_("Đơn vị không thuộc cơ quan của cán bộ."), code="unit")
    fields = {"unit_id": getattr(unit, "pk", None), "position": position, "email": email, "full_name": full_name,
              "phone": phone}
    before = {k: getattr(person, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    if "email" in changed and needs_four_eyes(actor, person):
        # The address receives the password reset link: changed alone, it is a takeover.
        raise FourEyesRequired(_("Thư điện tử của %(name)s nhận đường dẫn đặt lại mật khẩu: chỉ quản trị hệ thống "
                                 "được thay đổi.") % {"name": person}, code="EMAIL_PROTECTED")
    if changed:
        for k, v in changed.items():
            setattr(person, k, v)
        person.save(update_fields=[k for k in changed])
        audit.record("account.update", person, user=actor, agency_code=_code(person),
                     detail={"before": {k: before[k] for k in changed}, "after": changed})
    return changed


def move_to_agency(actor, person: User, agency: Agency, *, unit=None, position: str = "") -> None:
    """A person moved to another agency keeps their account and history; the rights of the old
    position go (their roles in the old agency are removed), the new agency's admin grants new ones."""
    if not is_platform_admin(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được chuyển cán bộ sang cơ quan khác."))
    if unit is not None and unit.agency_id != agency.pk:
        raise InvalidInput(_("Đơn vị không thuộc cơ quan mới."), code="unit")
    if agency.pk == person.agency_id:
        raise InvalidInput(_("Cán bộ đã thuộc cơ quan này."), code="agency")
    with transaction.atomic():
        old = person.agency
        old_roles = sorted(person.role_set(old.pk)) if old else []
        if old:
            RoleAssignment.objects.filter(user=person, agency=old).delete()
        before = {"agency": getattr(old, "code", ""), "unit_id": person.unit_id, "position": person.position,
                  "roles": old_roles}
        person.agency, person.unit, person.position = agency, unit, position
        person.save(update_fields=["agency", "unit", "position"])
        person._role_cache = None
        audit.record("account.move", person, user=actor, agency_code=agency.code,
                     detail={"before": before, "after": {"agency": agency.code, "unit_id": getattr(unit, "pk", None),
                                                         "position": position, "roles": []}})


# --- dormant accounts -----------------------------------------------------------------------


def dormant_people(days: int | None = None):
    """Active accounts not used (login, session, API token) for `days`. Platform admins and
    superusers are left out: disabling the last recovery path would need the server's shell."""
    days = settings.VPDT_DORMANT_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    qs = (User.objects.filter(is_active=True, is_superuser=False)
          .exclude(role_assignments__role=Role.PLATFORM_ADMIN)
          .annotate(seen=Max("login_sessions__last_seen"), token=Max("api_tokens__last_used_at"))
          .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
          .filter(Q(seen__isnull=True) | Q(seen__lt=cutoff))
          .filter(Q(token__isnull=True) | Q(token__lt=cutoff)))
    return qs


def disable_dormant(limit: int = 200) -> int:
    if settings.VPDT_DORMANT_DAYS <= 0:
        return 0
    done = 0
    for person in dormant_people()[:limit]:
        with transaction.atomic():
            _close(person)
            audit.record("account.dormant_disable", person, user=None, agency_code=_code(person),
                         detail={"before": {"is_active": True}, "after": {"is_active": False},
                                 "last_login": person.last_login.isoformat() if person.last_login else None,
                                 "days": settings.VPDT_DORMANT_DAYS})
        done += 1
    return done


# --- helpers --------------------------------------------------------------------------------


def _code(person: User) -> str:
    return person.agency.code if person.agency_id else ""


def _via(found: AdminRequest | None) -> dict:
    if found is None:
        return {}
    return {"request": found.pk, "requested_by": getattr(found.requested_by, "username", "")}


def _approved_text(found: AdminRequest | None) -> str:
    if found is None:
        return ""
    return _(" (theo đề nghị của %(by)s, đã được quản trị hệ thống phê duyệt)") % {
        "by": found.requested_by.get_full_name() if found.requested_by else "-"}


def _mail(person: User, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email], fail_silently=True)


def _notice(person: User, subject: str, body: str) -> None:
    if person.email:
        transaction.on_commit(lambda: _mail(person, subject, body))

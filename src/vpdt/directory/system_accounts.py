"""System accounts: another system (a one-stop-shop portal, a provincial platform...) acting
through the API as an account of one agency.

A system account is a User row of its agency with an unusable password (it never logs in on
the pages nor gets a token by password), one role (the clerk's for registering incoming
documents, the specialist's for drafting) and a SystemAccount row marking it. It acts only
with tokens its agency admin issues, each with the scopes it may use; whatever it does goes
through the same services and permission checks as a person's and is audited under its name.

A person's own token (their account page, POST /api/auth/token) lists no scope: it reads
(PERSONAL_SCOPES), and writes only through the pages.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, NotFound, PermissionDenied
from vpdt.directory.models import Agency, ApiToken, RoleAssignment, SystemAccount, Unit, User, hash_token
from vpdt.directory.roles import Role

SCOPES = {
    "documents:read": gettext_lazy("Đọc văn bản"),
    "documents:write": gettext_lazy("Tiếp nhận, vào sổ văn bản đến"),
    "drafts:write": gettext_lazy("Soạn, trình dự thảo"),
    "notifications:read": gettext_lazy("Đọc thông báo"),
    "reports:read": gettext_lazy("Xem thống kê"),
    # --- motcua2: the one-stop shop's API (a portal submits dossiers, follows their statuses)
    "motcua:write": gettext_lazy("Gửi hồ sơ thủ tục hành chính"),
    "motcua:read": gettext_lazy("Xem hồ sơ thủ tục hành chính"),
}
PERSONAL_SCOPES = frozenset({"documents:read", "notifications:read", "reports:read"})
# The roles a system account may hold: none that approves, signs or administers.
ROLES = (Role.CLERK, Role.SPECIALIST)
MAX_DAYS = 365


def is_system_account(user) -> bool:
    return bool(getattr(user, "pk", None)) and SystemAccount.objects.filter(user_id=user.pk).exists()


def scopes_of(token: ApiToken) -> frozenset[str]:
    """What a token may do: its own scopes for a system account's, read-only for a person's."""
    if is_system_account(token.user):
        return frozenset(s for s in token.scopes or () if s in SCOPES)
    return PERSONAL_SCOPES


def _check_admin(actor, agency: Agency) -> None:
    if not (actor.is_superuser or actor.is_platform_admin or agency.pk in actor.admin_agency_ids()):
        raise PermissionDenied(_("Chỉ quản trị của cơ quan này mới quản lý tài khoản hệ thống."))


def managed(actor):
    """The system accounts `actor` administers (every agency's for the platform admin)."""
    found = SystemAccount.objects.select_related("user", "user__agency", "user__unit")
    if actor.is_superuser or actor.is_platform_admin:
        return found
    return found.filter(user__agency_id__in=actor.admin_agency_ids())


def get_managed(actor, pk: int) -> SystemAccount:
    found = managed(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Không tìm thấy tài khoản hệ thống."))
    return found


def create_account(actor, agency: Agency, *, name: str, role: str, unit: Unit | None = None,
                   description: str = "") -> SystemAccount:
    """An agency admin creates a system account of their agency holding `role`."""
    _check_admin(actor, agency)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Đặt tên cho tài khoản hệ thống."), code="name")
    if role not in ROLES:
        raise InvalidInput(_("Tài khoản hệ thống chỉ giữ vai trò văn thư hoặc chuyên viên."), code="role")
    if unit is not None and unit.agency_id != agency.pk:
        raise InvalidInput(_("Đơn vị không thuộc cơ quan."), code="unit")
    with transaction.atomic():
        user = User(username=f"system.{agency.pk}.{secrets.token_hex(4)}", full_name=name[:150], agency=agency,
                    unit=unit, position=_("Tài khoản hệ thống"))
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.create(user=user, agency=agency, role=role)
        account = SystemAccount.objects.create(user=user, description=(description or "").strip()[:255],
                                               created_by=actor)
        audit.record("api.account_create", user, user=actor, agency_code=agency.code,
                     detail={"name": name, "role": role, "unit": getattr(unit, "name", ""), "username": user.username})
    return account


def issue_token(actor, account: SystemAccount, *, name: str, scopes, days: int) -> str:
    """A token for the account with these scopes, valid `days` days: the clear token is returned
    once and never stored (only its hash)."""
    agency = account.user.agency
    _check_admin(actor, agency)
    if not account.user.is_active:
        raise InvalidInput(_("Tài khoản hệ thống đã ngừng hoạt động."), code="INACTIVE")
    scopes = sorted(set(scopes))
    if not scopes or set(scopes) - set(SCOPES):
        raise InvalidInput(_("Chọn ít nhất một phạm vi hợp lệ."), code="scopes")
    if not 1 <= int(days) <= MAX_DAYS:
        raise InvalidInput(_("Thời hạn từ 1 đến 365 ngày."), code="days")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(key_hash=hash_token(token), user=account.user, name=(name or "").strip()[:100],
                                      scopes=scopes, issued_by=actor,
                                      expires_at=timezone.now() + timedelta(days=int(days)))
        audit.record("api.token_issue", account.user, user=actor, agency_code=agency.code,
                     detail={"token": row.pk, "name": row.name, "scopes": scopes, "days": int(days)})
    return token


def revoke_token(actor, account: SystemAccount, token_id: int) -> ApiToken:
    _check_admin(actor, account.user.agency)
    found = ApiToken.objects.filter(pk=token_id, user=account.user).first()
    if found is None:
        raise NotFound(_("Không tìm thấy khóa API."))
    if found.revoked_at is None:
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
        audit.record("api.token_revoke", account.user, user=actor, agency_code=account.user.agency.code,
                     detail={"token": found.pk, "name": found.name})
    return found


def deactivate(actor, account: SystemAccount) -> None:
    """The account stops: every token of it revoked; its history stays."""
    _check_admin(actor, account.user.agency)
    if not account.user.is_active:
        return
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(pk=account.user_id).update(is_active=False)
        account.user.is_active = False
        revoked = ApiToken.objects.filter(user=account.user, revoked_at__isnull=True).update(revoked_at=now)
        audit.record("api.account_deactivate", account.user, user=actor, agency_code=account.user.agency.code,
                     detail={"tokens_revoked": revoked})

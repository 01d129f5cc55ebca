"""Agencies (QCVN 102 tree), their internal units, people, positions and roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.dispatch import Signal
from django.utils import timezone

from vpdt.core.prepared import Read, ReferenceRead
from vpdt.directory import codes
from vpdt.directory.roles import AGENCY_WIDE_ROLES, Role


def validate_agency_code(value: str) -> None:
    try:
        codes.parse_code(value)
    except codes.InvalidAgencyCode as exc:
        raise ValidationError(str(exc), code="invalid_agency_code") from exc


def validate_qd20_code(value: str) -> None:
    if not value:
        return
    try:
        codes.check_qd20_code(value)
    except codes.InvalidAgencyCode as exc:
        raise ValidationError(str(exc), code="invalid_agency_code") from exc


class Agency(models.Model):
    """A body with its own seal, clerk and registers (cơ quan, tổ chức)."""

    code = models.CharField("mã định danh", max_length=20, unique=True, validators=[validate_agency_code])
    # Its code in the QĐ 20/2020/QĐ-TTg scheme (Thông tư 01/2022/TT-BTTTT), when known: packages
    # addressed to either code reach it; it still writes its QCVN 102 `code` as From.
    # db_default: rows written by code that predates the column (older migrations' states) get "".
    code_qd20 = models.CharField("mã định danh theo QĐ 20/2020", max_length=20, blank=True, default="",
                                 db_default="", validators=[validate_qd20_code])
    name = models.CharField("tên cơ quan", max_length=255)
    abbreviation = models.CharField(
        "chữ viết tắt", max_length=30, help_text="Dùng trong ký hiệu văn bản, ví dụ UBND, STTTT, VPUBND."
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="cơ quan cấp trên"
    )
    level = models.PositiveSmallIntegerField("cấp", default=1)
    place = models.CharField("địa danh", max_length=100, blank=True, help_text="Địa danh ghi trên văn bản.")
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    phone = models.CharField("điện thoại", max_length=40, blank=True)
    fax = models.CharField("fax", max_length=40, blank=True)
    website = models.CharField("trang thông tin", max_length=200, blank=True)
    interconnected = models.BooleanField(
        "liên thông", default=True, help_text="Nhận văn bản điện tử qua trục liên thông."
    )
    max_upload_mb = models.PositiveIntegerField(
        "dung lượng tối đa mỗi tệp (MB)", null=True, blank=True, help_text="Để trống: theo cấu hình chung."
    )
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "cơ quan"
        verbose_name_plural = "cơ quan"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code_qd20"], condition=~models.Q(code_qd20=""),
                                               name="agency_code_qd20_unique")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_agency_code(self.code)
        validate_qd20_code(self.code_qd20)

    @classmethod
    def by_code(cls, code: str):
        """The agencies carrying `code` as their QCVN 102 or their QĐ 20/2020 code."""
        code = (code or "").strip()
        return cls.objects.filter(models.Q(code=code) | models.Q(code_qd20=code)) if code else cls.objects.none()

    @staticmethod
    def aliases(code: str) -> set[str]:
        """`code` and the other code of the agency of the directory that carries it."""
        found = {code}
        if (code or "").strip():  # every package and status asks: written out once (vpdt.core.prepared)
            for row in _ALIASES.rows(code=code.strip()):
                found.update(c for c in row if c)
        return found

    def save(self, *args, **kwargs):
        parsed = codes.parse_code(self.code)
        self.code_qd20 = codes.check_qd20_code(self.code_qd20) if (self.code_qd20 or "").strip() else ""
        if self.parent_id is None:
            # Derive the parent from the code when it is in the directory; otherwise the
            # tree position is whatever the administrator sets.
            parent = parsed.parent
            while parent is not None and self.parent_id is None:
                found = Agency.objects.filter(code=str(parent)).only("id", "level").first()
                if found:
                    self.parent = found
                parent = parent.parent
        self.level = (self.parent.level + 1) if self.parent_id else parsed.level
        super().save(*args, **kwargs)

    def upload_limit_bytes(self) -> int:
        from django.conf import settings

        mb = self.max_upload_mb or settings.VPDT_MAX_UPLOAD_MB
        return mb * 1024 * 1024


class Unit(models.Model):
    """An internal unit (phòng, ban, văn phòng): no seal, no registers of its own."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="units", verbose_name="cơ quan")
    name = models.CharField("tên đơn vị", max_length=255)
    abbreviation = models.CharField("chữ viết tắt", max_length=20, help_text="Ví dụ VP, VX, KT.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="đơn vị cấp trên"
    )
    active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị (phòng ban)"
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "abbreviation"], name="unit_abbreviation_unique")]

    def __str__(self) -> str:
        return f"{self.name} – {self.agency.abbreviation}"


class User(AbstractUser):
    """A person: belongs to one agency (and a unit in it); roles say what they may do."""

    full_name = models.CharField("họ và tên", max_length=150, blank=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="people", verbose_name="cơ quan"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="people", verbose_name="đơn vị"
    )
    position = models.CharField("chức vụ", max_length=150, blank=True)
    phone = models.CharField("điện thoại", max_length=40, blank=True)

    class Meta:
        verbose_name = "cán bộ"
        verbose_name_plural = "cán bộ, người dùng"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()

    def save(self, *args, **kwargs):
        # set_password() keeps the new raw password until the save; the upgrade of an old
        # hash at login does not (Django clears it first), so only a real change is announced.
        changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if changed:
            password_changed.send(sender=type(self), user=self)

    # Roles are cached per instance: permission checks ask often within one request.
    def role_set(self, agency_id: int | None = None) -> set[str]:
        cache = getattr(self, "_role_cache", None)
        if cache is None:
            cache = {}
            for agency, role in (_ROLES.rows(user_id=self.pk) if self.pk else []):
                cache.setdefault(agency, set()).add(role)
            self._role_cache = cache
        if agency_id is None:
            return set().union(*cache.values()) if cache else set()
        return set(cache.get(agency_id, set()))

    def has_role(self, role: str, agency: Agency | int | None = None) -> bool:
        agency_id = agency.pk if isinstance(agency, Agency) else agency
        if agency_id is None:
            agency_id = self.agency_id
        return role in self.role_set(agency_id)

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser or Role.PLATFORM_ADMIN in self.role_set()

    def agencies_with_wide_view(self) -> list[int]:
        self.role_set()
        return [a for a, roles in self._role_cache.items() if roles & AGENCY_WIDE_ROLES]

    def member_agency_ids(self) -> set[int]:
        self.role_set()
        ids = set(self._role_cache.keys())
        if self.agency_id:
            ids.add(self.agency_id)
        return ids

    def admin_agency_ids(self) -> list[int]:
        self.role_set()
        return [a for a, roles in self._role_cache.items() if Role.AGENCY_ADMIN in roles]


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name="cán bộ")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="role_assignments", verbose_name="cơ quan")
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "vai trò"
        verbose_name_plural = "vai trò"
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="role_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.agency.abbreviation}"


class ExternalIdentity(models.Model):
    """A person's account at the province's single sign-on (issuer + subject), linked to one user.

    Written only by `vpdt.directory.sso.resolve` on the first sign-in through that provider;
    later sign-ins find the person by this link alone, whatever the provider's other claims say.
    """

    issuer = models.CharField("nhà cung cấp định danh", max_length=255)
    subject = models.CharField("mã định danh tại nhà cung cấp", max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities",
                             verbose_name="cán bộ")
    matched_by = models.CharField("liên kết theo", max_length=64, blank=True,
                                  help_text="Thông tin của nhà cung cấp đã dùng để nhận ra cán bộ lần đầu.")
    linked_at = models.DateTimeField("thời điểm liên kết", auto_now_add=True)

    class Meta:
        verbose_name = "tài khoản đăng nhập một cửa"
        verbose_name_plural = "tài khoản đăng nhập một cửa"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique"),
            # One account per person at each provider: a second one is a new person or a takeover.
            models.UniqueConstraint(fields=["issuer", "user"], name="external_identity_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.issuer}"
# Sent after a person's password was changed and saved (not when an old hash is upgraded).
# vpdt.directory.accounts ends their API tokens and their sessions on it.
password_changed = Signal()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token of the API: only its hash is stored; the token is shown once.

    Here with the person (not in vpdt.api) because the person's own page lists, creates and
    revokes them; the table keeps its first name.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="cán bộ")
    name = models.CharField("tên gợi nhớ", max_length=100, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    expires_at = models.DateTimeField("hết hạn lúc")
    last_used_at = models.DateTimeField("dùng lần cuối", null=True, blank=True)
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)
    # --- api: what a system account's token may do (vpdt.directory.system_accounts.SCOPES); a
    # person's own token has none listed and reads only (system_accounts.PERSONAL_SCOPES).
    scopes = models.JSONField("phạm vi", default=list, blank=True)
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name="cấp bởi")

    class Meta:
        db_table = "api_apitoken"
        verbose_name = "khóa truy cập API"
        verbose_name_plural = "khóa truy cập API"

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @classmethod
    def issue(cls, user, lifetime_seconds: int = 12 * 3600, name: str = "") -> str:
        token = secrets.token_urlsafe(32)
        cls.objects.create(key_hash=hash_token(token), user=user, name=name,
                           expires_at=timezone.now() + timedelta(seconds=lifetime_seconds))
        return token


class SystemAccount(models.Model):
    """--- api: an account that another system uses through the API (no person, no password): a
    User row of its agency holding one role, so the same permission checks apply to it; its
    agency admin issues and revokes its scoped tokens (vpdt.directory.system_accounts)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="system_account",
                                verbose_name="tài khoản")
    description = models.CharField("mô tả", max_length=255, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name="tạo bởi")
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)

    class Meta:
        verbose_name = "tài khoản hệ thống"
        verbose_name_plural = "tài khoản hệ thống"

    def __str__(self) -> str:
        return str(self.user)


class UserSession(models.Model):
    """A signed-in browser of a person: what their page "Phiên đăng nhập" lists and may end.

    The session itself stays in Django's session store; this row names it (device,
    address, last seen) so it can be found and ended without decoding every session.
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions", verbose_name="cán bộ")
    ip = models.GenericIPAddressField("địa chỉ", null=True, blank=True)
    user_agent = models.CharField("trình duyệt", max_length=255, blank=True)
    created_at = models.DateTimeField("đăng nhập lúc", auto_now_add=True)
    last_seen = models.DateTimeField("hoạt động lần cuối", default=timezone.now)

    class Meta:
        verbose_name = "phiên đăng nhập"
        verbose_name_plural = "phiên đăng nhập"
        indexes = [models.Index(fields=["user", "-last_seen"], name="usersession_user_seen")]

    def __str__(self) -> str:
        return f"{self.user} – {self.ip or '-'}"


class AdminRequest(models.Model):
    """A change an agency admin may not make alone to a protected person (a leader, a signer,
    an administrator): it waits for the platform admin's approval (four eyes).

    Written only by `vpdt.directory.oversight`.
    """

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", "Đặt lại mật khẩu"
        SECOND_FACTOR_RESET = "mfa_reset", "Đặt lại xác thực hai lớp"
        ROLE_CHANGE = "role_change", "Thay đổi vai trò"
        DEACTIVATE = "deactivate", "Khóa tài khoản"

    class State(models.TextChoices):
        PENDING = "pending", "Chờ phê duyệt"
        REFUSED = "refused", "Bị từ chối"
        DONE = "done", "Đã thực hiện"

    kind = models.CharField("loại yêu cầu", max_length=20, choices=Kind.choices)
    target = models.ForeignKey(User, on_delete=models.CASCADE, related_name="admin_requests_about",
                               verbose_name="cán bộ được thay đổi")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="cơ quan")
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="admin_requests_made",
                                     verbose_name="người đề nghị")
    reason = models.TextField("lý do")
    # A role change: {"add": ["leader"], "remove": ["specialist"]} in the target's agency.
    payload = models.JSONField("nội dung thay đổi", default=dict, blank=True)
    state = models.CharField("trạng thái", max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name="người phê duyệt")
    decision_note = models.TextField("ghi chú phê duyệt", blank=True)
    created_at = models.DateTimeField("đề nghị lúc", auto_now_add=True)
    decided_at = models.DateTimeField("quyết định lúc", null=True, blank=True)

    class Meta:
        verbose_name = "yêu cầu cần phê duyệt (bốn mắt)"
        verbose_name_plural = "yêu cầu cần phê duyệt (bốn mắt)"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "-created_at"], name="adminrequest_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.target}"


class RecipientGroup(models.Model):
    """A named list of agencies picked as one recipient ("Các sở, ban, ngành", "UBND các xã").

    With an agency: that agency's own group, kept by its admin and offered to its people only.
    Without: a province-wide group, kept by the platform admin and offered to every agency.
    Written only by `vpdt.directory.recipients`.
    """

    name = models.CharField("tên nhóm", max_length=150)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="recipient_groups", verbose_name="cơ quan",
                               help_text="Để trống: nhóm dùng chung toàn tỉnh.")
    members = models.ManyToManyField(Agency, related_name="in_recipient_groups", verbose_name="cơ quan trong nhóm")
    active = models.BooleanField("đang dùng", default=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "nhóm nơi nhận"
        verbose_name_plural = "nhóm nơi nhận"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="recipient_group_name_unique"),
            models.UniqueConstraint(fields=["name"], condition=models.Q(agency__isnull=True),
                                    name="recipient_group_province_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class FavouriteAgency(models.Model):
    """An agency a person sends to often: the recipient picker shows it first. Written only by
    `vpdt.directory.recipients`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="favourite_agencies",
                             verbose_name="cán bộ")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", verbose_name="cơ quan")
    created_at = models.DateTimeField("đánh dấu lúc", auto_now_add=True)

    class Meta:
        verbose_name = "cơ quan thường gửi"
        verbose_name_plural = "cơ quan thường gửi"
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="favourite_agency_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.agency.abbreviation}"


# Every signed-in request asks for the person's roles: one prepared statement (vpdt.core.prepared).
_ROLES = Read(lambda user_id: RoleAssignment.objects.filter(user_id=user_id).values_list("agency_id", "role"),
              user_id=int)


# (by_code's own strip would change the marker the read is written with: the code comes stripped)
_ALIASES = ReferenceRead(lambda code: Agency.objects.filter(models.Q(code=code) | models.Q(code_qd20=code))
                         .order_by().values_list("code", "code_qd20"), code=str)

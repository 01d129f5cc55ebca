from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from vpdt.core.models import AuditEntry
from vpdt.directory import oversight
from vpdt.directory.admin_scope import AgencyScopedAdmin, PlatformOnlyAdmin
from vpdt.directory.models import AdminRequest, Agency, ExternalIdentity, RoleAssignment, Unit, User
from vpdt.directory.roles import Role


@admin.register(Agency)
class AgencyAdmin(PlatformOnlyAdmin):
    list_display = ["code", "code_qd20", "name", "abbreviation", "parent", "level", "interconnected", "active"]
    search_fields = ["code", "code_qd20", "name"]
    list_filter = ["level", "interconnected", "active"]
    readonly_fields = ["level"]


@admin.register(Unit)
class UnitAdmin(AgencyScopedAdmin):
    list_display = ["name", "abbreviation", "agency", "active"]
    search_fields = ["name"]


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not AgencyScopedAdmin.is_platform_admin(request) and db_field.name == "agency":
            kwargs["queryset"] = Agency.objects.filter(pk__in=request.user.admin_agency_ids())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not AgencyScopedAdmin.is_platform_admin(request):
            # An agency admin grants leaders' and admins' roles only through a request the
            # platform admin approves (vpdt.directory.oversight), never here.
            kwargs["choices"] = [c for c in Role.choices if c[0] not in oversight.PROTECTED_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def _locked(self, request, obj) -> bool:
        return obj is not None and oversight.needs_four_eyes(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(AgencyScopedAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "agency", "unit", "position", "is_active"]
    list_filter = ["is_active", "agency"]
    search_fields = ["username", "full_name", "email"]
    inlines = [RoleInline]
    actions = ["unlock_login"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin cán bộ", {"fields": ("full_name", "email", "phone", "agency", "unit", "position")}),
        ("Trạng thái", {"fields": ("is_active", "is_staff")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2", "full_name", "agency", "unit", "position")}),
    )

    @admin.action(description="Mở khóa đăng nhập (xóa các lần đăng nhập sai)")
    def unlock_login(self, request, queryset):
        from vpdt.directory import accounts

        done = [person for person in queryset if accounts.can_manage(request.user, person)]
        for person in done:
            accounts.unlock(request.user, person)
        self.message_user(request, f"Đã mở khóa đăng nhập cho {len(done)} người.")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.is_platform_admin(request):
            fields.append("is_staff")  # an admin is made by granting the role (four eyes)
            if obj is not None and oversight.needs_four_eyes(request.user, obj):
                # the e-mail too: changed, it would receive the reset link of "quên mật khẩu"
                fields += ["is_active", "email", "username"]
        return fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and oversight.needs_four_eyes(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        for person in queryset:
            oversight.guard(request.user, person, AdminRequest.Kind.DEACTIVATE)
        super().delete_queryset(request, queryset)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and oversight.needs_four_eyes(request.user, obj):
            messages.warning(request, format_html(
                "{} <a href=\"{}\">{}</a>",
                _("Cán bộ này là %(why)s: đổi mật khẩu, xác thực hai lớp, vai trò hay khóa tài khoản cần quản trị "
                  "hệ thống phê duyệt.") % {"why": ", ".join(oversight.protected_reasons(obj))},
                reverse("web:admin_person", args=[obj.pk]), _("Gửi yêu cầu phê duyệt")))
        return super().change_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request, id, form_url=""):
        """The admin's "change password" form: refused for a protected person (four eyes); the
        request page sends them a reset link once the platform admin approves."""
        obj = self.get_object(request, id)
        if obj is not None:
            try:
                oversight.guard(request.user, obj, AdminRequest.Kind.PASSWORD_RESET)
            except oversight.FourEyesRequired as exc:
                messages.error(request, exc.message)
                return redirect("web:admin_person", obj.pk)
        return super().user_change_password(request, id, form_url)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.is_platform_admin(request):
            return (*fieldsets, ("Quyền hệ thống", {"fields": ("is_superuser",)}))
        return fieldsets


@admin.register(AuditEntry)
class AuditEntryAdmin(AgencyScopedAdmin):
    """Read-only: the log is append-only."""

    agency_field = "agency_code"
    list_display = ["at", "actor_name", "agency_code", "action", "object_type", "object_id", "ip", "via"]
    list_filter = ["action", "via"]
    search_fields = ["actor_name", "object_id", "action"]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if self.is_platform_admin(request):
            return qs
        codes = Agency.objects.filter(pk__in=self.admin_agencies(request)).values_list("code", flat=True)
        return qs.filter(agency_code__in=list(codes))

    def has_view_permission(self, request, obj=None):
        return self.is_platform_admin(request) or bool(self.admin_agencies(request))

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(AgencyScopedAdmin):
    """Links to the single sign-on: seen and removed here, made only by a sign-in (vpdt.directory.sso)."""

    agency_field = "user__agency"
    list_display = ["user", "issuer", "subject", "matched_by", "linked_at"]
    search_fields = ["user__username", "user__full_name", "subject"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        from vpdt.directory import sso

        sso.unlink(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for link in queryset:
            self.delete_model(request, link)

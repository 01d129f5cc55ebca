from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from vpdt.core.admin_scope import AgencyScopedAdmin, PlatformOnlyAdmin
from vpdt.directory.models import Agency, RoleAssignment, Unit, User
from vpdt.directory.roles import Role


@admin.register(Agency)
class AgencyAdmin(PlatformOnlyAdmin):
    list_display = ["code", "name", "abbreviation", "parent", "level", "interconnected", "active"]
    search_fields = ["code", "name"]
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
            # An agency admin cannot create platform admins.
            kwargs["choices"] = [c for c in Role.choices if c[0] != Role.PLATFORM_ADMIN]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(AgencyScopedAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "agency", "unit", "position", "is_active"]
    list_filter = ["is_active", "agency"]
    search_fields = ["username", "full_name", "email"]
    inlines = [RoleInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin cán bộ", {"fields": ("full_name", "email", "phone", "agency", "unit", "position")}),
        ("Trạng thái", {"fields": ("is_active", "is_staff")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2", "full_name", "agency", "unit", "position")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.is_platform_admin(request):
            return (*fieldsets, ("Quyền hệ thống", {"fields": ("is_superuser",)}))
        return fieldsets

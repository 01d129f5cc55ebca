"""Django admin for two kinds of administrator: the platform admin sees everything; an agency
admin sees and edits only what belongs to their own agency.

Here in directory (not core) because scoping needs the agencies and units; every app above
directory builds its admin pages on these two classes.
"""

from __future__ import annotations

from django.contrib import admin

from vpdt.directory.models import Agency, Unit


class AgencyScopedAdmin(admin.ModelAdmin):
    """`agency_field` is the lookup from the model to its Agency (e.g. "agency", "document__agency")."""

    agency_field = "agency"

    @staticmethod
    def is_platform_admin(request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or getattr(user, "is_platform_admin", False))

    @staticmethod
    def admin_agencies(request) -> list[int]:
        user = request.user
        return user.admin_agency_ids() if user.is_active and user.is_staff else []

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.is_platform_admin(request):
            return qs
        return qs.filter(**{f"{self.agency_field}__in": self.admin_agencies(request)})

    def _allowed(self, request, obj=None) -> bool:
        if self.is_platform_admin(request):
            return True
        agencies = self.admin_agencies(request)
        if not agencies:
            return False
        if obj is None:
            return True
        parts = self.agency_field.split("__")
        value = obj
        for part in parts[:-1]:
            value = getattr(value, part, None)
            if value is None:
                return False
        return getattr(value, parts[-1] + "_id", None) in agencies

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not self.is_platform_admin(request):
            agencies = self.admin_agencies(request)
            if db_field.related_model is Agency:
                kwargs["queryset"] = Agency.objects.filter(pk__in=agencies)
            elif db_field.related_model is Unit:
                kwargs["queryset"] = Unit.objects.filter(agency__in=agencies)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PlatformOnlyAdmin(admin.ModelAdmin):
    def _allowed(self, request):
        return AgencyScopedAdmin.is_platform_admin(request)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

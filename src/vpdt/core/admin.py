from django.contrib import admin

from vpdt.core.admin_scope import AgencyScopedAdmin
from vpdt.core.models import AuditEntry

admin.site.site_header = "Quản trị văn phòng điện tử vpdt"
admin.site.site_title = "vpdt"
admin.site.index_title = "Quản trị"


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
        from vpdt.directory.models import Agency

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

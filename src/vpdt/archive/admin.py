from django.contrib import admin

from vpdt.archive.models import RetentionPeriod
from vpdt.directory.admin_scope import PlatformOnlyAdmin


# The retention table is the platform's (like the document types): the platform admin keeps it;
# migration 0002 seeds a starting table (vpdt.archive.seed).
@admin.register(RetentionPeriod)
class RetentionPeriodAdmin(PlatformOnlyAdmin):
    list_display = ["code", "name", "label", "field", "order"]
    list_filter = ["field"]
    search_fields = ["code", "name"]
    ordering = ["order", "code"]

    @admin.display(description="thời hạn")
    def label(self, obj):
        return obj.label

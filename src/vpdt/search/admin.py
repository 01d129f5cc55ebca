"""The text extraction's progress for the platform admin: states, methods, errors; never the text
itself (the platform admin runs agencies, not their documents)."""

from django.contrib import admin
from django.db.models import Count

from vpdt.directory.admin_scope import PlatformOnlyAdmin
from vpdt.search.models import FileText


@admin.register(FileText)
class FileTextAdmin(PlatformOnlyAdmin):
    list_display = ["id", "document_id", "file_kind", "state", "method", "pages", "ocr_pages", "truncated",
                    "error_code", "seconds", "finished_at"]
    list_filter = ["state", "method", "file_kind"]
    fields = ["document_id", "attachment_id", "version_id", "blob_id", "file_kind", "state", "method", "pages",
              "ocr_pages", "truncated", "error_code", "error_detail", "attempts", "seconds", "created_at",
              "finished_at"]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        counts = {r["state"]: r["n"] for r in FileText.objects.values("state").annotate(n=Count("pk")).order_by()}
        title = ", ".join(f"{label}: {counts.get(value, 0)}" for value, label in FileText.State.choices)
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

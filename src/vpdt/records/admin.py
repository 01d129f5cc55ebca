from django.contrib import admin

from vpdt.directory.admin_scope import AgencyScopedAdmin, PlatformOnlyAdmin
from vpdt.records.models import DocumentType, Register


@admin.register(DocumentType)
class DocumentTypeAdmin(PlatformOnlyAdmin):
    list_display = ["name", "abbreviation", "code", "is_normative", "is_copy", "order"]


@admin.register(Register)
class RegisterAdmin(AgencyScopedAdmin):
    list_display = ["name", "agency", "year", "direction", "series", "last_number", "closed"]
    list_filter = ["year", "direction"]
    readonly_fields = ["last_number"]

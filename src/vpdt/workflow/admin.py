"""Admin: the agency admin edits their approval chains and sees delegations (nothing of other
agencies); the platform admin enters each year's official days off and working days."""

from django.contrib import admin

from vpdt.directory.admin_scope import AgencyScopedAdmin, PlatformOnlyAdmin
from vpdt.directory.models import User
from vpdt.workflow.models import ApprovalChain, ApprovalStep, Delegation, OfficialDay


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 1
    fields = ["order", "label", "kind", "role", "user", "is_signer"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not AgencyScopedAdmin.is_platform_admin(request):
            kwargs["queryset"] = User.objects.filter(agency__in=AgencyScopedAdmin.admin_agencies(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ApprovalChain)
class ApprovalChainAdmin(AgencyScopedAdmin):
    list_display = ["name", "agency", "is_default", "active"]
    list_filter = ["active"]
    inlines = [ApprovalStepInline]


@admin.register(Delegation)
class DelegationAdmin(AgencyScopedAdmin):
    list_display = ["principal", "deputy", "starts_on", "ends_on", "reason", "revoked_at"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(OfficialDay)
class OfficialDayAdmin(PlatformOnlyAdmin):
    """Each year's official days off and working days: the platform admin's, for every agency."""

    list_display = ["day", "kind", "name", "decision"]
    list_filter = ["kind"]
    date_hierarchy = "day"
    search_fields = ["name", "decision"]

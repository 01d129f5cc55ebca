"""Admin: agency admins manage their people's and agency's keys; the trust store is the platform admin's."""

from __future__ import annotations

from django.contrib import admin

from vpdt.directory.admin_scope import AgencyScopedAdmin, PlatformOnlyAdmin
from vpdt.signing.models import SignatureCheck, SigningKey, SigningPolicy, TrustAnchor


@admin.register(TrustAnchor)
class TrustAnchorAdmin(PlatformOnlyAdmin):
    list_display = ("name", "subject", "not_after", "active")
    readonly_fields = ("subject", "fingerprint", "not_after")
    fields = ("name", "pem", "active", "subject", "fingerprint", "not_after")


@admin.register(SigningKey)
class SigningKeyAdmin(AgencyScopedAdmin):
    # Keys of people are scoped by the person's agency: an agency admin sees only the agency's own.
    agency_field = "user__agency"
    list_display = ("__str__", "kind", "purpose", "subject", "active", "created_at")
    list_filter = ("kind", "purpose", "active")
    readonly_fields = ("subject", "created_at")
    fields = ("user", "agency", "kind", "purpose", "label", "active", "pkcs11_lib", "token_label", "key_label",
              "remote_url", "remote_key_id", "subject", "created_at")

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if self.is_platform_admin(request):
            return qs
        agencies = self.admin_agencies(request)
        from django.db.models import Q

        return qs.filter(Q(agency__in=agencies) | Q(user__agency__in=agencies))

    def _allowed(self, request, obj=None) -> bool:
        if obj is not None and obj.agency_id and not self.is_platform_admin(request):
            return obj.agency_id in self.admin_agencies(request)
        return super()._allowed(request, obj)


@admin.register(SigningPolicy)
class SigningPolicyAdmin(AgencyScopedAdmin):
    list_display = ("agency", "require_signatures")


@admin.register(SignatureCheck)
class SignatureCheckAdmin(AgencyScopedAdmin):
    agency_field = "document__agency"
    list_display = ("attachment", "document", "overall", "checked_at")
    list_filter = ("overall",)
    readonly_fields = ("attachment", "document", "overall", "signatures", "detail", "checked_at")

    def has_add_permission(self, request):
        return False

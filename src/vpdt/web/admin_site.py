"""The /admin/ site asks for the second factor too (django-otp's OTPAdminSite).

Staff whom the policy names (VPDT_MFA_REQUIRED_FOR, see vpdt.directory.mfa), or who have a
device, must have typed a code in this session; the admin's own login page asks for it
beside the password. With the policy "none", staff without a device sign in as before.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from vpdt.directory import mfa


def _second_factor_applies(user) -> bool:
    return mfa.required_for(user) or mfa.has_device(user)


class SecondFactorAdminLoginForm(OTPAdminAuthenticationForm):
    """The password, and the code when the person has a device or the policy names them."""

    def clean_otp(self, user):
        if user is not None and not _second_factor_applies(user):
            return
        super().clean_otp(user)


class SecondFactorAdminSite(OTPAdminSite):
    login_form = SecondFactorAdminLoginForm

    def has_permission(self, request):
        user = request.user
        if user.is_active and user.is_staff and _second_factor_applies(user):
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)

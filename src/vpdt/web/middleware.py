"""The second factor before anything else (vpdt.directory.mfa has the policy and the devices).

A signed-in person who has a device but has not typed a code in this session is sent to the
code page; one the policy names (VPDT_MFA_REQUIRED_FOR) without a device is sent to enrolment.
Open meanwhile: those two pages, signing out, static files, the language switch, the health
check, and the machine interfaces that carry their own credentials (API tokens, the hub).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from vpdt.directory import mfa

OPEN_PREFIXES = ("/api/", "/hub/", "/healthz", "/i18n/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        target = self._gate(request)
        return redirect(target) if target else self.get_response(request)

    def _gate(self, request) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        path = request.path_info
        verify, enrol = reverse("web:mfa_verify"), reverse("web:mfa_enrol")
        static = settings.STATIC_URL or "/static/"
        if (path in (verify, enrol, reverse("web:logout")) or path.startswith(static)
                or path.startswith(OPEN_PREFIXES)):
            return None
        if mfa.has_device(user):
            target = verify
        elif mfa.required_for(user):
            target = enrol
        else:
            return None
        wanted = request.get_full_path() if request.method == "GET" else ""
        return f"{target}?{urlencode({'next': wanted})}" if wanted and wanted != "/" else target

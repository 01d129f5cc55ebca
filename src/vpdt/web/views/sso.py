"""Signing in through the province's single sign-on (OpenID Connect): the start and the callback.

mozilla-django-oidc's views do the protocol (state, nonce, PKCE); these only take the
provider's authorization endpoint from discovery, and bring every failure back to the login
page with a Vietnamese message instead of an error page.
"""

from __future__ import annotations

import logging

import requests
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from vpdt.core.errors import VpdtError
from vpdt.directory.sso import provider_config, sso_enabled

log = logging.getLogger(__name__)


def _back_to_login(request, message) -> HttpResponseRedirect:
    messages.error(request, message)
    return HttpResponseRedirect(reverse("web:login"))


class Start(OIDCAuthenticationRequestView):
    def __init__(self, *args, **kwargs):  # the parent reads the endpoint from settings; ours is discovered
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID", "")

    def get(self, request):
        if not sso_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_config()["authorization_endpoint"]
        except VpdtError as exc:
            log.warning("single sign-on unavailable: %s %s", exc.code, exc.detail)
            return _back_to_login(request, exc.message)
        return super().get(request)


class Callback(OIDCAuthenticationCallbackView):
    def get(self, request):
        if not sso_enabled():
            raise Http404
        try:
            return super().get(request)
        except VpdtError as exc:
            log.warning("single sign-on failed: %s %s", exc.code, exc.detail)
            return _back_to_login(request, exc.message)
        except (SuspiciousOperation, requests.RequestException) as exc:
            # A replayed or foreign state, a refused code, a token that does not verify.
            log.warning("single sign-on failed: %s", exc)
            return _back_to_login(request, _("Đăng nhập một cửa không thành công, vui lòng thử lại."))

    def login_failure(self):
        refusal = getattr(self.request, "sso_refusal", None)
        if refusal is not None:
            return _back_to_login(self.request, refusal.message)
        if self.request.GET.get("error"):
            log.info("single sign-on: the provider answered %s", self.request.GET.get("error"))
        return _back_to_login(self.request, _("Đăng nhập một cửa không thành công, vui lòng thử lại."))

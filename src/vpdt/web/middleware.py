"""Sessions end after VPDT_SESSION_IDLE_SECONDS without activity and SESSION_COOKIE_AGE after
signing in; each signed-in browser keeps its row (vpdt.directory.accounts) up to date.

A request the page makes by itself (the bell's refresh, the session timer's question) says
so with the `X-VPDT-Background` header and does not count as activity, or the bell alone
would keep an abandoned session open forever.

The second factor before anything else (SecondFactorMiddleware; vpdt.directory.mfa has the
policy and the devices): a signed-in person who has a device but has not typed a code in this
session is sent to the code page; one the policy names (VPDT_MFA_REQUIRED_FOR) without a device is sent to enrolment.
Open meanwhile: those two pages, signing out, static files, the language switch, the health
check, and the machine interfaces that carry their own credentials (API tokens, the hub).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware

from vpdt.directory import accounts, mfa

BACKGROUND_HEADER = "HTTP_X_VPDT_BACKGROUND"


def is_background(request) -> bool:
    return bool(request.META.get(BACKGROUND_HEADER))


def remaining_seconds(session, now: float | None = None) -> float:
    """How long this session has before it ends (idle or absolute), in seconds."""
    now = time.time() if now is None else now
    seen = session.get(accounts.SESSION_SEEN) or now
    login_at = session.get(accounts.SESSION_LOGIN_AT) or now
    return min(settings.VPDT_SESSION_IDLE_SECONDS - (now - seen), settings.SESSION_COOKIE_AGE - (now - login_at))


def mark_active(request, now: float | None = None) -> None:
    now = time.time() if now is None else now
    request.session[accounts.SESSION_SEEN] = now
    accounts.touch_session(request, request.user)


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        now = time.time()
        if remaining_seconds(session, now) <= 0:
            return self._expired(request)
        if not is_background(request):
            seen = session.get(accounts.SESSION_SEEN)
            # Written at most every minute (a tenth of the idle time when shorter): a session
            # save on every click would be a database write per request.
            step = min(60.0, settings.VPDT_SESSION_IDLE_SECONDS / 10)
            if seen is None or now - seen >= step or session.get(accounts.SESSION_ROW) != session.session_key:
                mark_active(request, now)
        return self.get_response(request)

    def _expired(self, request):
        logout(request)
        messages.info(request, _("Phiên làm việc đã kết thúc vì lâu không hoạt động. Mời đăng nhập lại."))
        if request.headers.get("HX-Request"):
            # HTMX would put the login page inside the bell: send the whole page there instead.
            page = urlparse(request.headers.get("HX-Current-URL", "")).path or "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(page)["Location"]
            return response
        if request.method != "GET":
            # What was typed cannot be replayed after the login; the page's script keeps a
            # copy of the form (sessionStorage) and the login returns to the page.
            referer = urlparse(request.headers.get("Referer", "")).path or "/"
            return redirect_to_login(referer)
        return self.get_response(request)


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
        due = mfa.second_factor_due(user)
        if due is None:
            return None
        target = verify if due == mfa.VERIFY else enrol
        wanted = request.get_full_path() if request.method == "GET" else ""
        return f"{target}?{urlencode({'next': wanted})}" if wanted and wanted != "/" else target


class SessionDeviceMiddleware(OTPMiddleware):
    """django-otp's middleware (request.user.is_verified()), its device read prepared
    (vpdt.directory.mfa.session_device): every request of a leader or an administrator."""

    def _device_from_persistent_id(self, persistent_id: str):
        return mfa.session_device(self._normalize_persistent_id(persistent_id))

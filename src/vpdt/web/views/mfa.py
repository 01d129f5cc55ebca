"""The second factor's pages: enrolment (QR code, secret, first code, recovery codes once) and
the code asked after the password. The rules are in vpdt.directory.mfa."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from vpdt.core.errors import InvalidInput
from vpdt.directory import mfa
from vpdt.web import forms


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    return ""


def _go_on(request):
    return redirect(_next(request) or "workflow:home")


def _qr_svg(url: str) -> str:
    # Drawn here as inline SVG: the secret never leaves this server for a QR service.
    import segno  # only on the enrolment page: not loaded by every web process at start

    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=False,
                                                 title="Mã QR đăng ký ứng dụng xác thực")


@never_cache
@login_required
def enrol(request):
    """Scan the QR code (or type the secret), confirm with a first code; then the recovery codes, once."""
    user = request.user
    if mfa.has_device(user) and not user.is_verified():
        return redirect("web:mfa_verify")  # replacing a device asks for the current one first
    form = forms.OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.confirm_enrolment(user, form.cleaned_data["code"])
        except InvalidInput as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, mfa.totp_device(user))
            return render(request, "web/mfa/recovery.html", {"codes": codes, "next": _next(request)})
    device = mfa.pending_device(user)
    url = mfa.config_url(device, user)
    secret = mfa.secret_of(device)
    return render(request, "web/mfa/enrol.html", {
        "form": form, "qr": mark_safe(_qr_svg(url)),  # noqa: S308 - segno's own SVG markup
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": mfa.required_for(user), "replacing": mfa.has_device(user), "next": _next(request)})


@never_cache
@login_required
def verify(request):
    """The code after the password (from the app, or one recovery code)."""
    user = request.user
    if user.is_verified():
        return _go_on(request)
    if not mfa.has_device(user):
        return redirect("web:mfa_enrol")
    form = forms.OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.check_code(user, form.cleaned_data["code"], purpose="login")
        except InvalidInput as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            return _go_on(request)
    return render(request, "web/mfa/verify.html", {"form": form, "next": _next(request),
                                                   "recovery_left": mfa.recovery_left(user)})


@never_cache
@login_required
def recovery_renew(request):
    """New recovery codes (the old ones stop working), after a code from the app."""
    user = request.user
    if not mfa.has_device(user):
        return redirect("web:mfa_enrol")
    form = forms.OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.renew_recovery_codes(user, form.cleaned_data["code"])
        except InvalidInput as exc:
            form.add_error("code", exc.message)
        else:
            return render(request, "web/mfa/recovery.html", {"codes": codes, "next": ""})
    return render(request, "web/mfa/recovery_renew.html", {"form": form, "recovery_left": mfa.recovery_left(user)})

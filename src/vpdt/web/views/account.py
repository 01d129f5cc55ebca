"""Signing in and the person's own account: "Phiên đăng nhập và khóa API", passwords, the lockout
answer, the session timer's two small endpoints, and the agency admin's page of their people's
logins and lockouts. The rules are in vpdt.directory.accounts."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vpdt.core.errors import VpdtError
from vpdt.directory import accounts
from vpdt.directory.models import UserSession
from vpdt.web import forms
from vpdt.web.middleware import mark_active, remaining_seconds
from vpdt.web.views.errors import forbidden


def lockout_response(request, original_response=None, credentials=None):
    """What a locked account gets, on every way in (settings.AXES_LOCKOUT_CALLABLE): the page
    with the Vietnamese message saying when to try again, or the API's JSON with Retry-After."""
    lockout = accounts.lockout_for(request, credentials)
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response
        response = JsonResponse({"code": "TOO_MANY_ATTEMPTS", "message": lockout.message,
                                 "detail": f"retry after {lockout.seconds} s"}, status=429)
    else:
        response = render(request, "web/login.html", {
            "lockout_message": lockout.message, "next": request.POST.get("next", request.GET.get("next", ""))},
            status=429)
    response["Retry-After"] = str(lockout.seconds)
    return response


def _agency_admin(user) -> bool:
    return accounts.is_agency_admin(user)


@login_required
def account(request):
    """The person's sessions, API tokens and login history, each session and token with its end."""
    user = request.user
    new_token = None
    token_form = forms.TokenCreateForm(request.POST if request.POST.get("action") == "create_token" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        pick = forms.PickForm(request.POST)
        try:
            if action == "create_token":
                if token_form.is_valid():
                    new_token = accounts.create_token(user, name=token_form.cleaned_data["name"],
                                                      lifetime_days=token_form.cleaned_data["days"])
                    messages.success(request, _("Đã tạo khóa API. Hãy chép khóa ngay: khóa chỉ hiện một lần."))
                    token_form = forms.TokenCreateForm()
            elif action == "revoke_token" and pick.is_valid():
                accounts.revoke_token(user, pick.cleaned_data["pk"])
                messages.success(request, _("Đã thu hồi khóa API."))
                return redirect("web:account")
            elif action == "end_session" and pick.is_valid():
                found = UserSession.objects.filter(pk=pick.cleaned_data["pk"], user=user).first()
                if found is None:
                    messages.error(request, _("Không tìm thấy phiên đăng nhập."))
                else:
                    accounts.end_session(user, found)
                    messages.success(request, _("Đã kết thúc phiên đăng nhập."))
                return redirect("web:account")
            elif action == "end_other_sessions":
                count = accounts.end_all_sessions(user, keep=request.session.session_key)
                messages.success(request, _("Đã kết thúc %(count)d phiên đăng nhập khác.") % {"count": count})
                return redirect("web:account")
        except VpdtError as exc:
            messages.error(request, exc.message)
            return redirect("web:account")
    return render(request, "web/account.html", {
        "sessions": accounts.sessions_of(user), "current_key": request.session.session_key,
        "tokens": accounts.tokens_of(user), "token_form": token_form, "new_token": new_token,
        "history": accounts.login_history([user.get_username()], limit=50),
        "is_agency_admin": _agency_admin(user),
    })


@login_required
def people_logins(request):
    """For an agency admin: their people's locked accounts (with unlock) and recent logins."""
    user = request.user
    if not _agency_admin(user):
        return forbidden(request, _("Trang này dành cho quản trị cơ quan."))
    people = accounts.managed_people(user)
    if request.method == "POST":
        pick = forms.PickForm(request.POST)
        person = people.filter(pk=pick.cleaned_data["pk"]).first() if pick.is_valid() else None
        if person is None:
            messages.error(request, _("Không tìm thấy cán bộ."))
        else:
            try:
                accounts.unlock(user, person)
            except VpdtError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Đã mở khóa đăng nhập cho %(name)s.") % {"name": person})
        return redirect("web:people_logins")
    usernames = list(people.values_list("username", flat=True)[:5000])
    locked = []
    for person in people.filter(username__in=accounts.locked_candidates(usernames)):
        lockout = accounts.lockout_of(person.username)
        if lockout:
            locked.append((person, lockout))
    return render(request, "web/people_logins.html", {
        "locked": locked, "history": accounts.login_history(usernames, limit=200)})


@require_GET
def session_status(request):
    """Seconds left in this session; asked by the page's timer without counting as activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"remaining": 0})
    return JsonResponse({"remaining": max(0, math.ceil(remaining_seconds(request.session))),
                         "idle": settings.VPDT_SESSION_IDLE_SECONDS})


@require_POST
def session_keepalive(request):
    """The warning's "Tiếp tục làm việc": counts as activity and says how long the session has now."""
    if not request.user.is_authenticated:
        return JsonResponse({"remaining": 0}, status=401)
    mark_active(request)
    return JsonResponse({"remaining": max(0, math.ceil(remaining_seconds(request.session))),
                         "idle": settings.VPDT_SESSION_IDLE_SECONDS})

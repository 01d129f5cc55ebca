"""Choosing recipients: the picker's search over the agency directory (JSON for web/picker.js),
the person's favourites, and the administration page of recipient groups.

The rules are in vpdt.directory.recipients; these views only parse and answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vpdt.core.errors import VpdtError
from vpdt.core.text import fold
from vpdt.directory import recipients
from vpdt.directory.models import Agency, RecipientGroup
from vpdt.web import forms
from vpdt.web.views.errors import forbidden

MAX_QUERY = 100


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _may_pick(user) -> bool:
    return bool(user.agency_id) or user.is_superuser or user.is_platform_admin


@login_required
@require_GET
def agencies(request):
    """`?q=tai chinh[&nhom=1]`: matching groups and agencies as {"items": [...]}, names and codes only.

    Each item: kind (group, agency), id, label, hint (code, or the group's size), section (the
    heading the picker shows: groups, favourites, then the level of the tree), favourite.
    """
    user = request.user
    if not _may_pick(user):
        return _json({"code": "NO_AGENCY", "message": _("Tài khoản chưa thuộc cơ quan nào.")}, status=403)
    query = request.GET.get("q", "")[:MAX_QUERY]
    items = []
    if request.GET.get("nhom") == "1" and user.agency_id:
        wanted = fold(query)
        for group in recipients.usable_groups(user).prefetch_related("members"):
            if wanted and wanted not in fold(group.name):
                continue
            size = sum(1 for a in group.members.all() if a.active and a.pk != user.agency_id)
            items.append({"kind": "group", "id": group.pk, "label": group.name,
                          "hint": _("%(count)s cơ quan") % {"count": size},
                          "section": _("Nhóm nơi nhận") if group.agency_id else _("Nhóm dùng chung toàn tỉnh"),
                          "favourite": False})
    favourites = recipients.favourite_ids(user)
    # `ca-minh=1`: the platform admin composing a province-wide group may add their own agency.
    own = request.GET.get("ca-minh") == "1" and (user.is_superuser or user.is_platform_admin)
    for agency in recipients.search_agencies(user, query, include_own=own):
        mine = agency.pk in favourites
        items.append({"kind": "agency", "id": agency.pk, "label": agency.name, "hint": agency.code,
                      "section": _("Thường gửi") if mine else recipients.level_label(agency), "favourite": mine})
    return _json({"items": items})


@login_required
@require_POST
def favourite(request):
    """Marks or unmarks a favourite (the chip's star): {"favourite": true|false}."""
    form = forms.FavouriteForm(request.POST)
    if not form.is_valid():
        return _json({"code": "BAD_AGENCY", "message": _("Chọn cơ quan.")}, status=400)
    try:
        mark = recipients.set_favourite(request.user, form.cleaned_data["agency"], form.cleaned_data["favourite"])
    except VpdtError as exc:
        return _json(exc.as_dict(), status=exc.http_status)
    return _json({"favourite": mark})


# ======================================================================================
# Administration: recipient groups (the agency admin: their agency's; the platform admin: the province's)
# ======================================================================================


def _scopes(actor) -> list[Agency | None]:
    """Where `actor` may add a group: None is the province (platform admin)."""
    scopes: list[Agency | None] = []
    if actor.is_superuser or actor.is_platform_admin:
        scopes.append(None)
    scopes += list(Agency.objects.filter(pk__in=actor.admin_agency_ids()).order_by("code"))
    return scopes


def _auto_id(group: RecipientGroup | None, scope: Agency | None) -> str:
    if group is not None:
        return f"g{group.pk}_%s"
    return f"new{scope.pk if scope else 0}_%s"


@login_required
def groups_page(request):
    actor = request.user
    scopes = _scopes(actor)
    if not scopes:
        return forbidden(request, _("Trang này dành cho quản trị cơ quan."))
    failed: dict[str, forms.RecipientGroupForm] = {}
    if request.method == "POST":
        group = None
        if request.POST.get("group"):
            group = recipients.kept_groups(actor).filter(pk=request.POST["group"]).first()
            if group is None:
                raise Http404(_("Không tìm thấy nhóm nơi nhận."))
            scope = group.agency
        else:
            wanted = request.POST.get("scope", "")
            scope = next((s for s in scopes if (str(s.pk) if s else "") == wanted), False)
            if scope is False:
                raise Http404(_("Không tìm thấy cơ quan."))
        form = forms.RecipientGroupForm(request.POST, agency=scope, auto_id=_auto_id(group, scope))
        if form.is_valid():
            c = form.cleaned_data
            try:
                recipients.save_group(actor, group=group, agency=scope, name=c["name"], members=c["members"],
                                      active=c["active"])
            except VpdtError as exc:
                if not form.service_error(exc):
                    form.add_error(None, exc.message)
            else:
                messages.success(request, _("Đã lưu nhóm nơi nhận."))
                return redirect("web:admin_groups")
        failed[_auto_id(group, scope)] = form
    rows = []
    for group in recipients.kept_groups(actor)[:200]:
        key = _auto_id(group, group.agency)
        rows.append({"group": group, "form": failed.get(key) or forms.RecipientGroupForm(
            agency=group.agency, auto_id=key, initial={
                "name": group.name, "active": group.active, "members": [a.pk for a in group.members.all()]})})
    new = [{"scope": s, "form": failed.get(_auto_id(None, s)) or forms.RecipientGroupForm(
        agency=s, auto_id=_auto_id(None, s))} for s in scopes]
    return render(request, "web/admin/groups.html", {"rows": rows, "new": new})

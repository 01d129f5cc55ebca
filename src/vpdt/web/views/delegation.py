"""Ủy quyền: a leader (or the agency admin for an absent leader) hands their queue to a deputy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vpdt.core.errors import VpdtError
from vpdt.directory.models import User
from vpdt.directory.roles import Role
from vpdt.web import forms
from vpdt.workflow import services
from vpdt.workflow.delegation import today
from vpdt.workflow.models import Delegation


@login_required
def delegations(request):
    """Own delegations for leaders and unit heads; the agency admin sees and manages the agency's."""
    user = request.user
    is_admin = bool(user.agency_id) and user.has_role(Role.AGENCY_ADMIN, user.agency_id)
    leaders = User.objects.filter(agency_id=user.agency_id, is_active=True).filter(
        role_assignments__role__in=[Role.LEADER, Role.UNIT_HEAD],
        role_assignments__agency_id=user.agency_id).distinct().order_by("full_name", "pk")
    deputies = leaders if is_admin else leaders.exclude(pk=user.pk)
    posted = request.POST if request.method == "POST" else None
    revoking = posted is not None and "revoke" in posted
    form = forms.DelegationForm(None if revoking else posted, principals=leaders if is_admin else None,
                                deputies=deputies)
    if revoking:
        revoke = forms.RevokeDelegationForm(posted)
        found = (Delegation.objects.filter(pk=revoke.cleaned_data["revoke"], agency_id=user.agency_id).first()
                 if revoke.is_valid() else None)
        if found is None:
            messages.error(request, _("Không tìm thấy ủy quyền."))
        else:
            try:
                services.revoke_delegation(user, found)
            except VpdtError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Đã thu hồi ủy quyền."))
        return redirect("workflow:delegations")
    if posted is not None and form.is_valid():
        c = form.cleaned_data
        try:
            services.delegate(user, deputy=c["deputy"], starts_on=c["starts_on"], ends_on=c["ends_on"],
                              reason=c["reason"], principal=c.get("principal") or user)
        except VpdtError as exc:
            if not form.service_error(exc):
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã ủy quyền."))
            return redirect("workflow:delegations")
    scope = Q(agency_id=user.agency_id) if is_admin else Q(principal=user) | Q(deputy=user)
    items = Delegation.objects.filter(scope).select_related("principal", "deputy").order_by("-starts_on", "-id")[:200]
    return render(request, "web/delegations.html", {"items": items, "is_admin": is_admin, "today": today(),
                                                    "form": form})

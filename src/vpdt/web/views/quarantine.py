"""Gói tin bị cách ly: the received packages the exchange could not take in, for the agency admin.

Each line says why (the reason recorded by vpdt.exchange.quarantine), who sent it and when;
"Thử lại" runs the intake again from the kept package, "Bỏ" gives up on it. Both go through
the exchange's services, which check the permission and write the audit log.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vpdt.core.errors import VpdtError
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.exchange import quarantine
from vpdt.exchange.models import InboxItem
from vpdt.web.views.common import int_or_none
from vpdt.web.views.errors import forbidden


def _may_see(user) -> bool:
    return bool(user.is_staff or (user.agency_id and user.has_role(Role.AGENCY_ADMIN, user.agency_id)))


@login_required
@require_http_methods(["GET", "POST"])
def quarantined(request):
    user = request.user
    if not _may_see(user):
        return forbidden(request, _("Chỉ quản trị đơn vị mới xem được các gói tin bị cách ly."))
    items = quarantine.visible_to(user)
    if request.method == "POST":
        item = items.filter(pk=int_or_none(request.POST.get("item"))).first()
        action = request.POST.get("action")
        if item is None or action not in ("retry", "discard"):
            messages.error(request, _("Không tìm thấy gói tin bị cách ly."))
            return redirect("workflow:quarantine")
        try:
            if action == "retry":
                result = quarantine.retry(user, item)
                if result.outcome == InboxItem.QUARANTINED:
                    messages.error(request, _("Tiếp nhận lại chưa được: %(reason)s") % {"reason": result.detail})
                else:
                    messages.success(request, _("Đã tiếp nhận lại gói tin."))
            else:
                quarantine.discard(user, item)
                messages.success(request, _("Đã bỏ gói tin."))
        except VpdtError as exc:
            messages.error(request, exc.message)
        return redirect("workflow:quarantine")
    rows = list(items.order_by("-received_at", "-id")[:200])
    senders = dict(Agency.objects.filter(code__in={r.from_code for r in rows if r.from_code})
                   .values_list("code", "name"))
    for row in rows:
        row.sender_name = senders.get(row.from_code, "")
    return render(request, "web/quarantine.html", {"items": rows})

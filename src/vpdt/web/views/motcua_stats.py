"""The one-stop shop's statistics page (MOTCUA.md "What is measured"): per procedure, resolving
body, level or receiving officer, over a period, with the national statuses 1–10, the delays
counted against each body, and the same table as XLSX or PDF.

Who sees what: the platform admin the whole province; anyone else the dossiers their agencies
received or resolve, when they are its leader, counter officer or one-stop admin; others 403.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from vpdt.directory.roles import Role
from vpdt.motcua import deadlines, stats
from vpdt.motcua.models import Dossier, DossierStatus
from vpdt.reports import period_report
from vpdt.web.views.errors import forbidden
from vpdt.web.views.reports import _period, _period_query

GROUP_LABELS = {
    "procedure": gettext_lazy("Thủ tục"), "body": gettext_lazy("Cơ quan giải quyết"),
    "level": gettext_lazy("Cấp"), "officer": gettext_lazy("Công chức tiếp nhận"),
}
SEEING_ROLES = (Role.LEADER, Role.COUNTER, Role.MOTCUA_ADMIN)


def visible(user):
    """The dossiers whose statistics `user` may see, or None."""
    if user.is_platform_admin:
        return Dossier.objects.all()
    agencies = [a for a in user.member_agency_ids() if any(user.has_role(r, a) for r in SEEING_ROLES)]
    if not agencies:
        return None
    return Dossier.objects.filter(Q(agency_id__in=agencies) | Q(resolving_agency_id__in=agencies))


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}".replace(".", ",") if isinstance(value, float) else str(value)


def _request_table(request):
    dossiers = visible(request.user)
    if dossiers is None:
        return None
    form, start, end = _period(request)
    by = request.GET.get("by") if request.GET.get("by") in stats.GROUPS else "procedure"
    rows = stats.table(stats.in_period(dossiers, start, end), by)
    return form, start, end, by, rows, dossiers


@login_required
@require_GET
def page(request):
    found = _request_table(request)
    if found is None:
        return forbidden(request, _("Thống kê một cửa dành cho lãnh đạo, công chức một cửa và quản trị một cửa."))
    form, start, end, by, rows, dossiers = found
    delays = deadlines.delays_by_body(dossier__in=stats.in_period(dossiers, start, end))
    return render(request, "web/motcua/stats_page.html", {
        "form": form, "start": start, "end": end, "by": by, "groups": GROUP_LABELS,
        "period": _period_query(start, end, by=by),
        "columns": [label for _k, label in stats.COLUMNS],
        "rows": [{"code": r.code, "name": r.name, "total": r.key is None,
                  "cells": [_fmt(r.figures.get(k)) for k, _l in stats.COLUMNS],
                  "statuses": [r.statuses.get(v, 0) for v in DossierStatus.values]} for r in rows],
        "status_heads": [f"{v}. {DossierStatus(v).label}" for v in DossierStatus.values],
        "delays": delays,
    })


@login_required
@require_GET
def export(request, fmt: str):
    if fmt not in period_report.CONTENT_TYPES:
        raise Http404
    found = _request_table(request)
    if found is None:
        return forbidden(request, _("Thống kê một cửa dành cho lãnh đạo, công chức một cửa và quản trị một cửa."))
    _form, start, end, by, rows, _d = found
    title = _("Thống kê giải quyết thủ tục hành chính từ %(start)s đến %(end)s") % {
        "start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")}
    body = (stats.xlsx if fmt == "xlsx" else stats.pdf)(rows, title)
    return FileResponse(io.BytesIO(body), content_type=period_report.CONTENT_TYPES[fmt], as_attachment=True,
                        filename=f"thong-ke-mot-cua-{by}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}")


COUNTER_LABELS = {
    "to_receive": gettext_lazy("Hồ sơ trực tuyến chờ tiếp nhận"),
    "to_return": gettext_lazy("Hồ sơ chờ trả kết quả"),
    "overdue": gettext_lazy("Hồ sơ quá hạn"),
    "steps": gettext_lazy("Hồ sơ đang chờ tôi xử lý"),
    "steps_due_today": gettext_lazy("Hồ sơ đến hạn hôm nay"),
    "steps_late": gettext_lazy("Hồ sơ tôi xử lý quá hạn"),
}


def home_cards(user) -> list[dict]:
    """The one-stop shop's counters for the home page (empty for who has no one-stop work)."""
    return [{"key": key, "label": COUNTER_LABELS[key], "value": value,
             "tone": "danger" if key in ("overdue", "steps_late") and value else "secondary"}
            for key, value in stats.officer_counters(user).items()]

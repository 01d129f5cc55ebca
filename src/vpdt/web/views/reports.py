"""Reports for people (issue 14): the charts of the home page, the "why" view (which agencies
or units use the system less well than the province, and in what), and the period report
("báo cáo kết quả triển khai") with its monthly mailing list.

The figures come from vpdt.reports (its services check who may see what: the platform admin
the whole province, an agency leader their agency); these views pick the period, order the
rows and render. Others get the 403 page.
"""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vpdt.core.errors import VpdtError
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.reports import period_report
from vpdt.reports import services as reports
from vpdt.web import forms
from vpdt.web.views.common import posted
from vpdt.web.views.errors import forbidden

CHART_MONTHS = 12


# --------------------------------------------------------------------------- who sees what
def scope_of(user) -> tuple[str, Agency | None] | None:
    """("province", None) for the platform admin, ("agency", their agency) for its leader, else None."""
    if user.is_platform_admin:
        return "province", None
    if user.agency_id and user.has_role(Role.LEADER, user.agency_id):
        return "agency", user.agency
    return None


def _refused(request):
    return forbidden(request, _("Trang báo cáo dành cho lãnh đạo cơ quan và quản trị hệ thống."))


def _share(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _month_starts(last: dt.date, count: int) -> list[dt.date]:
    first = last.replace(day=1)
    months = []
    for _i in range(count):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months[::-1]


def _month_end(start: dt.date) -> dt.date:
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _total(rows: list[dict], key: str) -> int:
    return sum(r.get(key) or 0 for r in rows)


# --------------------------------------------------------------------------- charts
@login_required
@require_GET
def chart_data(request):
    """The figures of the home page's charts, as JSON for web/charts.js: per month over the last
    twelve (volume in and out, electronic shares, on-time share), and for the province per agency."""
    scope = scope_of(request.user)
    if scope is None or (request.GET.get("scope") == "province" and scope[0] != "province"):
        return _refused(request)
    kind, agency = scope
    code = agency.code if agency else None
    today = timezone.localdate()
    months = _month_starts(today, CHART_MONTHS)
    labels, monthly = [], []
    for start in months:
        rows = reports.usage(start, min(_month_end(start), today), viewer=request.user, agency=code, level="agency")
        labels.append(start.strftime("%m/%Y"))
        monthly.append(rows)
    incoming = [_total(rows, "incoming_total") for rows in monthly]
    outgoing = [_total(rows, "outgoing_total") for rows in monthly]
    charts = [
        {"id": "volume", "type": "bar", "title": _("Số văn bản đến, đi theo tháng"), "axis": _("Tháng"),
         "labels": labels, "unit": "",
         "datasets": [{"label": _("Văn bản đến"), "data": incoming}, {"label": _("Văn bản đi"), "data": outgoing}]},
        {"id": "shares", "type": "line", "title": _("Tỷ lệ điện tử và đúng hạn theo tháng"), "axis": _("Tháng"),
         "labels": labels, "unit": "%",
         "datasets": [
             {"label": _("Văn bản đến nhận điện tử"),
              "data": [_share(_total(r, "incoming_electronic"), _total(r, "incoming_total")) for r in monthly]},
             {"label": _("Văn bản đi phát hành điện tử"),
              "data": [_share(_total(r, "outgoing_electronic"), _total(r, "outgoing_total")) for r in monthly]},
             {"label": _("Hoàn thành đúng hạn"),
              "data": [_share(_total(r, "completed_on_time"),
                              _total(r, "completed_on_time") + _total(r, "completed_late")) for r in monthly]},
         ]},
    ]
    if kind == "province":
        year = reports.usage(months[0], today, viewer=request.user, level="agency")
        names = dict(Agency.objects.filter(code__in=[r["agency_code"] for r in year]).values_list("code", "name"))
        year.sort(key=lambda r: names.get(r["agency_code"], r["agency_code"]))
        charts.append({
            "id": "agencies", "type": "bar", "horizontal": True, "wide": True, "unit": "%", "axis": _("Cơ quan"),
            "title": _("Tỷ lệ theo cơ quan, 12 tháng gần nhất"),
            "labels": [names.get(r["agency_code"], r["agency_code"]) for r in year],
            "datasets": [
                {"label": _("Văn bản đến nhận điện tử"),
                 "data": [_share(r["incoming_electronic"], r["incoming_total"]) for r in year]},
                {"label": _("Hoàn thành đúng hạn"),
                 "data": [_share(r["completed_on_time"], r["completed_on_time"] + r["completed_late"]) for r in year]},
            ]})
    return JsonResponse({"scope": kind, "charts": charts}, json_dumps_params={"ensure_ascii": False})


# --------------------------------------------------------------------------- the period
def _default_period() -> tuple[dt.date, dt.date]:
    """The last twelve months, up to today."""
    today = timezone.localdate()
    return _month_starts(today, CHART_MONTHS)[0], today


def _period(request) -> tuple[forms.ReportPeriodForm, dt.date, dt.date]:
    """The period the GET asks for; a refused one shows its error and falls back to the default."""
    start, end = _default_period()
    if "start" in request.GET or "end" in request.GET:
        form = forms.ReportPeriodForm(request.GET)
        if form.is_valid():
            return form, form.cleaned_data["start"], form.cleaned_data["end"]
        return form, start, end
    return forms.ReportPeriodForm(initial={"start": start, "end": end}), start, end


def _period_query(start: dt.date, end: dt.date, **extra) -> str:
    return urlencode({"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y"), **extra})


# --------------------------------------------------------------------------- the why view
# Columns of the table besides the METRICS: the volumes, so a small agency reads as small.
VOLUME_COLUMNS = (("incoming_total", gettext_lazy("Văn bản đến")), ("outgoing_total", gettext_lazy("Văn bản đi")))


def _columns() -> list[tuple[str, str, str]]:
    """(key, heading, unit) of the sortable table, in order."""
    return ([(key, str(label), "") for key, label in VOLUME_COLUMNS]
            + [(key, str(m.label), str(m.unit)) for key, m in reports.METRICS.items()])


def _fmt(value) -> str:
    if value is None:
        return "–"
    return number_format(value, decimal_pos=1 if isinstance(value, float) else None, force_grouping=True)


def _sorted(rows: list[dict], key: str, descending: bool) -> list[dict]:
    """Server-side ordering by any column; rows without a value stay last either way, and a
    pinned row (a leader's whole agency, above its units) first."""
    pinned = [r for r in rows if r.get("pinned")]
    rows = [r for r in rows if not r.get("pinned")]
    if key == "name":
        return pinned + sorted(rows, key=lambda r: r["name"], reverse=descending)
    known = [r for r in rows if r.get(key) is not None]
    unknown = [r for r in rows if r.get(key) is None]
    return pinned + sorted(known, key=lambda r: (r[key], r["name"]), reverse=descending) + unknown


def _table(request, start, end, scope) -> list[dict]:
    kind, agency = scope
    if kind == "province":
        rows = reports.agency_table(start, end, viewer=request.user)
        for row in rows:
            row["name"] = row["agency_name"]
        return rows
    # The leader's agency, then its units: every METRICS value, as the agency table has them.
    # (`why_signals` above has checked that this viewer may see the agency.)
    rows = reports.agency_table(start, end, viewer=request.user, agency=agency.code)
    for row in rows:
        row["name"], row["pinned"] = row["agency_name"], True
    for item in reports.figures(start, end, agency_ids=[agency.pk], level="unit"):
        rows.append({"name": item["unit_name"], **reports.derived(item),
                     "incoming_total": item["incoming_total"], "outgoing_total": item["outgoing_total"]})
    return rows


@login_required
@require_GET
def why(request):
    """Vì sao: the agencies (for the platform admin) or the units of one's agency (for its leader)
    ranked by how far they fall behind the province's median, with a sentence per signal, and a
    table of every metric, sortable by any column."""
    scope = scope_of(request.user)
    if scope is None:
        return _refused(request)
    kind, agency = scope
    form, start, end = _period(request)
    columns = _columns()
    sort = request.GET.get("sort") if request.GET.get("sort") in {"name", *[c[0] for c in columns]} else "name"
    descending = request.GET.get("dir") == "desc"
    try:
        ranked = reports.why_signals(start, end, viewer=request.user, agency=agency.code if agency else None,
                                     level="agency" if kind == "province" else "unit")
        rows = _sorted(_table(request, start, end, scope), sort, descending)
        medians = reports.province_medians(start, end, level="agency" if kind == "province" else "unit")
    except VpdtError as exc:
        messages.warning(request, exc.message)
        ranked, rows, medians = [], [], {}
    period = _period_query(start, end)
    details = _details(request, start, end, kind, agency)
    headers = [{"key": key, "label": label, "unit": unit, "active": key == sort,
                "url": "?" + _period_query(start, end, sort=key,
                                           dir="asc" if key == sort and descending else "desc"),
                "aria_sort": ("descending" if descending else "ascending") if key == sort else None}
               for key, label, unit in [("name", _("Cơ quan") if kind == "province" else _("Đơn vị"), ""), *columns]]
    return render(request, "web/reports/why.html", {
        "form": form, "start": start, "end": end, "kind": kind, "agency": agency,
        "ranked": [r for r in ranked if r["signals"]], "sound": [r for r in ranked if not r["signals"]],
        "headers": headers,
        "table": [[row["name"], *[_fmt(row.get(key)) for key, _l, _u in columns]] for row in rows],
        "median_row": [_("Trung vị tỉnh"), *[_fmt(medians.get(key)) for key, _l, _u in columns]] if rows else None,
        "sort": sort, "descending": descending, "period": period, "details": details,
    })


def _details(request, start, end, kind, agency) -> dict | None:
    """The adoption details of one agency: people active per role, drafts returned per approval
    step, interconnection failures by cause. The leader's own agency; the platform admin's
    choice (?agency=CODE, from a ranked agency's "Chi tiết" link)."""
    if kind == "province":
        agency = Agency.objects.filter(code=request.GET.get("agency") or "").first()
    if agency is None:
        return None
    try:
        return {
            "agency": agency,
            "roles": reports.active_by_role(start, end, viewer=request.user, agency=agency.code),
            "steps": reports.drafts_returned_by_step(start, end, viewer=request.user, agency=agency.code),
            "causes": reports.exchange_failure_causes(start, end, viewer=request.user, agency=agency.code),
        }
    except VpdtError as exc:
        messages.warning(request, exc.message)
        return None


@login_required
@require_GET
def why_export(request, fmt: str):
    """The usage table of the why view's period and scope, as XLSX or PDF (the API's export)."""
    from vpdt.reports import exports

    if fmt not in period_report.CONTENT_TYPES:
        raise Http404
    scope = scope_of(request.user)
    if scope is None:
        return _refused(request)
    form, start, end = _period(request)
    kind, agency = scope
    items = reports.usage(start, end, viewer=request.user, agency=agency.code if agency else None,
                          level="agency" if kind == "province" else "unit")
    body = (exports.xlsx if fmt == "xlsx" else exports.pdf)(items, start, end)
    return FileResponse(io.BytesIO(body), content_type=period_report.CONTENT_TYPES[fmt], as_attachment=True,
                        filename=f"thong-ke-su-dung-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}")


# --------------------------------------------------------------------------- the period report
@login_required
def period_page(request):
    """The period report: pick a period, download it as PDF or XLSX; the platform admin also names
    who receives it by e-mail each month."""
    scope = scope_of(request.user)
    if scope is None:
        return _refused(request)
    kind, agency = scope
    form, start, end = _period(request)
    recipient_form = None
    if kind == "province":
        data, _files = posted(request)
        recipient_form = forms.ReportRecipientForm(data)
        if request.method == "POST" and recipient_form.is_valid():
            try:
                period_report.add_recipient(request.user, recipient_form.cleaned_data["person"])
            except VpdtError as exc:
                recipient_form.add_error(recipient_form.service_fields.get(exc.code), exc.message)
            else:
                messages.success(request, _("Đã thêm người nhận báo cáo định kỳ."))
                return redirect(reverse("web:report_period"))
    elif request.method == "POST":
        return _refused(request)
    return render(request, "web/reports/period.html", {
        "form": form, "start": start, "end": end, "kind": kind, "agency": agency,
        "period": _period_query(start, end), "recipient_form": recipient_form,
        "recipients": period_report.recipients() if kind == "province" else [],
        "dispatches": period_report.dispatches() if kind == "province" else [],
    }, status=400 if recipient_form is not None and recipient_form.errors else 200)


@login_required
@require_POST
def period_recipient_remove(request):
    """Takes a person off the monthly mailing list (the platform admin)."""
    if scope_of(request.user) != ("province", None):
        return _refused(request)
    form = forms.ReportRecipientRemoveForm(request.POST)
    if form.is_valid():
        period_report.remove_recipient(request.user, form.cleaned_data["recipient"])
        messages.success(request, _("Đã bỏ người nhận báo cáo định kỳ."))
    else:
        messages.warning(request, _("Người nhận này không còn trong danh sách."))
    return redirect(reverse("web:report_period"))


@login_required
@require_GET
def period_download(request, fmt: str):
    """The period report of the asked period (the default: the last twelve months) as PDF or XLSX."""
    if fmt not in period_report.CONTENT_TYPES:
        raise Http404
    scope = scope_of(request.user)
    if scope is None:
        return _refused(request)
    form, start, end = _period(request)
    if form.is_bound and not form.is_valid():
        messages.warning(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("web:report_period") + "?" + request.GET.urlencode())
    report = period_report.build(start, end, viewer=request.user, agency=scope[1])
    return FileResponse(period_report.render(report, fmt), content_type=period_report.CONTENT_TYPES[fmt],
                        as_attachment=True, filename=report.filename(fmt))

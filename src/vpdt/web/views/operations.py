"""--- ops: the platform admin's operator page ("Vận hành liên thông"): each agency's connection and
queues, the hub's federation link, the incidents of a period with their XLSX export."""

from __future__ import annotations

import datetime as dt
import tempfile

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone

from vpdt.ops import operations
from vpdt.web import forms
from vpdt.web.views.administration import _platform_only


def _period(request) -> tuple[forms.ReportPeriodForm, dt.date, dt.date]:
    """The period asked for (dd/mm/yyyy); by default the last 30 days. A refused one shows its error."""
    end = timezone.localdate()
    start = end - dt.timedelta(days=29)
    if "start" in request.GET or "end" in request.GET:
        form = forms.ReportPeriodForm(request.GET)
        if form.is_valid():
            return form, form.cleaned_data["start"], form.cleaned_data["end"]
        return form, start, end
    return forms.ReportPeriodForm(initial={"start": start, "end": end}), start, end


@_platform_only
def operations_page(request):
    form, start, end = _period(request)
    found = operations.incidents(start, end)
    if request.GET.get("format") == "xlsx":
        out = tempfile.TemporaryFile()
        operations.incidents_xlsx(found, start, end, out)
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename=f"su-co-lien-thong-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = [(i, operations.duration_text(i.duration)) for i in found]
    totals = [{**s, "total_text": operations.duration_text(s["total"]),
               "longest_text": operations.duration_text(s["longest"])} for s in operations.summary(found)]
    return render(request, "web/admin/operations.html", {
        "form": form, "start": start, "end": end, "agencies": operations.agencies(),
        "federation": operations.federation(), "incidents": rows, "totals": totals, "now": timezone.now(),
        "query": request.GET.urlencode()})

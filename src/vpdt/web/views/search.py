"""The search page (issue 15): one box over số/ký hiệu, subject, issuer, signer and the text of
files; facets with counts; a highlighted snippet; the person's saved searches. Only what the
person may see (vpdt.search.fulltext works on records.permissions.visible_documents)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from vpdt.records.choices import State, Urgency
from vpdt.search import fulltext
from vpdt.web import forms
from vpdt.web.views.common import query_int
from vpdt.workflow.services import saved_filters

MAX_PAGE = 500


@login_required
def search(request, filter_form=None):
    g = request.GET
    q = (g.get("q") or "").strip()[:300]
    page = max(1, query_int(request, "page", maximum=MAX_PAGE) or 1)
    params = {k: g.get(k, "") for k in fulltext.FILTERS}
    results = fulltext.search(request.user, q, params, page=page) if q else None
    facets = []
    if results is not None:
        for d in results.rows:
            d.snippet = results.snippets.get(d.pk)
        states, urgencies = dict(State.choices), dict(Urgency.choices)
        titles = {"year": _("Năm ban hành"), "type": _("Loại văn bản"), "issuer": _("Cơ quan ban hành"),
                  "state": _("Trạng thái"), "register": _("Sổ văn bản"), "urgency": _("Độ khẩn")}
        shown = {"state": lambda v, label: str(states.get(v, label)),
                 "urgency": lambda v, label: str(urgencies.get(v, label))}
        for key, title in titles.items():
            values = []
            for value, label, count in results.facets.get(key, []):
                chosen = str(value) == params.get(key)
                link = g.copy()
                link.pop("page", None)
                if chosen:
                    link.pop(key, None)
                else:
                    link[key] = value
                values.append({"label": shown.get(key, lambda v, label: str(label))(value, label), "count": count,
                               "chosen": chosen, "query": link.urlencode()})
            if values:
                facets.append({"key": key, "title": title, "values": values})
    params_page = g.copy()
    params_page.pop("page", None)
    return render(request, "web/search.html", {
        "title": _("Tìm kiếm văn bản"), "q": q, "results": results, "facets": facets, "page": page,
        "params": params_page.urlencode(), "filtered": any(params.values()), "facet_sample": fulltext.FACET_SAMPLE,
        "saved_filters": saved_filters.filters_for(request.user, request.path),
        "filter_form": filter_form or forms.SavedFilterForm(),
        "list_query": g.urlencode(), "list_path": request.path,
    })

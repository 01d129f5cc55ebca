"""Work queues and the registers' lists, with their filters, sorting and bounded pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from vpdt.core.converters import MAX_ID
from vpdt.core.errors import InvalidInput
from vpdt.core.prepared import Read
from vpdt.directory.roles import Role
from vpdt.records.choices import State, Urgency
from vpdt.records.listing import page_and_count
from vpdt.records.models import DocumentType, Register
from vpdt.records.permissions import visible_documents
from vpdt.records.search import apply_quick_search
from vpdt.web import forms
from vpdt.web.views import dashboard
from vpdt.web.views.common import query_int
from vpdt.workflow import counters, queues, services
from vpdt.workflow.delegation import today
from vpdt.workflow.services import reading, saved_filters

PAGE_SIZE = 25
# A work list says "more than 1,000" rather than counting further: the count walks every
# match, and for a unit head filtering a big agency that walk was most of the page's time.
COUNT_CAP = 1_000
MAX_PAGE = MAX_ID // PAGE_SIZE
SORTS = {
    "urgent": ("-urgency", "-created_at", "-id"),
    "new": ("-created_at", "-id"),
    "old": ("created_at", "id"),
    "due": ("due_date", "-urgency", "-id"),
    "issued": ("-issued_date", "-id"),
    # The columns' own orders (a header click toggles its pair), issue 13.
    "in_no": ("incoming_number", "id"),
    "-in_no": ("-incoming_number", "-id"),
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
    "issued_old": ("issued_date", "id"),
    "subject": ("subject_folded", "id"),
    "-subject": ("-subject_folded", "-id"),
    "due_late": ("-due_date", "-id"),
}
# Column -> (its ascending sort, its descending sort): a click on the header asks for the other one.
COLUMN_SORTS = {"in_no": ("in_no", "-in_no"), "code": ("number", "-number"), "date": ("issued_old", "issued"),
                "subject": ("subject", "-subject"), "due": ("due", "due_late")}


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise InvalidInput(_("Ngày không hợp lệ: %(value)s (dd/mm/yyyy).") % {"value": value}, code="BAD_DATE")


def _filtered(request, qs):
    """Filters of every list: register, type, issuer, date range, urgency, state, quick search, sort.

    Not django-filter (which the guide names): these filters are not one field each (a register
    matches either register, "urgent" is a range, dates read dd/mm/yyyy with a Vietnamese warning
    that keeps the list, the quick search is full text), the lists are paged by ids first
    (records.listing) and answered to HTMX; a FilterSet would wrap the same code without removing any."""
    g = request.GET
    qs = apply_quick_search(qs, g.get("q"))
    reg, doc_type, urgency = (query_int(request, "register"), query_int(request, "type"),
                              query_int(request, "urgency"))
    if reg:
        qs = qs.filter(Q(register_id=reg) | Q(incoming_register_id=reg))
    if doc_type:
        qs = qs.filter(document_type_id=doc_type)
    if g.get("issuer"):
        qs = qs.filter(Q(issuer_name__icontains=g["issuer"].strip()) | Q(issuer_code=g["issuer"].strip()))
    try:
        start, end = _date(g.get("from")), _date(g.get("to"))
    except InvalidInput as exc:
        messages.warning(request, exc.message)
        start = end = None
    if start:
        qs = qs.filter(issued_date__gte=start)
    if end:
        qs = qs.filter(issued_date__lte=end)
    if g.get("urgency") == "urgent":
        qs = qs.filter(urgency__gt=Urgency.NORMAL)
    elif urgency is not None:
        qs = qs.filter(urgency=urgency)
    if g.get("state") in State.values:
        qs = qs.filter(state=g["state"])
    if g.get("unread") == "1":
        qs = reading.unread(request.user, qs)
    sort = g.get("sort") if g.get("sort") in SORTS else "urgent"
    return qs.order_by(*SORTS[sort]), sort


def _page(request, qs) -> dict:
    """Offset pages with a bounded count: never COUNT(*) over a million rows."""
    # a page whose offset the database cannot take is a 400, not a 500
    number = max(1, query_int(request, "page", maximum=MAX_PAGE) or 1)
    offset = (number - 1) * PAGE_SIZE
    matched: list[int] = []
    rows, count, capped, has_next = page_and_count(qs, offset, PAGE_SIZE, COUNT_CAP, related=("document_type", "drafting_unit"),
                                                   ids_read=matched)
    day = today()
    own = services.own_deadlines(request.user, [d.pk for d in rows])
    read = reading.read_ids(request.user, [d.pk for d in rows])
    for d in rows:
        # the reader's own deadline (a specialist's is not the unit's), else the document's
        d.shown_due = own.get(d.pk, d.due_date)
        d.deadline_flag = services.deadline_status(d, day, due=d.shown_due)
        d.unread = d.pk not in read
    if not capped and len(matched) == count:
        # every match's id is at hand: which are read is one indexed lookup, not a second walk of
        # the list's index with the search's filters (a search's 100-200 ms on 1,000,000 documents)
        unread, unread_capped = count - len(reading.read_ids(request.user, matched)), False
    elif len(matched) > COUNT_CAP and not reading.read_ids(request.user, matched):  # capped
        # more than the cap match and none of the first cap + 1 is read: more than the cap are
        # unread, known without walking the matches again (a common search's second 20-45 ms)
        unread, unread_capped = COUNT_CAP, True
    else:
        unread, unread_capped = reading.unread_count(request.user, qs, COUNT_CAP)
    params = request.GET.copy()
    params.pop("page", None)
    unsorted = params.copy()
    unsorted.pop("sort", None)
    unread_params = params.copy()
    unread_params["unread"] = "1"
    return {"rows": rows, "number": number, "has_next": has_next, "has_previous": number > 1,
            "count": count, "count_capped": capped, "params": params.urlencode(),
            "unsorted": unsorted.urlencode(), "unread": unread, "unread_capped": unread_capped,
            "unread_params": unread_params.urlencode()}


def _columns(sort: str) -> dict:
    """Each sortable column's link (the other order of its pair) and its aria-sort."""
    out = {}
    for column, (up, down) in COLUMN_SORTS.items():
        state = "ascending" if sort == up else "descending" if sort == down else "none"
        out[column] = {"next": down if sort == up else up, "aria": state}
    return out


# Every list's filter choices (vpdt.core.prepared: written out once).
_TYPES = Read(lambda: DocumentType.objects.values_list("pk", "name"))
_REGISTERS = Read(lambda agencies, year: Register.objects.filter(agency_id__in=agencies, year__gte=year)
                  .values_list("pk", "name", "year"), agencies=[int], year=int)


def _filter_context(user) -> dict:
    agencies = sorted(user.member_agency_ids())
    return {
        "types": _TYPES.rows(),
        "registers": [(pk, f"{name} {year}") for pk, name, year in _REGISTERS.rows(
            agencies=agencies, year=timezone.localdate().year - 1)],
        "states": State.choices, "urgencies": Urgency.choices, "sorts": [
            ("urgent", _("Khẩn trước")), ("new", _("Mới nhất")), ("old", _("Cũ nhất")), ("due", _("Hạn xử lý")),
            ("issued", _("Ngày ban hành")), ("issued_old", _("Ngày ban hành (cũ trước)")),
            ("in_no", _("Số đến (tăng dần)")), ("-in_no", _("Số đến (giảm dần)")),
            ("number", _("Số văn bản (tăng dần)")), ("-number", _("Số văn bản (giảm dần)")),
            ("subject", _("Trích yếu (A–Z)")), ("-subject", _("Trích yếu (Z–A)")),
            ("due_late", _("Hạn xử lý (xa trước)"))],
    }


def _partial(request) -> bool:
    return (request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "doc-list"
            and not request.headers.get("HX-History-Restore-Request"))


def _work_context(request, sort: str, filter_form=None) -> dict:
    """Sortable columns, saved filters and the bulk actions of a list (issue 13)."""
    user = request.user
    return {"columns": _columns(sort), "saved_filters": saved_filters.filters_for(user, request.path),
            "filter_form": filter_form or forms.SavedFilterForm(),
            "can_direct": any(user.has_role(Role.LEADER, a) for a in user.member_agency_ids()),
            "list_query": request.GET.urlencode(), "list_path": request.path}


def _list_response(request, template: str, context: dict):
    """The whole page, or only the list when HTMX asks for it (filters, search as you type, pages).

    A history restore (HTMX found no snapshot) asks for the whole page again.
    """
    partial = _partial(request)
    response = render(request, "web/_list.html" if partial else template, {**context, "partial": partial})
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
def queue(request, name: str = "waiting", filter_form=None):
    if name not in queues.QUEUES:
        raise Http404
    qs, sort = _filtered(request, queues.get(name, request.user))
    page = _page(request, qs)
    # The tabs with their counts, and on the home page the counters and charts (issue 14);
    # not for a list that HTMX swaps alone. The open tab's count is the list's own when no
    # filter narrows it (sorting and paging do not).
    unfiltered = not any(value for key, value in request.GET.items() if key not in ("sort", "page"))
    known = {name: (page["count"], page["count_capped"])} if unfiltered and COUNT_CAP == counters.CAP else {}
    board = {} if _partial(request) else dashboard.context(request.user, name, home=name == "waiting", known=known)
    return _list_response(request, "web/queue.html", {
        "title": queues.QUEUES[name][0], "tab": name, "page": page, "sort": sort,
        "g": request.GET, **board, **_filter_context(request.user), **_work_context(request, sort, filter_form)})


@login_required
def documents(request, direction: str, filter_form=None):
    qs, sort = _filtered(request, visible_documents(request.user).filter(direction=direction))
    title = {"incoming": _("Văn bản đến"), "outgoing": _("Văn bản đi"), "internal": _("Văn bản nội bộ")}[direction]
    return _list_response(request, "web/documents.html", {
        "title": title, "direction": direction, "page": _page(request, qs), "sort": sort, "g": request.GET,
        **_filter_context(request.user), **_work_context(request, sort, filter_form)})

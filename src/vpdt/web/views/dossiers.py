"""Hồ sơ công việc: the dossiers a person may see (theirs, their unit's, the agency's for the clerk
and the leader), opening one, its page (the documents in order with their files and their trail,
search within), filing a document from its page in one click, and closing a dossier with its
closing note. The rules are in vpdt.archive.services.dossiers."""

from __future__ import annotations

import tempfile

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vpdt.archive.models import Dossier, DossierState
from vpdt.archive.services import dossiers, transfer
from vpdt.core import audit, labels
from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.core.text import fold
from vpdt.directory.roles import Role
from vpdt.records.models import Document
from vpdt.records.permissions import get_visible, visible_documents
from vpdt.web.forms import DateField, PageForm
from vpdt.web.timeline import timeline
from vpdt.web.views.common import int_or_none, posted, query_int
from vpdt.web.views.errors import forbidden

LIST_LIMIT = 200
SEARCH_LIMIT = 5000
SCOPES = {"toi": gettext_lazy("Hồ sơ của tôi"), "don-vi": gettext_lazy("Hồ sơ của đơn vị tôi")}


# --------------------------------------------------------------------------- forms
class DossierForm(PageForm):
    """Lập hồ sơ: title, notation (the last part of the code), year, retention."""

    service_fields = {"DOSSIER_TITLE_REQUIRED": "title", "DOSSIER_NOTATION_INVALID": "notation",
                      "DOSSIER_CODE_TAKEN": "notation", "DOSSIER_YEAR_INVALID": "year",
                      "DOSSIER_RETENTION_INVALID": "retention_years"}

    title = djforms.CharField(label=gettext_lazy("Tiêu đề hồ sơ"), max_length=500,
                              error_messages={"required": gettext_lazy("Nhập tiêu đề hồ sơ.")})
    notation = djforms.CharField(label=gettext_lazy("Số, ký hiệu hồ sơ"), max_length=40,
                                 error_messages={"required": gettext_lazy("Nhập ký hiệu hồ sơ, ví dụ 01.TH.")})
    year = djforms.IntegerField(label=gettext_lazy("Năm"), min_value=1900, max_value=9999,
                                error_messages={"required": gettext_lazy("Nhập năm của hồ sơ."),
                                                "invalid": gettext_lazy("Nhập năm, ví dụ 2026.")})
    retention_years = djforms.IntegerField(label=gettext_lazy("Thời hạn bảo quản (năm)"), required=False,
                                           min_value=1, max_value=100,
                                           error_messages={"invalid": gettext_lazy("Nhập số năm, ví dụ 10.")})
    document = djforms.IntegerField(required=False, widget=djforms.HiddenInput)


class CloseForm(PageForm):
    """Kết thúc hồ sơ: the closing note (dates, sheets, pages, chú giải)."""

    service_fields = {"DOSSIER_DATES_INVALID": "start_date", "DOSSIER_END_IN_FUTURE": "end_date",
                      "DOSSIER_COUNT_INVALID": "sheets"}

    start_date = DateField(required=False)
    end_date = DateField(required=False)
    sheets = djforms.IntegerField(required=False, min_value=0,
                                  error_messages={"invalid": gettext_lazy("Nhập một số nguyên, ví dụ 12.")})
    pages = djforms.IntegerField(required=False, min_value=0,
                                 error_messages={"invalid": gettext_lazy("Nhập một số nguyên, ví dụ 12.")})
    note = djforms.CharField(required=False, max_length=4000, widget=djforms.Textarea(attrs={"rows": 3}))
    confirm = djforms.BooleanField(error_messages={
        "required": gettext_lazy("Đánh dấu ô xác nhận: hồ sơ đã kết thúc không còn thay đổi.")})


# --------------------------------------------------------------------------- helpers
def _dossier(request, pk: int) -> Dossier:
    try:
        return dossiers.get_visible_dossier(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _document(request, pk) -> Document:
    """The document the request names, if the person may see it: 404 when it is not theirs to know
    of, 403 (the error page, with the reason) when their agency's but not for them."""
    try:
        return get_visible(request.user, int(pk))
    except (NotFound, TypeError, ValueError) as exc:
        raise Http404(_("Không tìm thấy văn bản.")) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def filing_context(user, document: Document) -> dict:
    """The "Lưu hồ sơ" box of a document's page: the suggested dossiers with their reasons, the
    other open dossiers the person may file into, the dossiers the document already sits in."""
    inside = dossiers.dossiers_of(user, document)
    fileable = dossiers.fileable_for_page(user, document)
    if not inside and not fileable and document.state not in dossiers.FILING_STATES:
        return {}
    # Suggested when the work on the document is done (completed, released, registered); the
    # page has checked that the person sees the document.
    done = document.state in dossiers.FILING_STATES
    suggestions = (dossiers.suggest_dossiers(user, document, candidates=dossiers.filing_candidates(user, document))
                   if fileable and done else [])
    suggested = {s.dossier.pk for s in suggestions}
    return {"filing": {
        "inside": inside, "suggestions": suggestions,
        "others": [d for d in fileable if d.pk not in suggested],
        "prominent": done and bool(fileable),
        "can_create": user.agency_id == document.agency_id,
    }}


def _history(user, dossier: Dossier) -> list[dict]:
    """The dossier's own log: created, documents added and removed, ordered, closed; a document is
    named only to whom may see it."""
    entries = audit.history(dossier)
    named = {e.detail.get("document") for e in entries if (e.detail or {}).get("document")}
    visible = set(visible_documents(user).filter(pk__in=named).values_list("pk", flat=True)) if named else set()
    rows = []
    for e in entries:
        detail = e.detail or {}
        what = ""
        if e.action in ("dossier.add_document", "dossier.remove_document"):
            what = (detail.get("code") or detail.get("subject") or "") if detail.get("document") in visible else "…"
        rows.append({"at": e.at, "who": e.actor_name or _("Hệ thống"), "what": labels.action_label(e.action),
                     "object": what, "note": detail.get("note", "") if e.action == "dossier.close" else ""})
    return rows


# --------------------------------------------------------------------------- pages
@login_required
def dossier_list(request):
    """The dossiers the person may see: theirs, their unit's, the agency's (clerk, leader); by year,
    state, code or title."""
    user = request.user
    qs = dossiers.dossiers_visible_to(user).select_related("unit", "owner", "agency")
    scope = request.GET.get("pham_vi", "")
    if scope == "toi":
        qs = qs.filter(owner=user)
    elif scope == "don-vi":
        qs = qs.filter(unit_id=user.unit_id) if user.unit_id else qs.none()
    year = query_int(request, "nam", maximum=9999)
    years = sorted(set(dossiers.dossiers_visible_to(user).values_list("year", flat=True)), reverse=True)
    if year is not None:
        qs = qs.filter(year=year)
    state = request.GET.get("trang_thai", "")
    if state in DossierState.values:
        qs = qs.filter(state=state)
    text = (request.GET.get("q") or "").strip()[:200]
    if text:  # folded (dien tu finds điện tử) over the dossiers the other filters left
        folded = fold(text)
        rows = [d for d in qs.order_by("-year", "code")[:SEARCH_LIMIT]
                if folded in fold(d.title) or folded in fold(d.code)]
    else:
        rows = list(qs.order_by("-year", "code")[: LIST_LIMIT + 1])
    more = len(rows) > LIST_LIMIT
    return render(request, "web/archive/dossier_list.html", {
        "rows": rows[:LIST_LIMIT], "more": more, "years": years, "year": year, "state": state,
        "states": DossierState.choices, "scope": scope, "scopes": SCOPES.items(), "q": text,
        "can_create": bool(user.agency_id)})


@login_required
def dossier_create(request):
    """Lập hồ sơ: ad hoc, owned by the person, in their unit; with `van_ban`, that document is filed in it."""
    user = request.user
    if not user.agency_id:
        return forbidden(request, _("Tài khoản chưa thuộc cơ quan nào."))
    initial = {"year": timezone.localdate().year, "document": int_or_none(request.GET.get("van_ban"))}
    form = DossierForm(*posted(request), initial=initial)
    document = None
    document_id = int_or_none(request.POST.get("document") if request.method == "POST" else initial["document"])
    if document_id:
        document = _document(request, document_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossier = dossiers.create_dossier(user, title=data["title"], year=data["year"], notation=data["notation"],
                                              retention_years=data["retention_years"])
            if document is not None:
                dossiers.add_document(user, dossier, document)
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã lập hồ sơ %(code)s.") % {"code": dossier.code})
            if document is not None:
                return redirect("workflow:document", document.pk)
            return redirect("web:dossier", dossier.pk)
    return render(request, "web/archive/dossier_create.html", {
        "form": form, "document": document, "code_prefix": f"{user.agency.code}."})


@login_required
def dossier_detail(request, pk: int):
    """A dossier's page: its header, the documents the person may see in order with their files and
    trail, search within, and (to whom it belongs, while open) order, remove, close."""
    user = request.user
    try:
        dossier = _dossier(request, pk)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    documents = dossiers.documents_in(user, dossier)
    text = (request.GET.get("q") or "").strip()[:200]
    if text:
        folded = fold(text)
        documents = [d for d in documents if folded in (d.subject_folded or fold(d.subject))
                     or folded in fold(d.code) or folded in fold(d.issuer_name)]
    for doc in documents:
        doc.files = list(doc.attachments.all())
        doc.trail = timeline(doc)
        doc.filed_date = dossiers.document_date(doc)
    manage = dossier.is_open and dossiers.may_manage(user, dossier)
    exportable = (dossier.state in transfer.EXPORTABLE
                  and any(user.has_role(r, dossier.agency_id) for r in (Role.CLERK, Role.ARCHIVIST)))
    return render(request, "web/archive/dossier_detail.html", {
        "dossier": dossier, "documents": documents, "q": text, "manage": manage, "exportable": exportable,
        "hidden": dossiers.hidden_count(user, dossier), "history": _history(user, dossier),
        "count": dossier.items.count()})


@login_required
@require_POST
def dossier_export(request, pk: int):
    """The dossier as the archive's package (a signed ZIP that verifies offline), for an external
    archive: built into a temporary file and streamed back, never held in memory."""
    user = request.user
    try:
        dossier = _dossier(request, pk)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    out = tempfile.TemporaryFile()
    try:
        transfer.export(user, dossier.agency, out, dossier_code=dossier.code,
                        pin=(request.POST.get("pin") or None))
    except PermissionDenied as exc:
        out.close()
        return forbidden(request, exc.message)
    except VpdtError as exc:
        out.close()
        messages.error(request, exc.message)
        return redirect("web:dossier", pk=dossier.pk)
    out.seek(0)
    response = FileResponse(out, as_attachment=True, filename=f"ho-so-{dossier.code}.zip",
                            content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def dossier_close(request, pk: int):
    """Kết thúc hồ sơ: the closing note, proposed from the documents, confirmed."""
    user = request.user
    try:
        dossier = _dossier(request, pk)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    if not dossiers.may_manage(user, dossier):
        return forbidden(request, _("Chỉ người lập hồ sơ, đơn vị lập hồ sơ hoặc văn thư được kết thúc hồ sơ này."))
    defaults = dossiers.closing_defaults(dossier) if dossier.is_open else {}
    form = CloseForm(*posted(request), initial=defaults)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossiers.close_dossier(user, dossier, start_date=data["start_date"], end_date=data["end_date"],
                                   sheets=data["sheets"], pages=data["pages"], note=data["note"])
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
        else:
            dossier.refresh_from_db()
            messages.success(request, _("Đã kết thúc hồ sơ %(code)s; hạn nộp lưu: %(due)s.") % {
                "code": dossier.code, "due": dossier.transfer_due.strftime("%d/%m/%Y")})
            return redirect("web:dossier", dossier.pk)
    return render(request, "web/archive/dossier_close.html", {
        "dossier": dossier, "form": form, "defaults": defaults, "count": dossier.items.count()})


# --------------------------------------------------------------------------- actions (POST)
@login_required
@require_POST
def dossier_file(request):
    """Lưu vào hồ sơ: the document (from its page) into the chosen open dossier."""
    document = _document(request, request.POST.get("document"))
    back = _next(request, reverse("workflow:document", args=[document.pk]))
    dossier_id = int_or_none(request.POST.get("dossier"))
    if not dossier_id:
        messages.error(request, _("Chọn hồ sơ để lưu văn bản."))
        return redirect(back)
    try:
        dossier = _dossier(request, dossier_id)
        dossiers.add_document(request.user, dossier, document)
    except VpdtError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã lưu văn bản vào hồ sơ %(code)s – %(title)s.") % {
            "code": dossier.code, "title": dossier.title})
    return redirect(back)


@login_required
@require_POST
def dossier_remove(request, pk: int):
    document = _document(request, request.POST.get("document"))
    try:
        dossier = _dossier(request, pk)
        dossiers.remove_document(request.user, dossier, document)
    except VpdtError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã bỏ văn bản khỏi hồ sơ (văn bản vẫn còn nguyên)."))
    return redirect("web:dossier", pk)


@login_required
@require_POST
def dossier_move(request, pk: int):
    document = _document(request, request.POST.get("document"))
    step = -1 if request.POST.get("step") == "up" else 1
    try:
        dossier = _dossier(request, pk)
        dossiers.move(request.user, dossier, document, step)
    except VpdtError as exc:
        messages.error(request, exc.message)
    return redirect("web:dossier", pk)

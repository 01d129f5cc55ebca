"""Working faster (issue 13): a reply drafted from an incoming document, actions on several
documents of a list at once, read markers, saved filters, canned direction texts, and files
dropped on a document (several at once, with progress).

Each view validates a Form and calls workflow's services, which check who may and audit.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vpdt.core.errors import VpdtError
from vpdt.directory.models import Unit, User
from vpdt.records.permissions import visible_documents
from vpdt.web import forms
from vpdt.web.views.common import with_document
from vpdt.web.views.errors import forbidden
from vpdt.workflow import holidays, services
from vpdt.workflow.delegation import today
from vpdt.workflow.services import bulk as bulk_services
from vpdt.workflow.services import directions, reading, saved_filters, uploads

# The lists a saved filter or a bulk action may return to.
LIST_VIEWS = {"workflow:home", "workflow:queue", "workflow:incoming", "workflow:outgoing", "web:search"}


def _list_match(path: str):
    try:
        match = resolve(path or "")
    except Resolver404:
        return None
    return match if match.view_name in LIST_VIEWS else None


def _back(request, value: str | None) -> str:
    """Where to go after a list's action: the list it came from (this site only), else the work queue."""
    if value and value.startswith("/") and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        if _list_match(value.split("?", 1)[0]) is not None:
            return value
    return reverse("workflow:home")


def _ordered_documents(user, ids: list[int]) -> list:
    found = visible_documents(user).in_bulk(ids[:bulk_services.MAX_DOCUMENTS])
    return [found[pk] for pk in dict.fromkeys(ids) if pk in found]


def _report(request, outcomes, done: str) -> None:
    """One line for what was done, one per refused document naming it."""
    ok = sum(1 for o in outcomes if o.ok)
    if ok:
        messages.success(request, done % {"n": ok})
    for o in outcomes:
        if not o.ok:
            messages.error(request, _("“%(document)s”: chưa thực hiện được. %(reason)s") % {
                "document": o.label, "reason": o.message})


# --- Soạn văn bản trả lời -------------------------------------------------------------------


@login_required
@require_POST
@with_document
def reply(request, doc):
    try:
        draft = services.start_reply(request.user, doc)
    except VpdtError as exc:
        messages.error(request, exc.message)
        return redirect("workflow:document", pk=doc.pk)
    messages.success(request, _("Đã tạo dự thảo văn bản trả lời, liên kết với văn bản đến. Tải lên tệp dự thảo "
                                "rồi trình duyệt."))
    return redirect("workflow:document", pk=draft.pk)


# --- Actions on several documents of a list ---------------------------------------------------


@login_required
@require_POST
def bulk(request):
    form = forms.BulkForm(request.POST)
    back = _back(request, request.POST.get("next"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    user, ids, action = request.user, form.cleaned_data["ids"], form.cleaned_data["action"]
    if action == "direct":
        query = urlencode([("ids", pk) for pk in ids] + [("next", back)])
        return redirect(reverse("workflow:bulk_assign") + "?" + query)
    if action == "read":
        n = reading.mark_read(user, ids)
        messages.success(request, ngettext("Đã đánh dấu đã đọc %(n)d văn bản.", "Đã đánh dấu đã đọc %(n)d văn bản.",
                                           n) % {"n": n})
    elif action == "unread":
        n = reading.mark_unread(user, ids)
        messages.success(request, ngettext("Đã đánh dấu chưa đọc %(n)d văn bản.",
                                           "Đã đánh dấu chưa đọc %(n)d văn bản.", n) % {"n": n})
    else:
        outcomes = services.finish_info_many(user, _ordered_documents(user, ids))
        _report(request, outcomes, _("Đã hoàn thành “để biết” %(n)d văn bản."))
    return redirect(back)


@login_required
def bulk_assign(request):
    """The leader's direction form once, applied to each chosen document."""
    user = request.user
    if not user.agency_id:
        return forbidden(request, _("Tài khoản chưa thuộc cơ quan nào."))
    source = request.POST if request.method == "POST" else request.GET
    ids = [int(v) for v in source.getlist("ids") if v.isdigit() and len(v) < 19]
    documents = _ordered_documents(user, ids)
    back = _back(request, source.get("next"))
    if not documents:
        messages.error(request, _("Chọn ít nhất một văn bản trong danh sách."))
        return redirect(back)
    units = list(Unit.objects.filter(agency_id=user.agency_id, active=True))
    people = list(User.objects.filter(agency_id=user.agency_id, is_active=True).select_related("unit"))
    form = forms.BulkAssignForm(request.POST if request.method == "POST" else None, units=units, people=people,
                                ids=[d.pk for d in documents])
    form.fields["deadline"].initial = holidays.add_working_days(today(), 10)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        outcomes = services.assign_many(user, documents, **kwargs)
        refused = [o for o in outcomes if not o.ok]
        field = form.service_fields.get(refused[0].code) if refused else None
        if len(refused) == len(outcomes) and field and all(o.code == refused[0].code for o in refused):
            form.add_error(field, refused[0].message)  # the same slip for every document: said once, by its field
        else:
            _report(request, outcomes, _("Đã phân công xử lý %(n)d văn bản."))
            return redirect(back)
    return render(request, "web/bulk_assign.html", {
        "documents": documents, "form": form, "next": back, **directions.direction_context(user, user.agency_id)})


# --- Read markers on a document's page ---------------------------------------------------------


@login_required
@require_POST
@with_document
def mark_unread(request, doc):
    reading.mark_unread(request.user, [doc.pk])
    messages.success(request, _("Đã đánh dấu chưa đọc: %(subject)s") % {"subject": doc.subject[:90]})
    return redirect("workflow:home")


# --- Saved filters -------------------------------------------------------------------------------


@login_required
@require_POST
def filter_save(request):
    form = forms.SavedFilterForm(request.POST)
    path = request.POST.get("path", "")
    match = _list_match(path)
    if match is None:
        raise Http404(_("Danh sách không tồn tại."))
    if form.is_valid():
        c = form.cleaned_data
        try:
            saved = saved_filters.save_filter(request.user, path, c["name"], c["query"])
        except VpdtError as exc:
            if not form.service_error(exc):
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã lưu bộ lọc “%(name)s”.") % {"name": saved.name})
            return redirect(f"{path}?{saved.query}")
    # Refused: the list again, as it was filtered, with the error next to the name.
    request.GET = QueryDict(request.POST.get("query", ""))
    request.method = "GET"
    return match.func(request, *match.args, **match.kwargs, filter_form=form)


@login_required
@require_POST
def filter_delete(request, pk: int):
    try:
        found = saved_filters.delete_filter(request.user, pk)
    except VpdtError as exc:
        messages.error(request, exc.message)
        return redirect("workflow:home")
    messages.success(request, _("Đã xóa bộ lọc “%(name)s”.") % {"name": found.name})
    return redirect(found.path if _list_match(found.path) else reverse("workflow:home"))


# --- Canned direction texts ------------------------------------------------------------------------


@login_required
def direction_texts(request):
    """The agency's canned direction texts: the agency admin or a leader adds, edits, removes them."""
    user = request.user
    if not directions.may_edit(user, user.agency_id):
        return forbidden(request, _("Chỉ quản trị đơn vị hoặc lãnh đạo cơ quan sửa ý kiến chỉ đạo mẫu."))
    texts = list(directions.texts_for(user.agency_id))
    new = forms.DirectionTextForm()
    edits = {t.pk: forms.DirectionTextForm(initial={"text": t.text, "order": t.order}, prefix=f"t{t.pk}")
             for t in texts}
    if request.method == "POST":
        op, pk = request.POST.get("op"), forms.PickForm(request.POST)
        try:
            if op == "add":
                new = forms.DirectionTextForm(request.POST)
                if new.is_valid():
                    directions.add_text(user, user.agency, new.cleaned_data["text"], order=new.cleaned_data["order"])
                    messages.success(request, _("Đã thêm ý kiến chỉ đạo mẫu."))
                    return redirect("workflow:direction_texts")
            elif op in ("update", "delete") and pk.is_valid() and pk.cleaned_data["pk"] in edits:
                key = pk.cleaned_data["pk"]
                if op == "delete":
                    directions.delete_text(user, key)
                    messages.success(request, _("Đã xóa ý kiến chỉ đạo mẫu."))
                    return redirect("workflow:direction_texts")
                edits[key] = form = forms.DirectionTextForm(request.POST, prefix=f"t{key}")
                if form.is_valid():
                    directions.update_text(user, key, form.cleaned_data["text"], order=form.cleaned_data["order"])
                    messages.success(request, _("Đã sửa ý kiến chỉ đạo mẫu."))
                    return redirect("workflow:direction_texts")
            else:
                messages.error(request, _("Không tìm thấy ý kiến chỉ đạo mẫu."))
                return redirect("workflow:direction_texts")
        except VpdtError as exc:
            target = new if op == "add" else edits.get(pk.cleaned_data.get("pk") if pk.is_valid() else None)
            if target is None or not target.service_error(exc):
                messages.error(request, exc.message)
    return render(request, "web/direction_texts.html", {"rows": [(t, edits[t.pk]) for t in texts], "form": new})


# --- Files dropped on a document -------------------------------------------------------------------


@login_required
@require_POST
@with_document
def upload(request, doc, kind: str):
    """Several files at once (attach: appendices; version: new draft versions). The page's script
    sends them with a progress bar and asks for JSON (X-Upload: 1); without a script, a redirect."""
    if kind not in uploads.KINDS:
        raise Http404
    scripted = request.headers.get("X-Upload") == "1"
    form = forms.UploadFilesForm(request.POST, request.FILES)
    errors: list[dict] = []
    outcomes = []
    if not form.is_valid():
        errors = [{"name": "", "message": str(e)} for es in form.errors.values() for e in es]
    else:
        try:
            outcomes = uploads.upload_files(request.user, doc, kind, form.cleaned_data["files"],
                                            note=form.cleaned_data["note"])
        except VpdtError as exc:
            errors = [{"name": "", "message": exc.message}]
    location = reverse("workflow:document", args=[doc.pk])
    if errors:
        if scripted:
            return JsonResponse({"errors": errors}, status=400)
        for e in errors:
            messages.error(request, e["message"])
        return redirect(location)
    stored = [o for o in outcomes if o.ok]
    if stored:
        messages.success(request, ngettext("Đã lưu %(n)d tệp.", "Đã lưu %(n)d tệp.", len(stored)) % {"n": len(stored)})
    refused = [{"name": o.name, "message": _("Tệp “%(name)s” không được lưu: %(reason)s") % {
        "name": o.name, "reason": o.message}} for o in outcomes if not o.ok]
    for r in refused:
        messages.error(request, r["message"])
    if scripted:
        return JsonResponse({"location": location, "stored": [o.name for o in stored], "refused": refused})
    return redirect(location)

"""Pages of the daily work: queues, lists, the document page, forms. Thin: they call services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vpdt.core import blobs
from vpdt.core.errors import InvalidInput, NotFound, PermissionDenied, VpdtError
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State, Urgency
from vpdt.records.listing import page_and_count
from vpdt.records.models import Document, DocumentType, DraftVersion, Register
from vpdt.records.permissions import get_visible, visible_documents
from vpdt.records.search import CODE_RE, apply_quick_search
from vpdt.records.services import DuplicateIncoming
from vpdt.workflow import holidays, notifications, queues, services
from vpdt.workflow.delegation import today
from vpdt.workflow.models import Delegation, Notification
from vpdt.workflow.timeline import timeline

PAGE_SIZE = 25
# A work list says "more than 1,000" rather than counting further: the count walks every
# match, and for a unit head filtering a big agency that walk was most of the page's time.
COUNT_CAP = 1_000
SORTS = {
    "urgent": ("-urgency", "-created_at", "-id"),
    "new": ("-created_at", "-id"),
    "old": ("created_at", "id"),
    "due": ("due_date", "-urgency", "-id"),
    "issued": ("-issued_date", "-id"),
}


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise InvalidInput(_("Ngày không hợp lệ: %(value)s (dd/mm/yyyy).") % {"value": value}, code="BAD_DATE")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filtered(request, qs):
    """Filters of every list: register, type, issuer, date range, urgency, state, quick search, sort."""
    g = request.GET
    qs = apply_quick_search(qs, g.get("q"))
    if _int(g.get("register")):
        reg = _int(g["register"])
        qs = qs.filter(Q(register_id=reg) | Q(incoming_register_id=reg))
    if _int(g.get("type")):
        qs = qs.filter(document_type_id=_int(g["type"]))
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
    elif _int(g.get("urgency")) is not None:
        qs = qs.filter(urgency=_int(g["urgency"]))
    if g.get("state") in State.values:
        qs = qs.filter(state=g["state"])
    sort = g.get("sort") if g.get("sort") in SORTS else "urgent"
    return qs.order_by(*SORTS[sort]), sort


def _page(request, qs) -> dict:
    """Offset pages with a bounded count: never COUNT(*) over a million rows."""
    number = max(1, _int(request.GET.get("page")) or 1)
    offset = (number - 1) * PAGE_SIZE
    rows, count, capped, has_next = page_and_count(qs, offset, PAGE_SIZE, COUNT_CAP, related=("document_type",))
    day = today()
    for d in rows:
        d.deadline_flag = services.deadline_status(d, day)
    params = request.GET.copy()
    params.pop("page", None)
    return {"rows": rows, "number": number, "has_next": has_next, "has_previous": number > 1,
            "count": count, "count_capped": capped, "params": params.urlencode()}


def _filter_context(user) -> dict:
    agencies = [a for a in user.member_agency_ids()]
    return {
        "types": DocumentType.objects.all(),
        "registers": Register.objects.filter(agency_id__in=agencies, year__gte=timezone.localdate().year - 1),
        "states": State.choices, "urgencies": Urgency.choices, "sorts": [
            ("urgent", _("Khẩn trước")), ("new", _("Mới nhất")), ("old", _("Cũ nhất")), ("due", _("Hạn xử lý")),
            ("issued", _("Ngày ban hành"))],
    }


def _list_response(request, template: str, context: dict):
    """The whole page, or only the list when HTMX asks for it (filters, search as you type, pages).

    A history restore (HTMX found no snapshot) asks for the whole page again.
    """
    partial = (request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "doc-list"
               and not request.headers.get("HX-History-Restore-Request"))
    response = render(request, "workflow/_list.html" if partial else template, {**context, "partial": partial})
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
def queue(request, name: str = "waiting"):
    if name not in queues.QUEUES:
        raise Http404
    qs, sort = _filtered(request, queues.get(name, request.user))
    tabs = [(key, label, reverse("workflow:queue", args=[key]) if key != "waiting" else reverse("workflow:home"))
            for key, (label, _f) in queues.QUEUES.items()]
    return _list_response(request, "workflow/queue.html", {
        "title": queues.QUEUES[name][0], "tab": name, "tabs": tabs, "page": _page(request, qs), "sort": sort,
        "g": request.GET, **_filter_context(request.user)})


@login_required
def documents(request, direction: str):
    qs, sort = _filtered(request, visible_documents(request.user).filter(direction=direction))
    title = {"incoming": _("Văn bản đến"), "outgoing": _("Văn bản đi"), "internal": _("Văn bản nội bộ")}[direction]
    return _list_response(request, "workflow/documents.html", {
        "title": title, "direction": direction, "page": _page(request, qs), "sort": sort, "g": request.GET,
        **_filter_context(request.user)})


def _visible(request, pk: int) -> Document:
    try:
        return get_visible(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _pdf_files(document, attachments, versions) -> list[dict]:
    files = [{"name": a.name, "url": reverse("web:attachment", args=[a.pk]), "kind": a.get_kind_display()}
             for a in attachments if a.name.lower().endswith(".pdf") or a.content_type == "application/pdf"]
    files += [{"name": _("Dự thảo v%(number)s: %(name)s") % {"number": v.number, "name": v.name},
               "url": reverse("workflow:version", args=[v.pk]), "kind": _("Dự thảo")}
              for v in reversed(versions) if v.name.lower().endswith(".pdf")]
    return files


@login_required
def document(request, pk: int):
    try:
        doc = _visible(request, pk)
    except PermissionDenied as exc:
        return HttpResponseForbidden(exc.message)
    user = request.user
    actions = services.available_actions(user, doc)
    attachments = list(doc.attachments.select_related("blob"))
    versions = list(doc.versions.select_related("created_by", "blob"))
    assignments = list(doc.assignments.select_related("unit", "user", "assigned_by", "on_behalf_of")
                       .order_by("parent_id", "id"))
    ctx = {
        "document": doc, "actions": actions, "attachments": attachments, "versions": versions,
        "recipients": doc.recipients.select_related("unit", "agency"),
        "assignments": assignments,
        "reviews": doc.reviews.select_related("reviewer", "decided_by", "on_behalf_of"),
        "timeline": timeline(doc),
        "pdfs": _pdf_files(doc, attachments, versions),
        "deadline_flag": services.deadline_status(doc),
        "extensions": services.pending_extensions(user, doc),
        "duplicate": request.GET.get("trung") == "1" and "register" in actions,
        "current_review": services.current_review(doc) if doc.state == State.IN_REVIEW else None,
    }
    ctx.update(_signing_context(user, doc, actions))
    if "submit" in actions:
        ctx["leaders"] = services.role_holders(doc.agency_id, Role.LEADER)
    if "review" in actions:
        ctx["colleagues"] = User.objects.filter(agency_id=doc.agency_id, is_active=True).exclude(pk=user.pk)
    if "complete" in actions:
        ctx["replies"] = Document.objects.filter(agency_id=doc.agency_id, created_by=user,
                                                 direction=Direction.OUTGOING).order_by("-id")[:30]
    if "replace" in actions:
        ctx["replacement_choices"] = _replacement_candidates(user, doc).order_by("-created_at", "-id")[:50]
    if "edit_draft" in actions:
        ctx.update(_recipient_choices(doc.agency_id))
        ctx["chosen_units"] = {r.unit_id for r in ctx["recipients"] if r.unit_id}
        ctx["chosen_agencies"] = {r.agency_id for r in ctx["recipients"] if r.agency_id}
    Notification.objects.filter(user=user, document=doc, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "workflow/document.html", ctx)


def _signing_context(user, doc: Document, actions: set[str]) -> dict:
    """The signature panel, the override form when signatures fail, PIN fields when a key needs one."""
    signing = services._signing()
    if signing is None:
        return {}
    ctx = {"signature_checks": signing.checks_for(doc), "signing_pin": {}}
    if "register" in actions:
        ok, why = signing.can_register(doc)
        ctx["signature_blocked"], ctx["signature_reason"] = not ok, why
    if "review" in actions:
        key = signing.key_of(user=user)
        ctx["signing_pin"]["person"] = bool(key and key.needs_pin)
    if "issue_number" in actions:
        key = signing.key_of(agency=doc.agency)
        ctx["signing_pin"]["agency"] = bool(key and key.needs_pin)
    return ctx


def _recipient_choices(agency_id: int) -> dict:
    return {"units": Unit.objects.filter(agency_id=agency_id, active=True),
            "agencies": Agency.objects.filter(active=True).exclude(pk=agency_id).order_by("code")}


def _users(ids) -> list[User]:
    ids = [i for i in (_int(x) for x in ids) if i]
    return list(User.objects.filter(pk__in=ids))


def _target(value: str):
    """`u:<unit id>` or `p:<user id>` from the assign form."""
    kind, _sep, pk = (value or "").partition(":")
    if kind == "u":
        return Unit.objects.filter(pk=_int(pk)).first()
    if kind == "p":
        return User.objects.filter(pk=_int(pk)).first()
    return None


def _upload(request, field: str):
    f = request.FILES.get(field)
    return (f, f.name, f.content_type or "") if f else (None, "", "")


def _recipients_from(request, agency_id: int) -> dict:
    p = request.POST
    return {
        "units": list(Unit.objects.filter(agency_id=agency_id, pk__in=[_int(x) for x in p.getlist("units")])),
        "agencies": list(Agency.objects.filter(pk__in=[_int(x) for x in p.getlist("agencies")])),
        "emails": [e for e in p.get("emails", "").replace(",", "\n").splitlines() if e.strip()],
        "papers": [e for e in p.get("papers", "").splitlines() if e.strip()],
    }


def _signing_messages(request, doc: Document) -> None:
    for warning in getattr(getattr(doc, "signing", None), "warnings", []):
        messages.warning(request, warning)


def _replacement_candidates(user, doc: Document):
    """What may replace a released document: the agency's other outgoing documents that `user` may see."""
    return (visible_documents(user).filter(agency_id=doc.agency_id, direction=Direction.OUTGOING)
            .exclude(pk=doc.pk).exclude(state__in=[State.RECALLED, State.REPLACED]))


def _replacement(user, doc: Document, value: str) -> Document | None:
    """The replacing document named by its số, ký hiệu (`12/SKHCN-VP`) or, for a draft, `#id`; empty: none."""
    value = (value or "").strip()
    if not value:
        return None
    candidates = _replacement_candidates(user, doc)
    if CODE_RE.match(value):
        found = apply_quick_search(candidates, value).order_by("-issued_date", "-id").first()
    else:
        pk = _int(value.lstrip("#"))
        found = candidates.filter(pk=pk).first() if pk else None
    if found is None:
        raise InvalidInput(_("Không tìm thấy văn bản thay thế: %(value)s. Chọn trong danh sách hoặc nhập "
                             "số, ký hiệu văn bản đi của cơ quan.") % {"value": value}, code="REPLACEMENT_NOT_FOUND")
    return found


def _do(request, doc: Document, action: str):
    """One POST action on a document → one service call."""
    p, user = request.POST, request.user
    if action == "register":
        services.register(user, doc, confirm_duplicate=p.get("confirm") == "1",
                          override_reason=p.get("override_reason", ""))
        return _("Đã vào sổ, số đến %(number)s.") % {"number": doc.incoming_number_text}
    if action == "return":
        services.return_to_sender(user, doc, p.get("reason", ""))
        return _("Đã trả lại văn bản.")
    if action == "submit":
        leader = User.objects.filter(pk=_int(p.get("leader"))).first()
        services.submit_to_leader(user, doc, leader=leader, note=p.get("note", ""))
        return _("Đã trình lãnh đạo.")
    if action == "opinion":
        f, name, ctype = _upload(request, "file")
        services.give_opinion(user, doc, p.get("text", ""), file=f, filename=name, content_type=ctype)
        return _("Đã ghi ý kiến.")
    if action == "extension":
        services.request_extension(user, doc, _date(p.get("new_deadline")), p.get("reason", ""))
        return _("Đã gửi đề nghị gia hạn.")
    if action == "decide_extension":
        request_ = services.get_extension(_int(p.get("request")))
        if request_.assignment.document_id != doc.pk:
            raise NotFound(_("Không tìm thấy đề nghị gia hạn."))
        services.decide_extension(user, request_, approve=p.get("approve") == "1", note=p.get("note", ""))
        return _("Đã duyệt gia hạn.") if p.get("approve") == "1" else _("Đã từ chối gia hạn.")
    if action == "transfer_back":
        services.transfer_back(user, doc, p.get("reason", ""))
        return _("Đã chuyển lại.")
    if action == "complete":
        reply = Document.objects.filter(pk=_int(p.get("reply")), agency_id=doc.agency_id).first()
        services.complete(user, doc, summary=p.get("summary", ""), reply=reply)
        return _("Đã hoàn thành xử lý văn bản.")
    if action == "version":
        f, name, _ctype = _upload(request, "file")
        if f is None:
            raise InvalidInput(_("Chọn tệp dự thảo (.docx hoặc .pdf)."), code="FILE_REQUIRED")
        services.add_version(user, doc, f, name, note=p.get("note", ""))
        return _("Đã lưu phiên bản dự thảo mới.")
    if action == "recipients":
        services.set_recipients(user, doc, **_recipients_from(request, doc.agency_id))
        return _("Đã cập nhật nơi nhận.")
    if action == "submit_review":
        services.submit_for_review(user, doc, note=p.get("note", ""))
        return _("Đã trình duyệt dự thảo.")
    if action == "approve":
        doc = services.approve(user, doc, p.get("comment", ""), pin=p.get("pin") or None)
        _signing_messages(request, doc)
        return _("Đã duyệt.") + (" " + _("Văn bản đã được ký số.") if getattr(doc.signing, "signed", False) else "")
    if action == "send_back":
        services.send_back(user, doc, p.get("comment", ""))
        return _("Đã trả lại dự thảo để sửa.")
    if action == "forward":
        to = User.objects.filter(pk=_int(p.get("to"))).first()
        services.forward(user, doc, to, p.get("comment", ""))
        return _("Đã chuyển tiếp.")
    if action == "issue_number":
        doc = services.issue_number(user, doc, pin=p.get("pin") or None)
        _signing_messages(request, doc)
        values = {"code": doc.code, "date": f"{doc.issued_date:%d/%m/%Y}"}
        if getattr(doc.signing, "signed", False):
            return _("Đã cấp số %(code)s, ngày %(date)s và ký số của cơ quan.") % values
        return _("Đã cấp số %(code)s, ngày %(date)s.") % values
    if action == "release":
        services.release(user, doc)
        return _("Đã phát hành văn bản.")
    if action == "acknowledge":
        services.acknowledge(user, doc)
        return _("Đã xác nhận nhận văn bản.")
    if action == "recall":
        services.recall(user, doc, p.get("reason", ""))
        return _("Đã thu hồi văn bản.")
    if action == "replace":
        services.replace(user, doc, p.get("reason", ""), _replacement(user, doc, p.get("replacement", "")))
        return _("Đã đánh dấu văn bản bị thay thế.")
    if action == "update":
        data = {k: p[k] for k in ("subject", "note") if p.get(k)}
        services.update_released(user, doc, p.get("reason", ""), data)
        return _("Đã cập nhật thông tin văn bản.")
    raise Http404("Thao tác không tồn tại.")


@login_required
@require_POST
def act(request, pk: int, action: str):
    try:
        doc = _visible(request, pk)
    except PermissionDenied as exc:
        return HttpResponseForbidden(exc.message)
    try:
        message = _do(request, doc, action)
    except DuplicateIncoming as exc:
        messages.warning(request, exc.message)
        return redirect(reverse("workflow:document", args=[pk]) + "?trung=1")
    except VpdtError as exc:
        messages.error(request, exc.message)
        return redirect("workflow:document", pk=pk)
    messages.success(request, message)
    if action in ("release", "complete", "register", "submit") and request.POST.get("next") == "queue":
        return redirect("workflow:home")
    return redirect("workflow:document", pk=pk)


@login_required
def assign_form(request, pk: int):
    """The leader's direction form (chủ trì, phối hợp, để biết) or the unit head's re-assignment."""
    try:
        doc = _visible(request, pk)
    except PermissionDenied as exc:
        return HttpResponseForbidden(exc.message)
    actions = services.available_actions(request.user, doc)
    mode = "assign" if "assign" in actions else "reassign" if "reassign" in actions else None
    if mode is None:
        messages.error(request, _("Bạn không có quyền phân công văn bản này."))
        return redirect("workflow:document", pk=pk)
    units = Unit.objects.filter(agency_id=doc.agency_id, active=True)
    parent = services.check_reassign(request.user, doc) if mode == "reassign" else None
    people = User.objects.filter(agency_id=doc.agency_id, is_active=True).select_related("unit")
    if parent is not None:
        people = people.filter(unit_id=parent.unit_id).exclude(pk=request.user.pk)
    suggested = holidays.add_working_days(today(), 10)
    if request.method == "POST":
        p = request.POST
        try:
            deadline = _date(p.get("deadline"))
            if mode == "assign":
                services.assign(request.user, doc, main=_target(p.get("main")),
                                co=[t for t in map(_target, p.getlist("co")) if t],
                                info=[t for t in map(_target, p.getlist("info")) if t],
                                instructions=p.get("instructions", ""), deadline=deadline)
            else:
                handler = User.objects.filter(pk=_int(p.get("handler"))).first()
                if handler is None:
                    raise InvalidInput(_("Cần chọn cán bộ xử lý."), code="HANDLER_REQUIRED")
                services.reassign(request.user, doc, handler=handler, co=_users(p.getlist("co")),
                                  info=_users(p.getlist("info")), instructions=p.get("instructions", ""),
                                  deadline=deadline)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã phân công xử lý."))
            return redirect("workflow:document", pk=pk)
    return render(request, "workflow/assign.html", {
        "document": doc, "mode": mode, "units": units, "people": people, "parent": parent,
        "suggested": parent.deadline if parent and parent.deadline else suggested, "p": request.POST})


@login_required
def receive(request):
    """The clerk receives a paper document: scan and metadata, then registers it on its page."""
    user = request.user
    if not user.agency_id or not user.has_role(Role.CLERK, user.agency_id):
        return HttpResponseForbidden(_("Chỉ văn thư tiếp nhận văn bản đến."))
    if request.method == "POST":
        p = request.POST
        try:
            data = {
                "document_type": DocumentType.objects.filter(pk=_int(p.get("document_type"))).first(),
                "subject": p.get("subject", ""), "issuer_name": p.get("issuer_name", "").strip(),
                "issuer_code": p.get("issuer_code", "").strip(), "number": _int(p.get("number")),
                "notation": p.get("notation", "").strip(), "issued_date": _date(p.get("issued_date")),
                "urgency": _int(p.get("urgency")) or 0, "page_count": _int(p.get("page_count")),
                "signer_name": p.get("signer_name", "").strip(),
            }
            if data["document_type"] is None:
                raise InvalidInput(_("Chọn loại văn bản."), code="TYPE_REQUIRED")
            f, name, ctype = _upload(request, "scan")
            doc = services.receive_paper(user, user.agency, data, scan=f, scan_name=name,
                                         content_type=ctype or "application/pdf")
            if p.get("register_now") == "1":
                try:
                    services.register(user, doc)
                    messages.success(request, _("Đã tiếp nhận và vào sổ, số đến %(number)s.") % {
                        "number": doc.incoming_number_text})
                except DuplicateIncoming as exc:
                    messages.warning(request, exc.message)
                    return redirect(reverse("workflow:document", args=[doc.pk]) + "?trung=1")
                except VpdtError as exc:  # e.g. signatures that fail: received, not registered
                    messages.warning(request, exc.message)
                    return redirect("workflow:document", pk=doc.pk)
            else:
                messages.success(request, _("Đã tiếp nhận văn bản. Kiểm tra rồi vào sổ."))
            return redirect("workflow:document", pk=doc.pk)
        except VpdtError as exc:
            messages.error(request, exc.message)
    return render(request, "workflow/receive.html", {
        "types": DocumentType.objects.all(), "urgencies": Urgency.choices, "p": request.POST})


@login_required
def draft_new(request):
    user = request.user
    if not user.agency_id:
        return HttpResponseForbidden(_("Tài khoản chưa thuộc cơ quan nào."))
    if request.method == "POST":
        p = request.POST
        try:
            f, name, _ctype = _upload(request, "file")
            if f is None:
                raise InvalidInput(_("Chọn tệp dự thảo (.docx hoặc .pdf)."), code="FILE_REQUIRED")
            document_type = DocumentType.objects.filter(pk=_int(p.get("document_type"))).first()
            if document_type is None:
                raise InvalidInput(_("Chọn loại văn bản."), code="TYPE_REQUIRED")
            doc = services.create_draft(user, {
                "document_type": document_type,
                "subject": p.get("subject", ""), "urgency": _int(p.get("urgency")) or 0,
                "signer_competence": p.get("signer_competence", "").strip(),
                "page_count": _int(p.get("page_count")),
            }, file=f, filename=name, recipients=_recipients_from(request, user.agency_id))
            if p.get("submit_now") == "1":
                services.submit_for_review(user, doc)
                messages.success(request, _("Đã lưu dự thảo và trình duyệt."))
            else:
                messages.success(request, _("Đã lưu dự thảo."))
            return redirect("workflow:document", pk=doc.pk)
        except VpdtError as exc:
            messages.error(request, exc.message)
    steps = services.chain_steps(user.agency_id)
    return render(request, "workflow/draft.html", {
        "types": DocumentType.objects.all(), "urgencies": Urgency.choices, "p": request.POST,
        "chosen_units": {_int(x) for x in request.POST.getlist("units")},
        "chosen_agencies": {_int(x) for x in request.POST.getlist("agencies")},
        "steps": steps, **_recipient_choices(user.agency_id)})


@login_required
def version_file(request, pk: int):
    version = DraftVersion.objects.filter(pk=pk).first()
    if version is None:
        raise Http404("Không tìm thấy tệp.")
    try:
        get_visible(request.user, version.document_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    return FileResponse(blobs.open_blob(version.blob_id), content_type=version.content_type or
                        "application/octet-stream", filename=version.name,
                        as_attachment=not version.name.lower().endswith(".pdf"))


@login_required
def notification_list(request):
    items = Notification.objects.filter(user=request.user).select_related("document")[:100]
    if request.method == "POST":
        notifications.mark_read(request.user)
        return redirect("workflow:notifications")
    return render(request, "workflow/notifications.html", {"items": items})


@login_required
def notification_open(request, pk: int):
    n = Notification.objects.filter(pk=pk, user=request.user).first()
    if n is None:
        raise Http404
    notifications.mark_read(request.user, n.pk)
    return redirect("workflow:document", pk=n.document_id) if n.document_id else redirect("workflow:notifications")


@login_required
def notification_count(request):
    """The unread count: JSON for scripts, the bell itself for the page's HTMX poll (`?bell=lg|sm`)."""
    unread = notifications.unread_count(request.user)
    if request.GET.get("bell") in ("lg", "sm"):
        return render(request, "workflow/_bell_link.html", {"unread_notifications": unread, "size": request.GET["bell"]})
    return JsonResponse({"unread": unread})


@login_required
def delegations(request):
    """Own delegations for leaders and unit heads; the agency admin sees and manages the agency's."""
    user = request.user
    is_admin = bool(user.agency_id) and user.has_role(Role.AGENCY_ADMIN, user.agency_id)
    leaders = User.objects.filter(agency_id=user.agency_id, is_active=True).filter(
        role_assignments__role__in=[Role.LEADER, Role.UNIT_HEAD],
        role_assignments__agency_id=user.agency_id).distinct().order_by("full_name", "pk")
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("revoke"):
                found = Delegation.objects.filter(pk=_int(p["revoke"]), agency_id=user.agency_id).first()
                if found is None:
                    raise NotFound(_("Không tìm thấy ủy quyền."))
                services.revoke_delegation(user, found)
                messages.success(request, _("Đã thu hồi ủy quyền."))
            else:
                deputy = User.objects.filter(pk=_int(p.get("deputy"))).first()
                principal = user
                if is_admin and p.get("principal") and _int(p["principal"]) != user.pk:
                    principal = leaders.filter(pk=_int(p["principal"])).first()
                    if principal is None:
                        raise InvalidInput(_("Chọn lãnh đạo ủy quyền trong danh sách."), code="BAD_PRINCIPAL")
                services.delegate(user, deputy=deputy, starts_on=_date(p.get("starts_on")),
                                  ends_on=_date(p.get("ends_on")), reason=p.get("reason", ""), principal=principal)
                messages.success(request, _("Đã ủy quyền."))
            return redirect("workflow:delegations")
        except VpdtError as exc:
            messages.error(request, exc.message)
    scope = Q(agency_id=user.agency_id) if is_admin else Q(principal=user) | Q(deputy=user)
    items = Delegation.objects.filter(scope).select_related("principal", "deputy").order_by("-starts_on", "-id")[:200]
    deputies = leaders if is_admin else leaders.exclude(pk=user.pk)
    return render(request, "workflow/delegations.html", {
        "items": items, "deputies": deputies, "principals": leaders if is_admin else None, "is_admin": is_admin,
        "today": today(), "p": request.POST})

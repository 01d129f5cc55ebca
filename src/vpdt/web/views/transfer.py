"""Nộp lưu: the clerk prepares the transfer list of a year's closed dossiers and submits it; the
archivist checks each dossier (accepts or returns it with a reason) and accepts the transfer,
which builds the signed package to download. The rules are in vpdt.archive.services.transfer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vpdt.archive.models import Dossier, TransferItem, TransferItemState, TransferState
from vpdt.archive.services import transfer as service
from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.directory.models import Agency
from vpdt.web.views.common import int_or_none, query_int
from vpdt.web.views.errors import forbidden


def _may_see(user) -> bool:
    return bool(service.agencies_of(user, service.PREPARERS + service.CHECKERS))


def _transfer(request, pk: int):
    try:
        return service.get_transfer(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _back(transfer):
    return redirect("web:transfer_detail", pk=transfer.pk)


def _run(request, action, success: str) -> bool:
    try:
        action()
    except VpdtError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


@login_required
def transfer_list(request):
    """The clerk's transfer lists and the archivist's inbox (submitted lists waiting)."""
    user = request.user
    if not _may_see(user):
        return forbidden(request, _("Nộp lưu hồ sơ dành cho văn thư và cán bộ lưu trữ."))
    transfers = list(service.visible_transfers(user).order_by("-year", "-id"))
    for t in transfers:
        t.progress = service.progress(t)
    return render(request, "web/archive/transfer_list.html", {
        "transfers": transfers,
        # a list whose every dossier was returned has nothing left to receive
        "inbox": [t for t in transfers if t.state == TransferState.SUBMITTED and service.may_check(user, t.agency_id)
                  and (t.progress.pending or t.progress.accepted)],
        "can_prepare": any(service.may_prepare(user, a) for a in user.member_agency_ids()),
        "is_archivist": bool(service.agencies_of(user, service.CHECKERS)),
    })


def _prepare_agency(user) -> Agency | None:
    ids = [a for a in user.member_agency_ids() if service.may_prepare(user, a)]
    if user.agency_id in ids:
        return user.agency
    return Agency.objects.filter(pk__in=ids).order_by("name").first()


@login_required
def transfer_prepare(request):
    """The closed dossiers of a year (those due first, ticked), to put in a new transfer list."""
    user = request.user
    agency = _prepare_agency(user)
    if agency is None:
        return forbidden(request, _("Chỉ văn thư được lập mục lục hồ sơ nộp lưu."))
    today = timezone.localdate()
    years = sorted(set(Dossier.objects.filter(agency=agency, state="closed").values_list("year", flat=True)),
                   reverse=True)
    year = query_int(request, "nam", maximum=9999) or int_or_none(request.POST.get("year"))
    if year is None or not 1900 <= year <= 9999:
        year = years[0] if years else today.year - 1
    if request.method == "POST":
        chosen = request.POST.getlist("dossier")
        try:
            made = service.prepare(user, agency, year, chosen, note=request.POST.get("note", ""))
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã lập mục lục hồ sơ nộp lưu năm %(year)s.") % {"year": year})
            return _back(made)
    candidates = list(service.candidates(user, agency, year, today))
    due = {d.pk for d in candidates if d.transfer_due and d.transfer_due <= today}
    return render(request, "web/archive/transfer_prepare.html", {
        "agency": agency, "year": year, "years": years, "candidates": candidates, "due": due, "today": today})


@login_required
def transfer_detail(request, pk: int):
    """A transfer list: its dossiers and their states; the clerk submits it while drafting, the
    archivist accepts or returns each dossier then accepts the transfer; the package to download."""
    user = request.user
    t = _transfer(request, pk)
    items = list(t.items.select_related("dossier", "checked_by").order_by("order", "id"))
    for item in items:
        item.documents = item.dossier.items.count()
    drafting = t.state == TransferState.DRAFT and service.may_prepare(user, t.agency_id)
    checking = t.state == TransferState.SUBMITTED and service.may_check(user, t.agency_id)
    progress = service.progress(t)
    addable = list(service.candidates(user, t.agency, t.year)) if drafting else []
    return render(request, "web/archive/transfer_detail.html", {
        "transfer": t, "items": items, "drafting": drafting, "checking": checking, "progress": progress,
        "addable": addable, "pending_state": TransferItemState.PENDING})


@login_required
@require_POST
def transfer_add(request, pk: int):
    t = _transfer(request, pk)
    _run(request, lambda: service.add_dossiers(request.user, t, request.POST.getlist("dossier")),
         _("Đã thêm hồ sơ vào mục lục."))
    return _back(t)


@login_required
@require_POST
def transfer_remove(request, pk: int, dossier: int):
    t = _transfer(request, pk)
    _run(request, lambda: service.remove_dossier(request.user, t, dossier), _("Đã bỏ hồ sơ khỏi mục lục."))
    return _back(t)


@login_required
@require_POST
def transfer_submit(request, pk: int):
    t = _transfer(request, pk)
    _run(request, lambda: service.submit(request.user, t), _("Đã gửi mục lục cho lưu trữ cơ quan."))
    return _back(t)


def _item(t, item_pk: int) -> TransferItem:
    found = t.items.select_related("transfer", "dossier").filter(pk=item_pk).first()
    if found is None:
        raise Http404(_("Không tìm thấy hồ sơ trong mục lục."))
    return found


@login_required
@require_POST
def transfer_item_accept(request, pk: int, item: int):
    t = _transfer(request, pk)
    row = _item(t, item)
    _run(request, lambda: service.accept_item(request.user, row),
         _("Đã nhận hồ sơ %(code)s.") % {"code": row.dossier.code})
    return _back(t)


@login_required
@require_POST
def transfer_item_return(request, pk: int, item: int):
    t = _transfer(request, pk)
    row = _item(t, item)
    _run(request, lambda: service.return_item(request.user, row, request.POST.get("reason", "")),
         _("Đã trả lại hồ sơ %(code)s; hồ sơ trở về trạng thái đã kết thúc.") % {"code": row.dossier.code})
    return _back(t)


@login_required
@require_POST
def transfer_accept(request, pk: int):
    t = _transfer(request, pk)
    _run(request, lambda: service.accept(request.user, t, pin=request.POST.get("pin") or None),
         _("Đã tiếp nhận hồ sơ nộp lưu; gói nộp lưu đã được ký số của cơ quan."))
    return _back(t)


@login_required
def transfer_download(request, pk: int):
    t = _transfer(request, pk)
    try:
        fh, name = service.open_package(request.user, t)
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(fh, as_attachment=True, filename=name, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

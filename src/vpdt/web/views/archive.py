"""The agency archive's own pages (issue 19, "Lưu trữ cơ quan"): what it holds, the dossiers past
retention, reader requests and who read what, and disposal lists. The rules live in
vpdt.archive.services (reading, disposal); these views only ask and show.

- /luu-tru/: the archivist's and the leader's view of the holdings;
- /luu-tru/doc/: any member asks to read an archived dossier of the agency, and reads it once
  approved (each opening logged by the service);
- /luu-tru/huy/: disposal lists (proposed by the archivist or a clerk, approved by the leader
  and the archive, destroyed with a record).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vpdt.archive.models import ArchiveReading, DisposalState, Dossier, DossierState, ReadingState
from vpdt.archive.services import disposal, reading
from vpdt.core import blobs, filetypes
from vpdt.core.errors import InvalidInput, NotFound, PermissionDenied, VpdtError
from vpdt.directory.roles import Role
from vpdt.records.models import Attachment
from vpdt.web.views.common import query_int
from vpdt.web.views.errors import forbidden
from vpdt.web.views.files import FILE_CSP

HOLDINGS_ROLES = {Role.ARCHIVIST, Role.LEADER}
DISPOSAL_ROLES = {Role.ARCHIVIST, Role.CLERK, Role.LEADER}
PAGE_SIZE = 50
PERMANENT = "vv"


def may_see_holdings(user) -> bool:
    return bool(user.agency_id and user.role_set(user.agency_id) & HOLDINGS_ROLES)


def _params(request) -> str:
    """The query without its page number, for the pages' links."""
    query = request.GET.copy()
    query.pop("trang", None)
    return query.urlencode()


def _retention_choices(agency_id: int) -> list[tuple[str, str]]:
    years = sorted(set(Dossier.objects.filter(agency_id=agency_id, state=DossierState.ARCHIVED)
                       .exclude(retention_years=None).values_list("retention_years", flat=True)))
    return [(PERMANENT, _("Vĩnh viễn"))] + [(str(y), _("%(n)s năm") % {"n": y}) for y in years]


@login_required
def holdings(request):
    """What the archive holds (archived dossiers by year), the dossiers past retention, reader
    requests and the reading log."""
    user = request.user
    if not may_see_holdings(user):
        return forbidden(request, _("Trang lưu trữ cơ quan dành cho cán bộ lưu trữ và lãnh đạo cơ quan."))
    agency_id = user.agency_id
    archived = Dossier.objects.filter(agency_id=agency_id, state=DossierState.ARCHIVED)
    years = sorted(set(archived.values_list("year", flat=True)), reverse=True)
    year = query_int(request, "nam", maximum=9999)
    retention = request.GET.get("thoi-han", "")
    q = request.GET.get("q", "").strip()[:200]
    shown = archived
    if year is not None:
        shown = shown.filter(year=year)
    if retention == PERMANENT:
        shown = shown.filter(retention_years=None)
    elif retention.isdigit():
        shown = shown.filter(retention_years=int(retention))
    if q:
        shown = shown.filter(Q(code__icontains=q) | Q(title__icontains=q))
    shown = shown.annotate(document_count=Count("items")).order_by("-year", "code")
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("trang"))
    today = timezone.localdate()
    requests_ = reading.readings_for(user, agency_id).order_by("-requested_at")
    return render(request, "web/archive/keep_home.html", {
        "page": page, "params": _params(request), "years": years, "year": year, "retention": retention, "q": q,
        "retentions": _retention_choices(agency_id), "total": archived.count(),
        "past": [(d, disposal.retention_ends(d)) for d in disposal.past_retention(agency_id, today)],
        "listed": disposal.listed_dossier_ids(agency_id),
        "pending": requests_.filter(state=ReadingState.REQUESTED),
        "decided": requests_.exclude(state=ReadingState.REQUESTED).order_by("-decided_at", "-id")[:200],
        "log": reading.read_log(user, agency_id),
        "is_archivist": reading.is_archivist(user, agency_id),
        "may_dispose": bool(user.role_set(agency_id) & DISPOSAL_ROLES),
    })


# --- reading ------------------------------------------------------------------------------

@login_required
def reading_page(request):
    """Ask to read an archived dossier of one's agency; one's own requests, with the approved to open."""
    user = request.user
    q = request.GET.get("q", "").strip()[:200]
    dossiers = reading.archived_dossiers(user)
    if q:
        dossiers = dossiers.filter(Q(code__icontains=q) | Q(title__icontains=q))
    page = Paginator(dossiers.order_by("-year", "code"), PAGE_SIZE).get_page(request.GET.get("trang"))
    mine = ArchiveReading.objects.filter(reader=user).select_related("dossier", "decided_by").order_by("-requested_at")
    return render(request, "web/archive/keep_reading.html", {"page": page, "params": _params(request), "q": q,
                                                            "mine": mine[:100]})


@login_required
@require_POST
def reading_request(request, pk: int):
    try:
        dossier = reading.get_archived(request.user, pk)
        reading.request_reading(request.user, dossier, request.POST.get("purpose", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except VpdtError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã gửi đề nghị đọc hồ sơ %(code)s; chờ cán bộ lưu trữ duyệt.")
                         % {"code": dossier.code})
    return redirect("web:archive_reading")


def _reading(request, pk: int) -> ArchiveReading:
    try:
        return reading.get_reading(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def reading_decide(request, pk: int):
    """The archivist approves a request or refuses it with a reason."""
    found = _reading(request, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        reading.decide(request.user, found, approve=approve, reason=request.POST.get("reason", ""))
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    except VpdtError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã cho đọc hồ sơ %(code)s.") % {"code": found.dossier.code} if approve else
                         _("Đã từ chối đề nghị đọc hồ sơ %(code)s.") % {"code": found.dossier.code})
    return redirect("web:archive_keep")


@login_required
def reading_dossier(request, pk: int):
    """An approved reader's view of the dossier: its documents in order, each to open."""
    found = _reading(request, pk)
    if not reading.may_read(request.user, found):
        return forbidden(request, _("Bạn chưa được duyệt đọc hồ sơ này."))
    return render(request, "web/archive/keep_read.html", {
        "reading": found, "dossier": found.dossier, "documents": reading.documents_of(found)})


@login_required
def reading_document(request, pk: int, doc: int):
    """One document of the dossier, read-only, with its files; the opening is logged."""
    found = _reading(request, pk)
    try:
        document = reading.open_document(request.user, found, doc)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    return render(request, "web/archive/keep_document.html", {
        "reading": found, "dossier": found.dossier, "document": document,
        "attachments": document.attachments.exclude(flag="refused_type").order_by("id")})


@login_required
def reading_file(request, pk: int, attachment: int):
    """A file of a document of the dossier, downloaded by the approved reader (logged as an opening)."""
    found = _reading(request, pk)
    file = Attachment.objects.filter(pk=attachment).first()
    if file is None:
        raise Http404(_("Không tìm thấy tệp."))
    try:
        reading.open_document(request.user, found, file.document_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    content_type = file.content_type if file.file_kind and file.file_kind != "refused" else filetypes.DOWNLOAD_ONLY
    response = FileResponse(blobs.open_blob(file.blob_id), content_type=content_type or filetypes.DOWNLOAD_ONLY,
                            filename=file.name, as_attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response


# --- disposal -----------------------------------------------------------------------------

def _may_dispose(user) -> bool:
    return bool(user.agency_id and user.role_set(user.agency_id) & DISPOSAL_ROLES)


@login_required
def disposals(request):
    """The agency's disposal lists, and (archivist, clerk) a new list from the dossiers past retention."""
    user = request.user
    if not _may_dispose(user):
        return forbidden(request, _("Trang hủy hồ sơ dành cho cán bộ lưu trữ, văn thư và lãnh đạo cơ quan."))
    agency = user.agency
    may_propose = bool(user.role_set(agency.pk) & set(disposal.PROPOSERS))
    if request.method == "POST":
        try:
            made = disposal.propose(user, agency, [i for i in request.POST.getlist("dossier") if i.isdigit()],
                                    note=request.POST.get("note", ""))
        except PermissionDenied as exc:
            return forbidden(request, exc.message)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã lập danh sách hồ sơ đề nghị hủy."))
            return redirect("web:archive_disposal", pk=made.pk)
    listed = disposal.listed_dossier_ids(agency.pk)
    candidates = [(d, disposal.retention_ends(d)) for d in disposal.past_retention(agency.pk) if d.pk not in listed]
    return render(request, "web/archive/keep_disposals.html", {
        "lists": disposal.lists_for(user, agency.pk).annotate(count=Count("items")).order_by("-id"),
        "candidates": candidates if may_propose else [], "may_propose": may_propose})


ACTIONS = {"submit", "approve_leader", "approve_archive", "refuse", "destroy"}


@login_required
def disposal_page(request, pk: int):
    """One disposal list: its dossiers, the two approvals, and what the person may do next."""
    user = request.user
    try:
        found = disposal.get_list(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            raise Http404(_("Không có thao tác này."))
        try:
            if action == "submit":
                disposal.submit(user, found)
            elif action == "approve_leader":
                disposal.approve(user, found, disposal.LEADER)
            elif action == "approve_archive":
                disposal.approve(user, found, disposal.ARCHIVE)
            elif action == "refuse":
                disposal.refuse(user, found, request.POST.get("reason", ""))
            elif request.POST.get("confirm") != "1":
                raise InvalidInput(_("Cần xác nhận trước khi hủy."), code="DISPOSAL_CONFIRM")
            else:
                disposal.destroy(user, found)
        except PermissionDenied as exc:
            return forbidden(request, exc.message)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã cập nhật danh sách hồ sơ đề nghị hủy."))
        return redirect("web:archive_disposal", pk=found.pk)
    roles = user.role_set(found.agency_id)
    state = found.state
    items = [(i, disposal.retention_ends(i.dossier)) for i in found.items.select_related("dossier").order_by(
        "dossier__year", "dossier__code")]
    return render(request, "web/archive/keep_disposal.html", {
        "disposal": found, "items": items,
        "can_submit": state == DisposalState.DRAFT and bool(roles & set(disposal.PROPOSERS)),
        "can_approve_leader": state == DisposalState.SUBMITTED and Role.LEADER in roles
        and not found.leader_approved_by_id and found.archive_approved_by_id != user.pk,
        "can_approve_archive": state == DisposalState.SUBMITTED and Role.ARCHIVIST in roles
        and not found.archive_approved_by_id and found.leader_approved_by_id != user.pk,
        "can_refuse": state == DisposalState.SUBMITTED and bool(roles & {Role.LEADER, Role.ARCHIVIST}),
        "can_destroy": state == DisposalState.APPROVED and bool(roles & set(disposal.PROPOSERS)),
    })


@login_required
def disposal_record(request, pk: int):
    """The biên bản hủy (PDF), streamed."""
    try:
        found = disposal.get_list(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return forbidden(request, exc.message)
    if not found.record_id:
        raise Http404(_("Danh sách chưa có biên bản hủy."))
    day = timezone.localtime(found.destroyed_at).date() if found.destroyed_at else dt.date.today()
    response = FileResponse(blobs.open_blob(found.record_id), content_type="application/pdf", as_attachment=True,
                            filename=f"bien-ban-huy-{found.pk}-{day:%Y%m%d}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

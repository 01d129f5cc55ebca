"""Pages for people: thin views over records' services and permissions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import redirect, render

from vpdt.core import audit, blobs
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.records.choices import Direction
from vpdt.records.models import Attachment
from vpdt.records.permissions import get_visible, visible_documents
from vpdt.records.search import apply_quick_search

PAGE_SIZE = 25


@login_required
def home(request):
    return redirect("web:incoming")


@login_required
def document_list(request, direction: str):
    qs = visible_documents(request.user).filter(direction=direction)
    q = request.GET.get("q", "")
    qs = apply_quick_search(qs, q)
    state = request.GET.get("state")
    if state:
        qs = qs.filter(state=state)
    qs = qs.select_related("document_type", "agency").order_by("-urgency", "-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    title = "Văn bản đến" if direction == Direction.INCOMING else "Văn bản đi"
    return render(request, "web/document_list.html", {
        "page": page, "q": q, "direction": direction, "title": title,
    })


@login_required
def document_detail(request, pk: int):
    try:
        document = get_visible(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return HttpResponseForbidden(exc.message)
    return render(request, "web/document_detail.html", {
        "document": document,
        "attachments": document.attachments.select_related("blob"),
        "recipients": document.recipients.select_related("unit", "agency"),
        "history": audit.history(document),
    })


@login_required
def attachment_download(request, pk: int):
    attachment = Attachment.objects.filter(pk=pk).select_related("document").first()
    if attachment is None:
        raise Http404("Không tìm thấy tệp.")
    try:
        get_visible(request.user, attachment.document_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(blobs.open_blob(attachment.blob_id), content_type=attachment.content_type or
                            "application/octet-stream", filename=attachment.name,
                            as_attachment=request.GET.get("download") == "1")
    return response

"""Attachments of documents, served to the people who may see them (streamed, never read whole)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from vpdt.core import blobs
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.records.models import Attachment
from vpdt.records.permissions import get_visible


@login_required
def attachment_download(request, pk: int):
    attachment = Attachment.objects.filter(pk=pk).select_related("document").first()
    if attachment is None:
        raise Http404("Không tìm thấy tệp.")
    try:
        get_visible(request.user, attachment.document_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    return FileResponse(blobs.open_blob(attachment.blob_id), content_type=attachment.content_type or
                        "application/octet-stream", filename=attachment.name,
                        as_attachment=request.GET.get("download") == "1")

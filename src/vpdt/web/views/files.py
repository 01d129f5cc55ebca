"""Attachments of documents, served to the people who may see them (streamed, never read whole)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from vpdt.core import blobs
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.records.models import Attachment, DraftVersion
from vpdt.records.permissions import get_visible


def _stream(user, document_id: int, blob_id: str, name: str, content_type: str, *, as_attachment: bool):
    """The file of a document `user` may see, streamed from the blob store; 404 otherwise."""
    try:
        get_visible(user, document_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    return FileResponse(blobs.open_blob(blob_id), content_type=content_type or "application/octet-stream",
                        filename=name, as_attachment=as_attachment)


@login_required
def attachment_download(request, pk: int):
    attachment = Attachment.objects.filter(pk=pk).select_related("document").first()
    if attachment is None:
        raise Http404("Không tìm thấy tệp.")
    return _stream(request.user, attachment.document_id, attachment.blob_id, attachment.name,
                   attachment.content_type, as_attachment=request.GET.get("download") == "1")


@login_required
def version_file(request, pk: int):
    """A draft version: a PDF opens in the page's viewer, a .docx downloads."""
    version = DraftVersion.objects.filter(pk=pk).first()
    if version is None:
        raise Http404("Không tìm thấy tệp.")
    return _stream(request.user, version.document_id, version.blob_id, version.name, version.content_type,
                   as_attachment=not version.name.lower().endswith(".pdf"))

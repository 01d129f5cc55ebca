"""Attachments of documents, served to the people who may see them (streamed, never read whole).

A file is served with the type decided from its bytes when it was stored (core.filetypes via
records' services: Attachment/DraftVersion.content_type and file_kind), never the type its
uploader or sender declared. Every file response carries:

- X-Content-Type-Options: nosniff, so the browser never guesses another type;
- Content-Disposition: attachment, except the kinds the page's viewer renders (a PDF without
  active content, an image), which are inline so pdf.js can fetch them;
- a sandboxing Content-Security-Policy: even opened directly, a file is a sandboxed document
  with a unique origin, no script, no form, no plugin, no connection back to vpdt. The page's
  PDF viewer is pdf.js (static/vendor/pdfjs), which fetches the bytes and draws them on canvas
  in the document page: it does not depend on the browser's own PDF viewer, which Chromium
  does not run in a sandboxed document (such a PDF opened directly is offered for download).

A file stored before types were decided from the bytes (file_kind "") is served as
application/octet-stream, for download.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from vpdt.core import blobs, filetypes
from vpdt.core.errors import NotFound, PermissionDenied
from vpdt.records.models import Attachment, DraftVersion
from vpdt.records.permissions import get_visible

FILE_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
            "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")


def _stream(user, document_id: int, file: Attachment | DraftVersion, *, download: bool):
    """The file of a document `user` may see, streamed from the blob store; 404 otherwise."""
    try:
        get_visible(user, document_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    kind = file.file_kind
    inline = kind in filetypes.INLINE_KINDS and not file.flag and not download
    content_type = file.content_type if kind and kind != "refused" else filetypes.DOWNLOAD_ONLY
    response = FileResponse(blobs.open_blob(file.blob_id), content_type=content_type or filetypes.DOWNLOAD_ONLY,
                            filename=file.name, as_attachment=not inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request, pk: int):
    attachment = Attachment.objects.filter(pk=pk).select_related("document").first()
    if attachment is None:
        raise Http404("Không tìm thấy tệp.")
    return _stream(request.user, attachment.document_id, attachment, download=request.GET.get("download") == "1")


@login_required
def version_file(request, pk: int):
    """A draft version: a PDF opens in the page's viewer, anything else downloads."""
    version = DraftVersion.objects.filter(pk=pk).first()
    if version is None:
        raise Http404("Không tìm thấy tệp.")
    return _stream(request.user, version.document_id, version, download=request.GET.get("download") == "1")

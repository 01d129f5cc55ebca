"""Drafts from templates and their PDF renditions: "Tạo dự thảo từ mẫu" (a Decree 30 .docx filled
from the draft's data, records.draft_template), the rendition of a .docx/.odt version (served to
the page's pdf.js viewer, its state polled while LibreOffice works), and "Chuyển đổi lại"."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.directory.models import Agency
from vpdt.records import renditions
from vpdt.records.models import Document, DocumentType, DraftVersion, Rendition
from vpdt.records.permissions import get_visible
from vpdt.web import forms
from vpdt.web.views.common import with_document
from vpdt.web.views.errors import forbidden
from vpdt.web.views.files import _stream
from vpdt.workflow import services

if TYPE_CHECKING:
    from vpdt.records import draft_template


def _draft_template():
    """records.draft_template, imported when a template is asked for: it loads python-docx
    (~18 MB), which a web process need not carry from its start."""
    from vpdt.records import draft_template

    return draft_template


def _with_signer(data: draft_template.DraftData, agency_id: int) -> draft_template.DraftData:
    """The signer the agency's approval chain names, when the draft does not name one yet."""
    if not data.signer_name:
        signer = next((step["user"] for step in services.chain_steps(agency_id)
                       if step["is_signer"] and step["user"] is not None), None)
        if signer is not None:
            data.signer_name, data.position = signer.get_full_name(), data.position or signer.position
    data.year = timezone.localdate().year
    return data


def _docx_response(data: draft_template.DraftData):
    draft_template = _draft_template()
    out = io.BytesIO()  # a few kilobytes made here, not a stored file
    draft_template.build(data, out)
    out.seek(0)
    response = FileResponse(out, as_attachment=True, filename=draft_template.file_name(data),
                            content_type=draft_template.CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@with_document
def template_for_document(request, doc: Document):
    """The draft's .docx from the template of its type, filled from what the draft says now."""
    try:
        services.check_edit_draft(request.user, doc)
    except VpdtError as exc:
        return forbidden(request, exc.message)
    return _docx_response(_with_signer(_draft_template().data_of(doc), doc.agency_id))


@login_required
@require_POST
def template_for_new_draft(request):
    """The new-draft page's "Tạo dự thảo từ mẫu": its fields (no file needed) give the .docx;
    a refused field re-renders the page with the error next to it and what was typed kept."""
    user = request.user
    if not user.agency_id:
        return forbidden(request, _("Tài khoản chưa thuộc cơ quan nào."))
    form = forms.DraftForm(request.POST, request.FILES, agency_id=user.agency_id)
    form.is_valid()
    form.errors.pop("file", None)  # the file is what the template is for
    if form.errors:
        return render(request, "web/draft.html", {"form": form, "steps": services.chain_steps(user.agency_id)})
    c = form.cleaned_data
    picked = form.recipients()
    names = [u.name for u in picked.get("units", [])] + [a.name for a in picked.get("agencies", [])]
    names += [str(x) for x in [*picked.get("emails", []), *picked.get("papers", [])] if str(x).strip()]
    agency = Agency.objects.select_related("parent").get(pk=user.agency_id)
    doc_type: DocumentType = c["document_type"]
    draft = Document(agency=agency, document_type=doc_type, subject=c["subject"].strip(),
                     signer_competence=c.get("signer_competence", "").strip(), place=agency.place,
                     drafting_unit=user.unit)
    return _docx_response(_with_signer(_draft_template().data_of(draft, addressees=names), agency.pk))


def _version(request, pk: int) -> DraftVersion:
    version = DraftVersion.objects.filter(pk=pk).select_related("document").first()
    if version is None:
        raise Http404(_("Không tìm thấy trang hoặc dữ liệu được yêu cầu."))
    try:
        get_visible(request.user, version.document_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from exc
    return version


@login_required
def rendition_file(request, pk: int):
    """The PDF made from a .docx/.odt version: inline for the page's viewer."""
    rendition = Rendition.objects.filter(version_id=pk).select_related("version").first()
    if rendition is None or not rendition.viewable:
        raise Http404(_("Bản PDF chưa sẵn sàng."))
    return _stream(request.user, rendition.version.document_id, rendition,
                   download=request.GET.get("download") == "1")


@never_cache
@login_required
def rendition_state(request, pk: int):
    """The rendition's state for the page's poller (static/web/renditions.js)."""
    version = _version(request, pk)
    rendition = Rendition.objects.filter(version=version).first()
    state = rendition.state if rendition else Rendition.State.WAITING
    return JsonResponse({"state": state, "label": str(Rendition.State(state).label),
                         "reason": renditions.reason(rendition)})


@login_required
@require_POST
def rendition_retry(request, pk: int):
    version = _version(request, pk)
    form = forms.EmptyForm(request.POST, document=version.document, user=request.user)
    if form.is_valid():
        try:
            renditions.retry(request.user, version)
        except VpdtError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã gửi lại yêu cầu chuyển sang PDF."))
    return redirect(reverse("workflow:document", args=[version.document_id]) + "#files-h")


def page_context(doc: Document, versions: list[DraftVersion], actions) -> dict:
    """What the document page shows about templates and renditions (web/_renditions.html)."""
    last = versions[-1] if versions else None
    rendition = getattr(last, "rendition", None) if last is not None and renditions.convertible(last) else None
    return {"template_url": reverse("workflow:draft_template", args=[doc.pk]) if "edit_draft" in actions else "",
            "last_version": last, "last_rendition": rendition,
            "last_rendition_reason": renditions.reason(rendition)}

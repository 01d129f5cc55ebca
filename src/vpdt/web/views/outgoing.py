"""Outgoing documents: drafting, and the actions from review to release and after it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from vpdt.core.converters import bounded_int
from vpdt.core.errors import InvalidInput, VpdtError
from vpdt.core.text import fold
from vpdt.records.models import Document
from vpdt.records.search import CODE_RE, apply_quick_search
from vpdt.web import forms
from vpdt.web.views.common import posted, with_document
from vpdt.web.views.errors import forbidden
from vpdt.workflow import services


@login_required
def draft_new(request):
    user = request.user
    if not user.agency_id:
        return forbidden(request, _("Tài khoản chưa thuộc cơ quan nào."))
    form = forms.DraftForm(*posted(request), agency_id=user.agency_id, user=user)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            doc = services.create_draft(user, form.document_data(), file=f, filename=f.name,
                                        recipients=form.recipients())
        except VpdtError as exc:
            if not form.service_error(exc):
                form.add_error(None, exc.message)
        else:
            if not form.cleaned_data["submit_now"]:
                messages.success(request, _("Đã lưu dự thảo."))
                return redirect("workflow:document", pk=doc.pk)
            try:
                services.submit_for_review(user, doc)
            except VpdtError as exc:  # saved, not submitted: the draft's page says why (no second draft)
                messages.warning(request, exc.message)
            else:
                messages.success(request, _("Đã lưu dự thảo và trình duyệt."))
            return redirect("workflow:document", pk=doc.pk)
    return render(request, "web/draft.html", {"form": form, "steps": services.chain_steps(user.agency_id)})


# ======================================================================================
# Approving at the signer's step: a confirm page that shows what will be signed
# ======================================================================================


def _pages(blob) -> int | None:
    from pypdf import PdfReader

    from vpdt.core import blobs

    try:
        with blobs.open_blob(blob) as fh:
            return len(PdfReader(fh, strict=False).pages)
    except Exception:  # noqa: BLE001 - not a PDF pypdf can read: the page says "không rõ"
        return None


def _what_is_signed(user, doc: Document, form) -> dict:
    signing = services.signing_services()
    version = doc.versions.select_related("blob").order_by("-number").first()
    is_pdf = bool(version and signing and signing.is_pdf(version.name, version.content_type))
    key = signing.key_of(user=user) if signing else None
    from_rendition, refusal, signed_blob = False, "", version.blob if version else None
    if key is not None and signing.signed_from_rendition(version):  # a .docx: its PDF rendition is signed
        from_rendition = True
        try:
            signed_blob = signing.signable(version).blob
        except VpdtError as exc:
            refusal = exc.message
        else:
            is_pdf = True
    chosen = form["competence"].value() if form.is_bound else form.initial.get("competence", "")
    shown = Document(agency=doc.agency, signer_competence=chosen or "",
                     signer_position=doc.signer_position or user.position,
                     signer_name=doc.signer_name or user.get_full_name())
    return {
        "number": f"…/{doc.notation}" if doc.notation else _("… (văn thư cấp số khi ban hành)"),
        "version": version, "sha256": (signed_blob.pk or "")[:16] if signed_blob else "",
        "pages": _pages(signed_blob) if is_pdf else None, "is_pdf": is_pdf,
        "from_rendition": from_rendition, "rendition_refusal": refusal,
        "title_lines": signing.title_lines(shown, user) if signing else [],
        "signer_name": shown.signer_name,
        "unlock": signing.unlock_needs(key) if (signing and is_pdf) else "",
        "key": key,
    }


@never_cache
@login_required
@with_document
def sign(request, doc: Document):
    """GET: what will be signed, the competence, the code or PIN; POST: approve and sign (one act)."""
    try:
        review, _principal = services.check_review(request.user, doc)
    except VpdtError as exc:
        messages.error(request, exc.message)
        return redirect("workflow:document", pk=doc.pk)
    form = forms.ApproveForm(*posted(request), document=doc, user=request.user,
                             initial={"comment": request.GET.get("comment", "")})
    choices = form.fields["competence"].choices
    if not form.is_bound:
        current = (doc.signer_competence or "").strip().upper()
        form.initial["competence"] = current if current in dict(choices) else (choices[0][0] if choices else "")
    if request.method == "POST" and form.is_valid():
        try:
            message = _approve(request, doc, form)
        except VpdtError as exc:
            if not form.service_error(exc):
                messages.error(request, exc.message)
                return redirect("workflow:document", pk=doc.pk)
            form.data = form.data.copy()
            form.data["otp"] = ""  # a code is typed afresh, never shown back
        else:
            messages.success(request, message)
            return redirect("workflow:document", pk=doc.pk)
    return render(request, "web/sign_confirm.html", {"document": doc, "form": form, "review": review,
                                                     **_what_is_signed(request.user, doc, form)})


# ======================================================================================
# Actions on the page of an outgoing document: (Form, handler) per action
# ======================================================================================


def _signing_messages(request, doc: Document) -> None:
    for warning in getattr(getattr(doc, "signing", None), "warnings", []):
        messages.warning(request, warning)


def _replacement(user, doc: Document, value: str) -> Document | None:
    """The replacing document named by its số, ký hiệu (`12/SKHCN-VP`) or, for a draft, `#id`; empty: none."""
    from vpdt.web.views.document import replacement_candidates

    value = (value or "").strip()
    if not value:
        return None
    candidates = replacement_candidates(user, doc)
    if match := CODE_RE.match(value):
        # The whole ký hiệu (folded), not the quick search's prefix: `12/SKHCN` names no document.
        found = (apply_quick_search(candidates, value).filter(notation_folded=fold(match["notation"]))
                 .order_by("-issued_date", "-id").first())
    else:
        pk = bounded_int(value.lstrip("#"), minimum=1)  # past BIGINT: not found, not a 500
        found = candidates.filter(pk=pk).first() if pk else None
    if found is None:
        raise InvalidInput(_("Không tìm thấy văn bản thay thế: %(value)s. Chọn trong danh sách hoặc nhập "
                             "số, ký hiệu văn bản đi của cơ quan.") % {"value": value}, code="REPLACEMENT_NOT_FOUND")
    return found


def _version(request, doc, form):
    f = form.cleaned_data["file"]
    services.add_version(request.user, doc, f, f.name, note=form.cleaned_data["note"])
    return _("Đã lưu phiên bản dự thảo mới.")


def _recipients(request, doc, form):
    services.set_recipients(request.user, doc, **form.recipients())
    return _("Đã cập nhật nơi nhận.")


def _submit_review(request, doc, form):
    services.submit_for_review(request.user, doc, note=form.cleaned_data["note"])
    return _("Đã trình duyệt dự thảo.")


def _approve(request, doc, form):
    c = form.cleaned_data
    doc = services.approve(request.user, doc, c["comment"], pin=c["pin"] or None, otp=c["otp"] or None,
                           competence=form.chosen_competence())
    _signing_messages(request, doc)
    return _("Đã duyệt.") + (" " + _("Văn bản đã được ký số.") if getattr(doc.signing, "signed", False) else "")


def _send_back(request, doc, form):
    services.send_back(request.user, doc, form.cleaned_data["comment"])
    return _("Đã trả lại dự thảo để sửa.")


def _forward(request, doc, form):
    services.forward(request.user, doc, form.cleaned_data["to"], form.cleaned_data["comment"])
    return _("Đã chuyển tiếp.")


def _issue_number(request, doc, form):
    doc = services.issue_number(request.user, doc, pin=form.cleaned_data["pin"] or None)
    _signing_messages(request, doc)
    values = {"code": doc.code, "date": f"{doc.issued_date:%d/%m/%Y}"}
    if getattr(doc.signing, "signed", False):
        return _("Đã cấp số %(code)s, ngày %(date)s và ký số của cơ quan.") % values
    return _("Đã cấp số %(code)s, ngày %(date)s.") % values


def _release(request, doc, form):
    services.release(request.user, doc)
    return _("Đã phát hành văn bản.")


def _acknowledge(request, doc, form):
    services.acknowledge(request.user, doc)
    return _("Đã xác nhận nhận văn bản.")


def _recall(request, doc, form):
    services.recall(request.user, doc, form.cleaned_data["reason"])
    return _("Đã thu hồi văn bản.")


def _replace(request, doc, form):
    c = form.cleaned_data
    services.replace(request.user, doc, c["reason"], _replacement(request.user, doc, c["replacement"]))
    return _("Đã đánh dấu văn bản bị thay thế.")


def _update(request, doc, form):
    services.update_released(request.user, doc, form.cleaned_data["reason"], form.changes())
    return _("Đã cập nhật thông tin văn bản.")


ACTIONS = {
    "version": (forms.VersionForm, _version),
    "recipients": (forms.DocumentRecipientsForm, _recipients),
    "submit_review": (forms.NoteForm, _submit_review),
    "approve": (forms.ApproveForm, _approve),
    "send_back": (forms.SendBackForm, _send_back),
    "forward": (forms.ForwardForm, _forward),
    "issue_number": (forms.IssueNumberForm, _issue_number),
    "release": (forms.ReleaseForm, _release),
    "acknowledge": (forms.EmptyForm, _acknowledge),
    "recall": (forms.RecallForm, _recall),
    "replace": (forms.ReplaceForm, _replace),
    "update": (forms.UpdateForm, _update),
}

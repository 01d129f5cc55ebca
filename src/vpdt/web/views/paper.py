"""Paper recipients of a released document: the envelope list the clerk prints (phiếu gửi,
danh sách phong bì) and the "đã gửi" mark once a copy left by post or by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vpdt.core.errors import VpdtError
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import RecipientKind, State
from vpdt.records.models import Document
from vpdt.web import forms
from vpdt.web.views.common import with_document
from vpdt.web.views.document import render_document
from vpdt.web.views.errors import forbidden


def may_send_paper(user, doc: Document) -> bool:
    """The buttons show for the agency's clerk on a released document (the service checks again)."""
    return doc.state == State.RELEASED and user.has_role(Role.CLERK, doc.agency_id)


@login_required
@with_document
def envelopes(request, doc: Document):
    """A printable list of the paper recipients: one row (and one envelope) per recipient."""
    if not may_send_paper(request.user, doc):
        return forbidden(request, _("Chỉ văn thư của cơ quan in danh sách phong bì của văn bản đã phát hành."))
    rows = list(doc.recipients.filter(kind=RecipientKind.PAPER).order_by("id"))
    return render(request, "web/envelopes.html", {"document": doc, "rows": rows})


@login_required
@require_POST
@with_document
def paper_sent(request, doc: Document):
    form = forms.PaperSentForm(request.POST, document=doc)
    if not form.is_valid():
        return render_document(request, doc, failed=("paper_sent", form))
    try:
        records.mark_paper_sent(request.user, form.cleaned_data["recipient"], how=form.cleaned_data["how"])
    except VpdtError as exc:
        if form.service_error(exc):
            return render_document(request, doc, failed=("paper_sent", form))
        messages.error(request, exc.message)
        return redirect("workflow:document", pk=doc.pk)
    messages.success(request, _("Đã ghi nhận gửi bản giấy tới %(name)s.") % {
        "name": form.cleaned_data["recipient"].display_name})
    return redirect("workflow:document", pk=doc.pk)

"""The buttons and small forms of a document's page: one Form and one service call per action.

POST /van-ban/<pk>/<action>/ looks the action up in ACTIONS (incoming and outgoing ones),
validates the request with its Form and calls the handler, which calls the domain service.
A Form error, or a service error that concerns one of its fields, shows the document page
again with the message next to that field and what was typed kept; any other refusal is
said at the top of the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from vpdt.core.errors import VpdtError
from vpdt.records.models import Document
from vpdt.records.services import DuplicateIncoming
from vpdt.web.views.action_table import ACTIONS, make_form
from vpdt.web.views.common import with_document
from vpdt.web.views.document import render_document

# After these, the person may go back to their queue (the button says so with next=queue).
BACK_TO_QUEUE = {"release", "complete", "register", "submit"}


@login_required
@require_POST
@with_document
def act(request, doc: Document, action: str):
    if action not in ACTIONS:
        raise Http404("Thao tác không tồn tại.")
    _form_class, handler = ACTIONS[action]
    form = make_form(action, doc, request.user, data=request.POST, files=request.FILES)
    if not form.is_valid():
        return render_document(request, doc, failed=(action, form))
    try:
        message = handler(request, doc, form)
    except DuplicateIncoming as exc:
        messages.warning(request, exc.message)
        return redirect(reverse("workflow:document", args=[doc.pk]) + "?trung=1")
    except VpdtError as exc:
        if form.service_error(exc):
            return render_document(request, doc, failed=(action, form))
        messages.error(request, exc.message)
        return redirect("workflow:document", pk=doc.pk)
    messages.success(request, message)
    if action in BACK_TO_QUEUE and form.cleaned_data.get("next") == "queue":
        return redirect("workflow:home")
    return redirect("workflow:document", pk=doc.pk)

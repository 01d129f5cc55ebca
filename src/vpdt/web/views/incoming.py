"""Incoming documents: the clerk receives one on paper, the leader directs it, a unit hands it on,
and the actions of its handling (register, submit, opinion, extension, complete...)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from vpdt.core.errors import NotFound, VpdtError
from vpdt.directory.models import Unit, User
from vpdt.directory.roles import Role
from vpdt.records.models import Document
from vpdt.records.services import DuplicateIncoming
from vpdt.web import forms
from vpdt.web.views.common import posted, with_document
from vpdt.web.views.errors import forbidden
from vpdt.workflow import holidays, services
from vpdt.workflow.delegation import today
from vpdt.workflow.services.directions import direction_context


@login_required
def receive(request):
    """The clerk receives a paper document: scan and metadata, then registers it on its page."""
    user = request.user
    if not user.agency_id or not user.has_role(Role.CLERK, user.agency_id):
        return forbidden(request, _("Chỉ văn thư tiếp nhận văn bản đến."))
    form = forms.ReceiveForm(*posted(request), agency=user.agency)
    if request.method == "POST" and form.is_valid():
        scan = form.cleaned_data["scan"]
        try:
            doc = services.receive_paper(user, user.agency, form.document_data(), scan=scan,
                                         scan_name=scan.name if scan else "",
                                         content_type=(scan.content_type if scan else "") or "application/pdf")
        except VpdtError as exc:
            if not form.service_error(exc):
                form.add_error(None, exc.message)
        else:
            if not form.cleaned_data["register_now"]:
                messages.success(request, _("Đã tiếp nhận văn bản. Kiểm tra rồi vào sổ."))
                return redirect("workflow:document", pk=doc.pk)
            try:
                services.register(user, doc, register=form.cleaned_data["register"])
            except DuplicateIncoming as exc:
                messages.warning(request, exc.message)
                return redirect(reverse("workflow:document", args=[doc.pk]) + "?trung=1")
            except VpdtError as exc:  # e.g. signatures that fail: received, not registered
                messages.warning(request, exc.message)
                return redirect("workflow:document", pk=doc.pk)
            messages.success(request, _("Đã tiếp nhận và vào sổ, số đến %(number)s.") % {
                "number": doc.incoming_number_text})
            return redirect("workflow:document", pk=doc.pk)
    return render(request, "web/receive.html", {"form": form})


@login_required
@with_document
def assign_form(request, doc: Document):
    """The leader's direction form (chủ trì, phối hợp, để biết) or the unit head's re-assignment."""
    actions = services.available_actions(request.user, doc)
    mode = "assign" if "assign" in actions else "reassign" if "reassign" in actions else None
    if mode is None:
        messages.error(request, _("Bạn không có quyền phân công văn bản này."))
        return redirect("workflow:document", pk=doc.pk)
    people = User.objects.filter(agency_id=doc.agency_id, is_active=True).select_related("unit")
    data = request.POST if request.method == "POST" else None
    if mode == "assign":
        parent = None
        form = forms.AssignForm(data, units=list(Unit.objects.filter(agency_id=doc.agency_id, active=True)),
                                people=list(people))
        suggested = holidays.add_working_days(today(), 10)
    else:
        parent = services.check_reassign(request.user, doc)
        form = forms.ReassignForm(data, people=people.filter(unit_id=parent.unit_id).exclude(pk=request.user.pk),
                                  units=Unit.objects.filter(agency_id=doc.agency_id, active=True).exclude(
                                      pk=parent.unit_id))
        suggested = parent.deadline or holidays.add_working_days(today(), 10)
    form.fields["deadline"].initial = suggested
    # the hint says the real deadline: the unit's, and the working days left until it
    remaining = (holidays.working_days_between(today(), parent.deadline)
                 if parent is not None and parent.deadline else None)
    if data is not None and form.is_valid():
        service = services.assign if mode == "assign" else services.reassign
        try:
            service(request.user, doc, **form.service_kwargs())
        except VpdtError as exc:
            if not form.service_error(exc):
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã phân công xử lý."))
            return redirect("workflow:document", pk=doc.pk)
    return render(request, "web/assign.html", {"document": doc, "mode": mode, "parent": parent, "form": form,
                                               "remaining": remaining, **direction_context(request.user, doc.agency_id)})


# ======================================================================================
# Actions on the page of an incoming document: (Form, handler) per action
# ======================================================================================


def _register(request, doc, form):
    c = form.cleaned_data
    services.register(request.user, doc, confirm_duplicate=c["confirm"], override_reason=c["override_reason"])
    return _("Đã vào sổ, số đến %(number)s.") % {"number": doc.incoming_number_text}


def _return(request, doc, form):
    services.return_to_sender(request.user, doc, form.cleaned_data["reason"])
    return _("Đã trả lại văn bản.")


def _submit(request, doc, form):
    services.submit_to_leader(request.user, doc, leader=form.cleaned_data["leader"], note=form.cleaned_data["note"])
    return _("Đã trình lãnh đạo.")


def _opinion(request, doc, form):
    f = form.cleaned_data["file"]
    services.give_opinion(request.user, doc, form.cleaned_data["text"], file=f, filename=f.name if f else "",
                          content_type=(f.content_type or "") if f else "")
    return _("Đã ghi ý kiến.")


def _extension(request, doc, form):
    services.request_extension(request.user, doc, form.cleaned_data["new_deadline"], form.cleaned_data["reason"])
    return _("Đã gửi đề nghị gia hạn.")


def _decide_extension(request, doc, form):
    c = form.cleaned_data
    found = services.get_extension(c["request"])
    if found.assignment.document_id != doc.pk:
        raise NotFound(_("Không tìm thấy đề nghị gia hạn."))
    services.decide_extension(request.user, found, approve=c["approve"], note=c["note"])
    return _("Đã duyệt gia hạn.") if c["approve"] else _("Đã từ chối gia hạn.")


def _transfer_back(request, doc, form):
    services.transfer_back(request.user, doc, form.cleaned_data["reason"])
    return _("Đã chuyển lại.")


def _complete(request, doc, form):
    services.complete(request.user, doc, summary=form.cleaned_data["summary"], reply=form.cleaned_data["reply"])
    return _("Đã hoàn thành xử lý văn bản.")


ACTIONS = {
    "register": (forms.RegisterForm, _register),
    "return": (forms.ReasonForm, _return),
    "submit": (forms.SubmitForm, _submit),
    "opinion": (forms.OpinionForm, _opinion),
    "extension": (forms.ExtensionForm, _extension),
    "decide_extension": (forms.DecideExtensionForm, _decide_extension),
    "transfer_back": (forms.ReasonForm, _transfer_back),
    "complete": (forms.CompleteForm, _complete),
}

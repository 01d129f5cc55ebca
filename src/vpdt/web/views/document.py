"""A document's page (its details, files, story and the actions its reader may take) and its files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vpdt.core.prepared import Read, attach
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment, Document, DocumentLink, DraftVersion, Recipient
from vpdt.records.permissions import visible_documents
from vpdt.web import forms
from vpdt.web.timeline import timeline
from vpdt.web.views import dossiers as archive_dossiers  # --- archive filing
from vpdt.web.views import drafting
from vpdt.web.views.action_table import blank_forms
from vpdt.web.views.common import with_document
from vpdt.workflow import services
from vpdt.workflow.models import Assignment, Notification, Review
from vpdt.workflow.services import reading

# The page's own statements, the same for every document: written out once per process
# (vpdt.core.prepared), then run with the document's id.
_ATTACHMENTS = Read(lambda doc_id: Attachment.objects.filter(document_id=doc_id).select_related("blob"), doc_id=int)
_VERSIONS = Read(lambda doc_id: DraftVersion.objects.filter(document_id=doc_id).select_related(
    "created_by", "blob", "rendition"), doc_id=int)
_ASSIGNMENTS = Read(lambda doc_id: Assignment.objects.filter(document_id=doc_id).select_related(
    "unit", "user", "assigned_by", "on_behalf_of").order_by("parent_id", "id"), doc_id=int)
_RECIPIENTS = Read(lambda doc_id: Recipient.objects.filter(document_id=doc_id).select_related("unit", "agency"),
                   doc_id=int)
_REVIEWS = Read(lambda doc_id: Review.objects.filter(document_id=doc_id).select_related(
    "reviewer", "decided_by", "on_behalf_of"), doc_id=int)
_ANSWERS = Read(lambda doc_id: DocumentLink.objects.filter(document_id=doc_id).select_related("target"), doc_id=int)
_REPLY_IDS = Read(lambda doc_id: DocumentLink.objects.filter(target_id=doc_id).values_list("document_id")
                  .order_by("document_id")[:1001], doc_id=int)
_UNREAD_NOTICES = Read(lambda user_id, doc_id: Notification.objects.filter(
    user_id=user_id, document_id=doc_id, read_at__isnull=True).values_list("id"), user_id=int, doc_id=int)


def _pdf_files(document, attachments, versions) -> list[dict]:
    files = [{"name": a.name, "url": reverse("web:attachment", args=[a.pk]), "kind": a.get_kind_display()}
             for a in attachments if a.viewable]
    for v in reversed(versions):
        if v.viewable:
            files.append({"name": _("Dự thảo v%(number)s: %(name)s") % {"number": v.number, "name": v.name},
                          "url": reverse("workflow:version", args=[v.pk]), "kind": _("Dự thảo")})
        elif getattr(getattr(v, "rendition", None), "viewable", False):  # a .docx's PDF (LibreOffice)
            files.append({"name": _("Dự thảo v%(number)s: %(name)s (bản PDF chuyển đổi)") % {
                "number": v.number, "name": v.name}, "url": reverse("workflow:rendition", args=[v.pk]),
                "kind": _("Dự thảo")})
    return files


def _answered_by(user, doc: Document) -> list[Document]:
    """The replies to `doc` that `user` may open (the first 20). Most documents have none: then
    one prepared lookup, and the visibility filter is not built."""
    ids = [row[0] for row in _REPLY_IDS.rows(doc_id=doc.pk)]
    if not ids:
        return []
    replies = visible_documents(user).filter(pk__in=ids) if len(ids) <= 1000 else visible_documents(user).filter(
        response_for__target=doc)
    return list(replies.order_by("id")[:20])


def replacement_candidates(user, doc: Document):
    """What may replace a released document: the agency's other outgoing documents that `user` may see."""
    return (visible_documents(user).filter(agency_id=doc.agency_id, direction=Direction.OUTGOING)
            .exclude(pk=doc.pk).exclude(state__in=[State.RECALLED, State.REPLACED]))


def _signing_context(user, doc: Document, actions: set[str]) -> dict:
    """The signature panel, the override form when signatures fail, PIN fields when a key needs one."""
    signing = services.signing_services()
    if signing is None:
        return {}
    ctx = {"signature_checks": signing.checks_for(doc), "signing_pin": {}}
    if "register" in actions:
        ok, why = signing.can_register(doc)
        ctx["signature_blocked"], ctx["signature_reason"] = not ok, why
    if "review" in actions:
        key = signing.key_of(user=user)
        ctx["signing_pin"]["person"] = bool(key and key.needs_pin)
        review = services.current_review(doc)
        ctx["signer_step"] = bool(review and services.is_signer_step(doc, review))
    if "issue_number" in actions:
        key = signing.key_of(agency=doc.agency)
        ctx["signing_pin"]["agency"] = bool(key and key.needs_pin)
    return ctx


def render_document(request, doc: Document, *, failed: tuple[str, forms.ActionForm] | None = None):
    """The page; `failed` is an action's bound Form whose errors are shown next to its fields."""
    user = request.user
    actions = services.available_actions(user, doc)
    attachments = attach(_ATTACHMENTS.instances(doc_id=doc.pk), document=doc)
    versions = attach(_VERSIONS.instances(doc_id=doc.pk), document=doc)
    assignments = attach(_ASSIGNMENTS.instances(doc_id=doc.pk), document=doc)
    ctx = {
        "document": doc, "actions": actions, "attachments": attachments, "versions": versions,
        "recipients": attach(_RECIPIENTS.instances(doc_id=doc.pk), document=doc),
        "assignments": assignments,
        "reviews": attach(_REVIEWS.instances(doc_id=doc.pk), document=doc),
        "timeline": timeline(doc),
        "pdfs": _pdf_files(doc, attachments, versions),
        "own_due": services.own_deadlines(user, [doc.pk]).get(doc.pk),
        "extensions": services.pending_extensions(user, doc),
        "duplicate": request.GET.get("trung") == "1" and "register" in actions,
        "current_review": services.current_review(doc) if doc.state == State.IN_REVIEW else None,
    }
    # the reader's own deadline first (a specialist's is not the unit's), the document's beside it
    doc.shown_due = ctx["own_due"] or doc.due_date
    ctx["deadline_flag"] = services.deadline_status(doc, due=doc.shown_due)
    ctx["submission_note"] = services.open_submission_note(doc) if doc.state == State.SUBMITTED else ""
    # the clerk marks paper copies sent and prints their envelope list (web.views.paper)
    ctx["paper_clerk"] = doc.state == State.RELEASED and user.has_role(Role.CLERK, doc.agency_id)
    ctx["paper_count"] = sum(1 for r in ctx["recipients"] if r.kind == "paper")
    ctx.update(_signing_context(user, doc, actions))
    ctx.update(drafting.page_context(doc, versions, actions))
    # ResponseFor both ways: what this document answers, and the replies this person may open (issue 13).
    ctx["answers"] = attach(_ANSWERS.instances(doc_id=doc.pk), document=doc)
    ctx["answered_by"] = _answered_by(user, doc)
    if "complete" in actions:
        ctx["replies"] = Document.objects.filter(agency_id=doc.agency_id, created_by=user,
                                                 direction=Direction.OUTGOING).order_by("-id")[:30]
    if "replace" in actions:
        ctx["replacement_choices"] = replacement_candidates(user, doc).order_by("-created_at", "-id")[:50]
    ctx["forms"] = blank_forms(doc, user, actions, initial={
        "recipients": {"units": [r.unit_id for r in ctx["recipients"] if r.unit_id],
                       "agencies": [r.agency_id for r in ctx["recipients"] if r.agency_id]},
        "update": {"subject": doc.subject}})
    # The choices of the hand-written selects are the Forms' own.
    if "submit" in ctx["forms"]:
        ctx["leaders"] = ctx["forms"]["submit"].fields["leader"].queryset
    if "forward" in ctx["forms"]:
        ctx["colleagues"] = ctx["forms"]["forward"].fields["to"].queryset
    ctx.update(archive_dossiers.filing_context(user, doc))  # the "Lưu hồ sơ" box (issue 19)
    if failed is not None:
        ctx["forms"][failed[0]] = failed[1]
        ctx["failed_form"] = failed[1]
    if "recipients" in ctx["forms"]:
        # The recipients' fields are shared with the draft page's include.
        ctx["form"] = ctx["forms"]["recipients"]
    unread = [row[0] for row in _UNREAD_NOTICES.rows(user_id=user.pk, doc_id=doc.pk)]
    if unread:  # most pages are opened with nothing unread about them: no write then
        Notification.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=timezone.now())
    reading.mark_opened(user, doc)  # the lists stop showing it bold (issue 13)
    return render(request, "web/document.html", ctx)


@login_required
@with_document
def document(request, doc: Document):
    return render_document(request, doc)



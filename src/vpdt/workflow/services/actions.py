"""What a person may do on a document (the buttons a page shows), from the same checks the
services run; and small read helpers for the pages."""

from __future__ import annotations

import datetime as dt

from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.core.prepared import Read
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.records.permissions import can_view, require_role
from vpdt.workflow import holidays
from vpdt.workflow.delegation import principal_ids, today
from vpdt.workflow.models import (
    Assignment,
    ExtensionRequest,
)
from vpdt.workflow.services.bulk import check_finish_info
from vpdt.workflow.services.common import _state
from vpdt.workflow.services.incoming import (
    check_assign,
    check_complete,
    check_decide_extension,
    check_extension,
    check_opinion,
    check_reassign,
    check_submit,
    check_transfer_back,
)
from vpdt.workflow.services.outgoing import (
    check_acknowledge,
    check_add_recipients,
    check_after_release,
    check_edit_draft,
    check_issue_number,
    check_release,
    check_review,
    check_submit_review,
)
from vpdt.workflow.services.reply import check_reply
from vpdt.workflow.services.uploads import check_attach

# Asked by every document page, and own_deadlines by every list (vpdt.core.prepared: written once).
_PENDING_EXTENSIONS = Read(lambda doc_id: ExtensionRequest.objects.filter(
    assignment__document_id=doc_id, state=ExtensionRequest.State.PENDING).select_related(
    "requested_by", "assignment__document"), doc_id=int)


def _open_work(ids):
    return Assignment.objects.filter(document_id__in=ids, state__in=Assignment.OPEN, deadline__isnull=False) \
        .exclude(role=Assignment.Role.INFO)


_UNIT_DEADLINES = Read(lambda ids, unit_id: _open_work(ids).filter(unit_id=unit_id, user__isnull=True)
                       .order_by("-id").values_list("document_id", "deadline"), ids=[int], unit_id=int)
_OWN_DEADLINES = Read(lambda ids, user_ids: _open_work(ids).filter(user_id__in=user_ids)
                      .order_by("-id").values_list("document_id", "deadline"), ids=[int], user_ids=[int])


CHECKS = {
    "register": lambda u, d: (require_role(u, d.agency_id, Role.CLERK),
                              _state(d, [State.RECEIVED], "Đã vào sổ.")),
    "return": lambda u, d: (require_role(u, d.agency_id, Role.CLERK),
                            _state(d, [State.RECEIVED], "Đã vào sổ.")),
    "submit": check_submit,
    "assign": check_assign,
    "reassign": check_reassign,
    "opinion": check_opinion,
    "extension": check_extension,
    "transfer_back": check_transfer_back,
    "complete": check_complete,
    "edit_draft": check_edit_draft,
    "add_recipients": check_add_recipients,
    "submit_review": check_submit_review,
    "review": check_review,
    "issue_number": check_issue_number,
    "release": check_release,
    "acknowledge": check_acknowledge,
    "recall": lambda u, d: check_after_release(u, d, Role.CLERK, Role.LEADER),
    "replace": lambda u, d: check_after_release(u, d, Role.CLERK, Role.LEADER),
    "update": lambda u, d: check_after_release(u, d, Role.CLERK),
    "reply": check_reply,
    "finish_info": check_finish_info,
    "attach": check_attach,
}


def available_actions(user, document: Document) -> set[str]:
    allowed = set()
    for name, check in CHECKS.items():
        if name in ("register", "return") and document.direction != Direction.INCOMING:
            continue
        try:
            check(user, document)
        except VpdtError:
            continue
        allowed.add(name)
    return allowed


def pending_extensions(user, document: Document) -> list[ExtensionRequest]:
    out = []
    for request in _PENDING_EXTENSIONS.instances(doc_id=document.pk):
        try:
            check_decide_extension(user, request)
        except VpdtError:
            continue
        out.append(request)
    return out


def get_extension(pk: int) -> ExtensionRequest:
    found = ExtensionRequest.objects.filter(pk=pk).select_related("assignment__document").first()
    if found is None:
        raise NotFound("Không tìm thấy đề nghị gia hạn.")
    return found


def deadline_status(document: Document, day: dt.date | None = None, *, due: dt.date | None = None) -> str:
    """The flag of the document's deadline, or of `due` (the reader's own deadline) when given."""
    done = document.state in (State.COMPLETED, State.RETURNED) or document.direction != Direction.INCOMING
    return holidays.deadline_status(due or document.due_date, day or today(), done=done)


def own_deadlines(user, document_ids) -> dict[int, dt.date]:
    """The deadline `user` must meet on each document: their own open assignment's (a specialist
    handed the work by the unit head), else their unit's as its head; the document's due date
    is the main unit's and is not theirs. Documents without such an assignment are left out."""
    ids = list(document_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    found: dict[int, dt.date] = {}
    if user.unit_id and user.has_role(Role.UNIT_HEAD, user.agency_id):
        for doc_id, deadline in _UNIT_DEADLINES.rows(ids=ids, unit_id=user.unit_id):
            found[doc_id] = deadline
    for doc_id, deadline in _OWN_DEADLINES.rows(ids=ids, user_ids=principal_ids(user)):
        found[doc_id] = deadline  # one's own assignment wins over the unit's
    return found


def visible_or_raise(user, document: Document) -> None:
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền xem văn bản này.")

"""What a person may do on a document (the buttons a page shows), from the same checks the
services run; and small read helpers for the pages."""

from __future__ import annotations

import datetime as dt

from vpdt.core.errors import NotFound, PermissionDenied, VpdtError
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Document
from vpdt.records.permissions import can_view, require_role
from vpdt.workflow import holidays
from vpdt.workflow.delegation import today
from vpdt.workflow.models import (
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
    check_after_release,
    check_edit_draft,
    check_issue_number,
    check_release,
    check_review,
    check_submit_review,
)
from vpdt.workflow.services.reply import check_reply
from vpdt.workflow.services.uploads import check_attach

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
    for request in ExtensionRequest.objects.filter(assignment__document=document,
                                                   state=ExtensionRequest.State.PENDING).select_related(
                                                       "requested_by", "assignment__document"):
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


def deadline_status(document: Document, day: dt.date | None = None) -> str:
    done = document.state in (State.COMPLETED, State.RETURNED) or document.direction != Direction.INCOMING
    return holidays.deadline_status(document.due_date, day or today(), done=done)


def visible_or_raise(user, document: Document) -> None:
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền xem văn bản này.")

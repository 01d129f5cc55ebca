"""Handling of incoming documents and the drafting-to-release chain of outgoing ones.

Every operation checks who may do it (the `check_*` functions, also used to show the
buttons a person may press), keeps the invariants, changes a document's state only through
`records.services.set_state` (audit + signal) and writes the audit log. Views, the API and
the worker call these; nothing else writes workflow rows.

Internal delivery (release to a unit of the same agency): the released document itself is
shared with the receiving unit by a `DocumentAccess(unit=…, reason=UNIT)` row, its
`Recipient` goes to DELIVERED at once and the unit head is notified and may acknowledge
(ACCEPTED). No copy is made: one agency, one record. Recipients in other agencies stay
PENDING (Chờ gửi); `records.services.release` hands them, in the same transaction, to the
deliverer the exchange app registers (records.seams). Every write to records' tables goes
through records.services (delivery states through records.delivery.move).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import BinaryIO

from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied, VpdtError
from vpdt.core.i18n import vietnamese
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.records import delivery
from vpdt.records import services as records
from vpdt.records.choices import AccessReason, DeliveryState, Direction, RecipientKind, Source, State
from vpdt.records.models import Attachment, Document, Recipient
from vpdt.records.permissions import can_view, require_role
from vpdt.workflow import holidays
from vpdt.workflow.delegation import acting_for, behalf_detail, principal_ids, today
from vpdt.workflow.models import (
    ApprovalChain,
    ApprovalStep,
    Assignment,
    Delegation,
    ExtensionRequest,
    Opinion,
    Review,
    Submission,
)
from vpdt.workflow.notifications import notify

DRAFT_EXTENSIONS = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    ".pdf": "application/pdf"}
HANDLING_STATES = (State.ASSIGNED, State.IN_PROGRESS)


def _has(user, role: str, agency_id: int) -> bool:
    return user.is_superuser or user.has_role(role, agency_id)


def _need(cond: bool, message: str, detail: str = "") -> None:
    if not cond:
        raise PermissionDenied(message, detail=detail)


def _state(document: Document, allowed: Iterable[str], message: str) -> None:
    if document.state not in set(allowed):
        raise InvalidState(message, code="WRONG_STATE", detail=f"state={document.state}")


def _reason(text: str, message: str = "Cần ghi rõ lý do.") -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message, code="REASON_REQUIRED")
    return text


def _lock(document: Document) -> Document:
    return Document.objects.select_for_update(of=("self",)).select_related("agency").get(pk=document.pk)


def unit_heads(unit: Unit) -> list[User]:
    return list(User.objects.filter(unit=unit, is_active=True, role_assignments__role=Role.UNIT_HEAD,
                                    role_assignments__agency=unit.agency_id).distinct())


def role_holders(agency_id: int, role: str) -> list[User]:
    return list(User.objects.filter(is_active=True, role_assignments__role=role,
                                    role_assignments__agency=agency_id).distinct())


def _url(document: Document) -> str:
    return f"/van-ban/{document.pk}/"


def _label(document: Document) -> str:
    code = document.code or (f"số đến {document.incoming_number_text}" if document.incoming_number else "")
    return f"{code + ' – ' if code else ''}{document.subject[:90]}"


# ======================================================================================
# Incoming
# ======================================================================================


def receive_paper(user, agency: Agency, data: dict, *, scan: BinaryIO | None = None, scan_name: str = "",
                  content_type: str = "application/pdf") -> Document:
    """The clerk receives a paper document and uploads its scan (state: đã đến, chờ vào sổ)."""
    with transaction.atomic():
        document = records.receive_incoming(user, agency, data, source=Source.PAPER)
        if scan is not None:
            records.add_attachment(user, document, scan, scan_name or "ban-quet.pdf", content_type=content_type,
                                   kind=Attachment.Kind.SCAN)
    signing = _signing()
    if signing is not None:
        signing.verify_received(document)  # after the commit: a large scan is read outside the lock
    return document


def _signing():
    """The signing app's services, or None when the deployment leaves it out."""
    if not django_apps.is_installed("vpdt.signing"):
        return None
    from vpdt.signing import services as signing

    return signing


def register(user, document: Document, *, confirm_duplicate: bool = False, override_reason: str = "") -> Document:
    """Vào sổ (số đến, ngày đến): records.services.register_incoming, the one path.

    It raises DuplicateIncoming first when it may be a duplicate, and refuses a document whose
    received signatures fail unless the clerk gives `override_reason` (the signing app's
    registration gate, records.seams), which the audit log keeps (signing.override).
    """
    return records.register_incoming(user, document, confirm_duplicate=confirm_duplicate,
                                     override_reason=override_reason)


def return_to_sender(user, document: Document, reason: str) -> Document:
    return records.return_incoming(user, document, reason)


def check_submit(user, document: Document) -> None:
    _need(_has(user, Role.CLERK, document.agency_id), "Chỉ văn thư trình văn bản đến cho lãnh đạo.")
    if document.direction != Direction.INCOMING:
        raise InvalidState("Chỉ trình văn bản đến.", code="NOT_INCOMING")
    _state(document, [State.REGISTERED], "Chỉ trình văn bản đã vào sổ.")


def submit_to_leader(user, document: Document, leader: User | None = None, note: str = "") -> Submission:
    check_submit(user, document)
    if leader is not None and not leader.has_role(Role.LEADER, document.agency_id):
        raise InvalidInput("Người được trình phải là lãnh đạo cơ quan.", code="NOT_A_LEADER")
    with transaction.atomic():
        locked = _lock(document)
        check_submit(user, locked)
        submission = Submission.objects.create(document=locked, leader=leader, submitted_by=user, note=note)
        records.set_state(locked, State.SUBMITTED, user, "document.submit",
                          {"leader": getattr(leader, "pk", None),
                           "leader_name": leader.get_full_name() if leader else "", "note": note})
        to = [leader] if leader else role_holders(locked.agency_id, Role.LEADER)
        notify(to, locked, "submitted", f"Văn bản đến chờ ý kiến chỉ đạo: {_label(locked)}")
    document.refresh_from_db()
    return submission


def check_assign(user, document: Document) -> User:
    """The leader who directs (or whose deputy does): returns that leader."""
    if document.direction != Direction.INCOMING:
        raise InvalidState("Chỉ phân công xử lý văn bản đến.", code="NOT_INCOMING")
    _state(document, [State.REGISTERED, State.SUBMITTED], "Văn bản không ở trạng thái chờ phân công.")
    submission = Submission.objects.filter(document=document, open=True).order_by("-id").first()
    if submission is not None and submission.leader_id:
        principal = acting_for(user, submission.leader_id)
        _need(principal is not None,
              "Văn bản được trình cho lãnh đạo khác; chỉ người đó hoặc người được ủy quyền mới phân công.",
              detail=f"submitted to {submission.leader_id}")
        return submission.leader
    _need(_has(user, Role.LEADER, document.agency_id), "Chỉ lãnh đạo cơ quan phân công xử lý văn bản đến.")
    return user


def _target(agency_id: int, target) -> tuple[Unit | None, User | None]:
    if isinstance(target, Unit):
        if target.agency_id != agency_id:
            raise InvalidInput("Đơn vị không thuộc cơ quan.", code="FOREIGN_UNIT")
        return target, None
    if isinstance(target, User):
        if agency_id not in target.member_agency_ids():
            raise InvalidInput("Cán bộ không thuộc cơ quan.", code="FOREIGN_USER")
        return None, target
    raise InvalidInput("Nơi nhận phân công không hợp lệ.", code="BAD_TARGET")


def _check_deadline(deadline: dt.date | None, *, not_after: dt.date | None = None) -> None:
    if deadline is None:
        return
    if deadline < today():
        raise InvalidInput("Hạn xử lý không được trước hôm nay.", code="DEADLINE_IN_PAST")
    if not_after is not None and deadline > not_after:
        raise InvalidInput(f"Hạn xử lý không được sau hạn được giao ({not_after:%d/%m/%Y}).",
                           code="DEADLINE_AFTER_PARENT")


def _create_assignment(document, role, unit, person, *, by, principal, instructions, deadline, parent=None):
    assignment = Assignment.objects.create(
        document=document, role=role, unit=unit, user=person, parent=parent, assigned_by=principal,
        on_behalf_of=principal if principal.pk != by.pk else None, instructions=instructions, deadline=deadline,
    )
    reason = {Assignment.Role.MAIN: AccessReason.MAIN, Assignment.Role.CO: AccessReason.CO}.get(role, AccessReason.INFO)
    records.grant_access(by, document, person, unit=unit, reason=reason, _audit=False)
    to = [person] if person else unit_heads(unit)
    verb = {Assignment.Role.MAIN: "chủ trì xử lý", Assignment.Role.CO: "phối hợp xử lý"}.get(role, "để biết")
    due = f", hạn {deadline:%d/%m/%Y}" if deadline else ""
    notify(to, document, "assigned", f"Được giao {verb}{due}: {_label(document)}")
    return assignment


def assign(user, document: Document, *, main, co: Iterable = (), info: Iterable = (), instructions: str = "",
           deadline: dt.date | None = None) -> list[Assignment]:
    """The leader directs: one main handler, co-handlers and for-information, units or people."""
    if main is None:
        raise InvalidInput("Cần chọn đơn vị hoặc cán bộ chủ trì.", code="MAIN_REQUIRED")
    _check_deadline(deadline)
    with transaction.atomic():
        locked = _lock(document)
        principal = check_assign(user, locked)
        made = []
        seen = set()
        for role, targets in ((Assignment.Role.MAIN, [main]), (Assignment.Role.CO, co), (Assignment.Role.INFO, info)):
            for target in targets:
                unit, person = _target(locked.agency_id, target)
                key = ("u", unit.pk) if unit else ("p", person.pk)
                if key in seen:
                    continue
                seen.add(key)
                made.append(_create_assignment(
                    locked, role, unit, person, by=user, principal=principal, instructions=instructions,
                    deadline=deadline if role != Assignment.Role.INFO else None,
                ))
        Submission.objects.filter(document=locked, open=True).update(open=False)
        records.set_fields(user, locked, {"due_date": deadline}, action="document.due_date",
                           detail={"reason": "assign"})
        records.set_state(locked, State.ASSIGNED, user, "document.assign", {
            "main": made[0].target_name,
            "co": [a.target_name for a in made if a.role == Assignment.Role.CO],
            "info": [a.target_name for a in made if a.role == Assignment.Role.INFO],
            "instructions": instructions, "deadline": deadline.isoformat() if deadline else None,
            **behalf_detail(user, principal),
        })
    document.refresh_from_db()
    return made


def _unit_assignment_for(user, document: Document) -> Assignment | None:
    """The open unit-level assignment this unit head may hand on within their unit."""
    if not user.unit_id or not user.has_role(Role.UNIT_HEAD, document.agency_id):
        return None
    return (Assignment.objects.filter(document=document, unit_id=user.unit_id, user__isnull=True,
                                      state=Assignment.State.PENDING).order_by("id").first())


def check_reassign(user, document: Document) -> Assignment:
    _state(document, HANDLING_STATES, "Văn bản không ở trạng thái đang xử lý.")
    assignment = _unit_assignment_for(user, document)
    _need(assignment is not None, "Chỉ lãnh đạo đơn vị được giao mới phân công lại trong đơn vị.")
    return assignment


def reassign(user, document: Document, *, handler: User, co: Iterable[User] = (), info: Iterable[User] = (),
             instructions: str = "", deadline: dt.date | None = None) -> list[Assignment]:
    """The unit head hands the unit's assignment on to people of the unit."""
    with transaction.atomic():
        locked = _lock(document)
        parent = check_reassign(user, locked)
        deadline = deadline or parent.deadline
        _check_deadline(deadline, not_after=parent.deadline)
        made = []
        child_role = parent.role
        for role, people in ((child_role, [handler]), (Assignment.Role.CO if child_role != Assignment.Role.INFO
                                                        else Assignment.Role.INFO, co),
                             (Assignment.Role.INFO, info)):
            for person in people:
                if person is None:
                    continue
                if person.unit_id != parent.unit_id:
                    raise InvalidInput(f"{person} không thuộc {parent.unit.name}.", code="OUTSIDE_UNIT")
                made.append(_create_assignment(
                    locked, role, None, person, by=user, principal=user, instructions=instructions,
                    deadline=deadline if role != Assignment.Role.INFO else None, parent=parent,
                ))
        if not made:
            raise InvalidInput("Cần chọn cán bộ xử lý.", code="HANDLER_REQUIRED")
        parent.state = Assignment.State.IN_PROGRESS
        parent.save(update_fields=["state"])
        detail = {"unit": parent.unit.name, "handler": str(handler), "co": [str(p) for p in co],
                  "info": [str(p) for p in info], "instructions": instructions,
                  "deadline": deadline.isoformat() if deadline else None}
        if locked.state == State.ASSIGNED:
            records.set_state(locked, State.IN_PROGRESS, user, "document.reassign", detail)
        else:
            audit.record("document.reassign", locked, user=user, detail=detail)
    document.refresh_from_db()
    return made


def my_assignment(user, document: Document, roles=(Assignment.Role.MAIN, Assignment.Role.CO)) -> Assignment | None:
    """The open assignment through which `user` handles the document (their own, or their unit's as head)."""
    mine = (Assignment.objects.filter(document=document, user__in=principal_ids(user), role__in=roles,
                                      state__in=Assignment.OPEN).order_by("id").first())
    if mine is not None:
        return mine
    if user.unit_id and user.has_role(Role.UNIT_HEAD, document.agency_id):
        return (Assignment.objects.filter(document=document, unit_id=user.unit_id, user__isnull=True, role__in=roles,
                                          state__in=Assignment.OPEN).order_by("id").first())
    return None


def check_opinion(user, document: Document) -> None:
    if document.direction != Direction.INCOMING:
        raise InvalidState("Ý kiến xử lý dành cho văn bản đến.", code="NOT_INCOMING")
    _state(document, [State.SUBMITTED, *HANDLING_STATES], "Văn bản không trong quá trình xử lý.")
    involved = (my_assignment(user, document, roles=tuple(Assignment.Role.values)) is not None
                or _has(user, Role.LEADER, document.agency_id))
    _need(involved, "Chỉ người được giao xử lý hoặc lãnh đạo mới cho ý kiến.")


def give_opinion(user, document: Document, text: str, *, file: BinaryIO | None = None, filename: str = "",
                 content_type: str = "") -> Opinion:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Cần nhập nội dung ý kiến.", code="OPINION_REQUIRED")
    with transaction.atomic():
        locked = _lock(document)
        check_opinion(user, locked)
        attachment = None
        if file is not None:
            attachment = records.add_attachment(user, locked, file, filename or "y-kien", content_type=content_type,
                                                kind=Attachment.Kind.OPINION, description="Tệp kèm ý kiến xử lý")
        opinion = Opinion.objects.create(document=locked, author=user, text=text, attachment=attachment)
        mine = my_assignment(user, locked)
        if mine is not None and mine.state == Assignment.State.PENDING and mine.user_id:
            mine.state = Assignment.State.IN_PROGRESS
            mine.save(update_fields=["state"])
        detail = {"opinion": opinion.pk, "text": text[:500], "file": attachment.name if attachment else ""}
        if locked.state == State.ASSIGNED and mine is not None:
            records.set_state(locked, State.IN_PROGRESS, user, "document.opinion", detail)
        else:
            audit.record("document.opinion", locked, user=user, detail=detail)
    return opinion


def _root(assignment: Assignment) -> Assignment:
    while assignment.parent_id:
        assignment = assignment.parent
    return assignment


def check_extension(user, document: Document) -> Assignment:
    _state(document, HANDLING_STATES, "Văn bản không trong quá trình xử lý.")
    mine = my_assignment(user, document)
    _need(mine is not None, "Chỉ người được giao xử lý mới đề nghị gia hạn.")
    if ExtensionRequest.objects.filter(assignment=mine, state=ExtensionRequest.State.PENDING).exists():
        raise InvalidState("Đã có đề nghị gia hạn đang chờ duyệt.", code="EXTENSION_PENDING")
    return mine


def request_extension(user, document: Document, new_deadline: dt.date, reason: str) -> ExtensionRequest:
    reason = _reason(reason, "Cần ghi rõ lý do xin gia hạn.")
    with transaction.atomic():
        locked = _lock(document)
        mine = check_extension(user, locked)
        current = mine.deadline or locked.due_date
        if new_deadline is None or (current and new_deadline <= current) or new_deadline < today():
            raise InvalidInput("Hạn mới phải sau hạn hiện tại.", code="BAD_NEW_DEADLINE")
        decider = _root(mine).assigned_by
        request = ExtensionRequest.objects.create(assignment=mine, requested_by=user, decider=decider,
                                                  old_deadline=current, new_deadline=new_deadline, reason=reason)
        audit.record("document.extension_request", locked, user=user, detail={
            "request": request.pk, "old": current.isoformat() if current else None,
            "new": new_deadline.isoformat(), "reason": reason})
        to = [decider] if decider else role_holders(locked.agency_id, Role.LEADER)
        notify(to, locked, "extension", f"Đề nghị gia hạn đến {new_deadline:%d/%m/%Y}: {_label(locked)}")
    return request


def check_decide_extension(user, request: ExtensionRequest) -> User:
    if request.state != ExtensionRequest.State.PENDING:
        raise InvalidState("Đề nghị gia hạn đã được xử lý.", code="EXTENSION_DECIDED")
    document = request.assignment.document
    if request.decider_id:
        _need(acting_for(user, request.decider_id) is not None,
              "Chỉ lãnh đạo đã giao việc (hoặc người được ủy quyền) duyệt gia hạn.")
        return request.decider
    _need(_has(user, Role.LEADER, document.agency_id), "Chỉ lãnh đạo cơ quan duyệt gia hạn.")
    return user


def decide_extension(user, request: ExtensionRequest, *, approve: bool, note: str = "") -> ExtensionRequest:
    with transaction.atomic():
        request = ExtensionRequest.objects.select_for_update().select_related("assignment__document").get(pk=request.pk)
        principal = check_decide_extension(user, request)
        document = request.assignment.document
        request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REJECTED
        request.decided_by, request.decided_at = user, timezone.now()
        request.save(update_fields=["state", "decided_by", "decided_at"])
        if approve:
            node = request.assignment
            while node is not None:
                if node.deadline is None or node.deadline < request.new_deadline:
                    node.deadline = request.new_deadline
                    node.save(update_fields=["deadline"])
                node = node.parent
            if _root(request.assignment).role == Assignment.Role.MAIN:
                records.set_fields(user, document, {"due_date": request.new_deadline}, action="document.due_date",
                                   detail={"reason": "extension", "request": request.pk})
        audit.record("document.extension_decide", document, user=user, detail={
            "request": request.pk, "approved": approve, "new": request.new_deadline.isoformat(), "note": note,
            **behalf_detail(user, principal)})
        verdict = "Đồng ý" if approve else "Không đồng ý"
        notify([request.requested_by], document, "extension_decided",
               f"{verdict} gia hạn đến {request.new_deadline:%d/%m/%Y}: {_label(document)}")
    return request


def check_transfer_back(user, document: Document) -> Assignment:
    _state(document, HANDLING_STATES, "Văn bản không trong quá trình xử lý.")
    mine = my_assignment(user, document)
    _need(mine is not None, "Chỉ người được giao xử lý mới chuyển lại.")
    return mine


def transfer_back(user, document: Document, reason: str) -> Assignment:
    """Chuyển lại: the handler gives the assignment back (not theirs to handle), with the reason."""
    reason = _reason(reason, "Cần ghi rõ lý do chuyển lại.")
    with transaction.atomic():
        locked = _lock(document)
        mine = check_transfer_back(user, locked)
        mine.state, mine.note, mine.done_at = Assignment.State.RETURNED, reason, timezone.now()
        mine.save(update_fields=["state", "note", "done_at"])
        mine.children.filter(state__in=Assignment.OPEN).update(state=Assignment.State.CANCELLED)
        detail = {"assignment": mine.pk, "reason": reason, "role": mine.role}
        if mine.parent_id:
            parent = mine.parent
            if mine.role == parent.role and not parent.children.filter(role=parent.role,
                                                                       state__in=Assignment.OPEN).exists():
                parent.state = Assignment.State.PENDING
                parent.save(update_fields=["state"])
            audit.record("document.transfer_back", locked, user=user, detail=detail)
            notify(unit_heads(parent.unit), locked, "transfer_back", f"Cán bộ chuyển lại văn bản: {_label(locked)}")
        elif mine.role == Assignment.Role.MAIN:
            Assignment.objects.filter(document=locked, state__in=Assignment.OPEN).update(
                state=Assignment.State.CANCELLED)
            Submission.objects.create(document=locked, leader=mine.assigned_by, submitted_by=user, note=reason)
            records.set_state(locked, State.SUBMITTED, user, "document.transfer_back", detail)
            notify([mine.assigned_by] if mine.assigned_by else [], locked, "transfer_back",
                   f"Đơn vị chủ trì chuyển lại văn bản: {_label(locked)}")
        else:
            audit.record("document.transfer_back", locked, user=user, detail=detail)
    document.refresh_from_db()
    return mine


def check_complete(user, document: Document) -> Assignment:
    _state(document, HANDLING_STATES, "Văn bản không trong quá trình xử lý.")
    mine = my_assignment(user, document, roles=(Assignment.Role.MAIN,))
    _need(mine is not None, "Chỉ người chủ trì xử lý mới hoàn thành văn bản.")
    return mine


def complete(user, document: Document, *, summary: str = "", reply: Document | None = None) -> Document:
    """The main handler completes the document, optionally linking the outgoing reply (ResponseFor)."""
    with transaction.atomic():
        locked = _lock(document)
        mine = check_complete(user, locked)
        if reply is not None:
            if reply.agency_id != locked.agency_id or reply.direction == Direction.INCOMING:
                raise InvalidInput("Văn bản trả lời phải là văn bản đi của cơ quan.", code="BAD_REPLY")
            records.link_reply(user, reply, locked)
        now = timezone.now()
        Assignment.objects.filter(document=locked, state__in=Assignment.OPEN).update(
            state=Assignment.State.DONE, done_at=now)
        records.set_state(locked, State.COMPLETED, user, "document.complete", {
            "assignment": mine.pk, "summary": summary,
            "reply": reply.pk if reply else None, "reply_code": reply.code if reply else ""})
        leaders = [a.assigned_by for a in Assignment.objects.filter(document=locked, parent__isnull=True,
                                                                    role=Assignment.Role.MAIN) if a.assigned_by]
        notify(leaders, locked, "completed", f"Đã hoàn thành xử lý: {_label(locked)}")
    document.refresh_from_db()
    return document


# ======================================================================================
# Outgoing
# ======================================================================================


def _draft_type(name: str) -> str:
    ext = os.path.splitext(name or "")[1].lower()
    if ext not in DRAFT_EXTENSIONS:
        raise InvalidInput("Dự thảo phải là tệp .docx hoặc .pdf.", code="BAD_DRAFT_TYPE", detail=name)
    return DRAFT_EXTENSIONS[ext]


def _is_drafter(user, document: Document) -> bool:
    return document.created_by_id == user.pk


def create_draft(user, data: dict, *, file: BinaryIO | None = None, filename: str = "",
                 recipients: dict | None = None) -> Document:
    """A specialist opens a draft: metadata, the first version (.docx/.pdf) and the recipients."""
    if file is not None:
        _draft_type(filename)
    with transaction.atomic():
        document = records.create_outgoing(user, data)
        if file is not None:
            add_version(user, document, file, filename)
        if recipients:
            set_recipients(user, document, **recipients)
    return document


def check_edit_draft(user, document: Document) -> None:
    if document.direction == Direction.INCOMING:
        raise InvalidState("Văn bản đến không có dự thảo.", code="NOT_OUTGOING")
    if document.state in (State.DRAFT, State.SENT_BACK):
        _need(_is_drafter(user, document), "Chỉ người soạn thảo sửa dự thảo.")
        return
    if document.state == State.IN_REVIEW:
        review = current_review(document)
        _need(review is not None and _reviewer_principal(user, review) is not None,
              "Chỉ người đang duyệt được cập nhật dự thảo.")
        return
    raise InvalidState("Văn bản không còn ở giai đoạn dự thảo.", code="WRONG_STATE")


def add_version(user, document: Document, file: BinaryIO, filename: str, *, note: str = ""):
    content_type = _draft_type(filename)
    check_edit_draft(user, document)
    return records.add_draft_version(user, document, file, filename, content_type=content_type, note=note)


def _recipients_text(document: Document, rows: list[Recipient]) -> str:
    lines = ["- Như trên;"] if rows else []
    lines += [f"- {r.display_name};" for r in rows if not r.for_info]
    unit = document.drafting_unit.abbreviation if document.drafting_unit_id else ""
    lines.append(f"- Lưu: VT{', ' + unit if unit else ''}.")
    return "\n".join(lines)


def set_recipients(user, document: Document, *, units: Iterable[Unit] = (), agencies: Iterable[Agency] = (),
                   emails: Iterable[str] = (), papers: Iterable[str] = ()) -> list[Recipient]:
    """Nơi nhận: internal units, agencies of the directory, others by e-mail or on paper."""
    if document.state == State.APPROVED:
        require_role(user, document.agency_id, Role.CLERK)
    else:
        check_edit_draft(user, document)
    rows: list[Recipient] = []
    for unit in units:
        if unit.agency_id != document.agency_id:
            raise InvalidInput("Đơn vị nhận phải thuộc cơ quan.", code="FOREIGN_UNIT")
        rows.append(Recipient(document=document, kind=RecipientKind.UNIT, unit=unit, name=unit.name))
    for agency in agencies:
        if agency.pk == document.agency_id:
            raise InvalidInput("Không gửi liên thông cho chính cơ quan mình; chọn đơn vị nội bộ.", code="SELF")
        rows.append(Recipient(document=document, kind=RecipientKind.AGENCY, agency=agency, organ_id=agency.code,
                              name=agency.name))
    for email in emails:
        email = email.strip()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(f"Địa chỉ thư không hợp lệ: {email}", code="BAD_EMAIL") from exc
        rows.append(Recipient(document=document, kind=RecipientKind.EMAIL, email=email, name=email))
    for name in papers:
        if name.strip():
            rows.append(Recipient(document=document, kind=RecipientKind.PAPER, name=name.strip()))
    return records.replace_recipients(
        user, document, rows, recipients_text=_recipients_text(document, rows),
        detail={"recipients": [f"{vietnamese(r.get_kind_display())}: {r.display_name}" for r in rows]})


# Labels are stored as written (Review.label); pages translate them when the catalogue knows them.
DEFAULT_STEPS = [
    {"label": gettext_noop("Lãnh đạo phòng duyệt nội dung"), "kind": ApprovalStep.Kind.UNIT_HEAD, "role": "",
     "user": None, "is_signer": False},
    {"label": gettext_noop("Lãnh đạo cơ quan duyệt, ký"), "kind": ApprovalStep.Kind.ROLE, "role": Role.LEADER,
     "user": None, "is_signer": True},
]


def chain_steps(agency_id: int) -> list[dict]:
    """The agency's approval chain as data; two steps (unit head, leader signs) when none is set."""
    chain = (ApprovalChain.objects.filter(agency_id=agency_id, active=True).order_by("-is_default", "id")
             .prefetch_related("steps").first())
    if chain is None or not chain.steps.exists():
        return DEFAULT_STEPS
    return [{"label": s.label, "kind": s.kind, "role": s.role, "user": s.user, "is_signer": s.is_signer}
            for s in chain.steps.all()]


def check_submit_review(user, document: Document) -> None:
    if document.direction == Direction.INCOMING:
        raise InvalidState("Văn bản đến không trình duyệt.", code="NOT_OUTGOING")
    _state(document, [State.DRAFT, State.SENT_BACK], "Chỉ trình duyệt văn bản đang dự thảo.")
    _need(_is_drafter(user, document), "Chỉ người soạn thảo trình duyệt dự thảo.")


def submit_for_review(user, document: Document, note: str = "") -> list[Review]:
    with transaction.atomic():
        locked = _lock(document)
        check_submit_review(user, locked)
        if not locked.versions.exists():
            raise InvalidInput("Cần tải lên tệp dự thảo trước khi trình.", code="NO_DRAFT_FILE")
        round_ = (Review.objects.filter(document=locked).aggregate(m=Max("round"))["m"] or 0) + 1
        reviews = []
        for i, step in enumerate(chain_steps(locked.agency_id), start=1):
            reviewer, role = step["user"], step["role"]
            if step["kind"] == ApprovalStep.Kind.UNIT_HEAD:
                heads = [h for h in (unit_heads(locked.drafting_unit) if locked.drafting_unit_id else [])]
                if not heads or user in heads:
                    continue  # no head, or the drafter heads the unit: nothing to check at this level
                reviewer, role = heads[0], Role.UNIT_HEAD
            reviews.append(Review(document=locked, round=round_, order=i, label=step["label"], reviewer=reviewer,
                                  role=role or "", is_signer=step["is_signer"]))
        if not reviews:
            raise InvalidState("Cơ quan chưa có quy trình duyệt.", code="NO_CHAIN")
        if not any(r.is_signer for r in reviews):
            reviews[-1].is_signer = True
        reviews[0].state = Review.State.PENDING
        Review.objects.bulk_create(reviews)
        for r in reviews:
            if r.reviewer_id:
                records.grant_access(user, locked, r.reviewer,
                                     reason=AccessReason.SIGNER if r.is_signer else AccessReason.REVIEWER,
                                     secret=locked.is_secret, _audit=False)
        records.set_state(locked, State.IN_REVIEW, user, "document.submit_review",
                          {"round": round_, "steps": [r.label for r in reviews], "note": note})
        _notify_review(locked, reviews[0])
    document.refresh_from_db()
    return list(Review.objects.filter(document=document, round=round_))


def _notify_review(document: Document, review: Review) -> None:
    to = [review.reviewer] if review.reviewer_id else role_holders(document.agency_id, review.role)
    notify(to, document, "review", f"Dự thảo chờ duyệt ({review.label}): {_label(document)}")


def current_review(document: Document) -> Review | None:
    return (Review.objects.filter(document=document, state=Review.State.PENDING)
            .select_related("reviewer").order_by("-round", "order", "id").first())


def _reviewer_principal(user, review: Review) -> User | None:
    if review.reviewer_id:
        return review.reviewer if acting_for(user, review.reviewer_id) is not None else None
    if review.role and _has(user, review.role, review.document.agency_id):
        return user
    return None


def check_review(user, document: Document) -> tuple[Review, User]:
    _state(document, [State.IN_REVIEW], "Văn bản không ở trạng thái chờ duyệt.")
    review = current_review(document)
    principal = _reviewer_principal(user, review) if review else None
    _need(principal is not None, "Bạn không phải người duyệt ở bước này.")
    return review, principal


def _decide(review: Review, user, principal, state: str, comment: str) -> None:
    review.state, review.comment = state, comment
    review.decided_by, review.decided_at = user, timezone.now()
    review.on_behalf_of = principal if principal.pk != user.pk else None
    review.save(update_fields=["state", "comment", "decided_by", "decided_at", "on_behalf_of"])


def _is_signer_step(document: Document, review: Review) -> bool:
    """The signer's step (or the last one): approving it approves the document."""
    return review.is_signer or not Review.objects.filter(
        document=document, round=review.round, state=Review.State.WAITING).exists()


def approve(user, document: Document, comment: str = "", *, pin: str | None = None) -> Document:
    """The reviewer at the current step approves; at the signer's step the document is APPROVED.

    At the signer's step the last draft, if a PDF, gets the signer's digital signature (with
    `pin` for a token or an unkept password); `document.signing` then tells what was signed.
    The signature is made before the transaction (it may take seconds); the transaction then
    checks that the step and the draft are still those that were signed (CHANGED_WHILE_SIGNING).
    """
    outcome = None
    signing = _signing()
    current = Document.objects.select_related("agency").get(pk=document.pk)  # read only: no lock held
    review, principal = check_review(user, current)
    if signing is not None and _is_signer_step(current, review):
        signed_as = current  # the name to print; saved below, in the transaction
        if not signed_as.signer_name:
            signed_as.signer_name, signed_as.signer_position = principal.get_full_name(), principal.position
        outcome = signing.sign_as_person(user, signed_as, _last_version(signed_as), pin=pin)
    with transaction.atomic():
        locked = _lock(document)
        signed_review = review
        review, principal = check_review(user, locked)
        if outcome is not None and (review.pk != signed_review.pk or not _is_signer_step(locked, review)):
            raise InvalidState(signing.CHANGED_WHILE_SIGNING, code="CHANGED_WHILE_SIGNING")
        _decide(review, user, principal, Review.State.APPROVED, comment)
        following = (Review.objects.filter(document=locked, round=review.round, state=Review.State.WAITING)
                     .order_by("order", "id").first())
        detail = {"step": review.label, "comment": comment, **behalf_detail(user, principal)}
        if review.is_signer or following is None:
            if signing is not None and outcome is None:  # became the signer's step while we looked
                raise InvalidState(signing.CHANGED_WHILE_SIGNING, code="CHANGED_WHILE_SIGNING")
            Review.objects.filter(document=locked, round=review.round, state=Review.State.WAITING).update(
                state=Review.State.CANCELLED)
            if not locked.signer_name:
                records.set_fields(user, locked, {"signer_name": principal.get_full_name(),
                                                  "signer_position": principal.position}, action="document.signer")
            if outcome is not None:
                signing.record_person_signature(user, locked, outcome)
                detail["signed"] = outcome.signed
            records.set_state(locked, State.APPROVED, user, "document.approve", {**detail, "signer": True})
            notify(role_holders(locked.agency_id, Role.CLERK), locked, "approved",
                   f"Văn bản đã duyệt ký, chờ cấp số và phát hành: {_label(locked)}")
            notify([locked.created_by] if locked.created_by else [], locked, "approved",
                   f"Dự thảo đã được duyệt ký: {_label(locked)}")
        else:
            following.state = Review.State.PENDING
            following.save(update_fields=["state"])
            audit.record("document.review_approve", locked, user=user, detail=detail)
            _notify_review(locked, following)
    document.refresh_from_db()
    document.signing = outcome
    return document


def _last_version(document: Document):
    return document.versions.order_by("-number").first()


def send_back(user, document: Document, comment: str) -> Document:
    """Trả lại để sửa, with comments; the drafter revises and submits again (a new round)."""
    comment = _reason(comment, "Cần ghi ý kiến khi trả lại dự thảo.")
    with transaction.atomic():
        locked = _lock(document)
        review, principal = check_review(user, locked)
        _decide(review, user, principal, Review.State.RETURNED, comment)
        Review.objects.filter(document=locked, round=review.round, state=Review.State.WAITING).update(
            state=Review.State.CANCELLED)
        records.set_state(locked, State.SENT_BACK, user, "document.send_back",
                          {"step": review.label, "comment": comment, **behalf_detail(user, principal)})
        notify([locked.created_by] if locked.created_by else [], locked, "sent_back",
               f"Dự thảo bị trả lại để sửa: {_label(locked)}")
    document.refresh_from_db()
    return document


def forward(user, document: Document, to: User, comment: str = "") -> Review:
    """Chuyển tiếp: the reviewer hands this step to another person of the agency."""
    with transaction.atomic():
        locked = _lock(document)
        review, principal = check_review(user, locked)
        if to is None or locked.agency_id not in to.member_agency_ids() or to.pk == user.pk:
            raise InvalidInput("Người nhận chuyển tiếp không hợp lệ.", code="BAD_FORWARD")
        _decide(review, user, principal, Review.State.FORWARDED, comment)
        new = Review.objects.create(document=locked, round=review.round, order=review.order, label=review.label,
                                    reviewer=to, is_signer=review.is_signer, state=Review.State.PENDING)
        records.grant_access(user, locked, to, reason=AccessReason.SIGNER if new.is_signer else AccessReason.REVIEWER,
                             secret=locked.is_secret, _audit=False)
        audit.record("document.review_forward", locked, user=user, detail={
            "step": review.label, "to": to.pk, "to_name": str(to), "comment": comment,
            **behalf_detail(user, principal)})
        _notify_review(locked, new)
    return new


def check_issue_number(user, document: Document) -> None:
    _need(_has(user, Role.CLERK, document.agency_id), "Chỉ văn thư cấp số văn bản đi.")
    _state(document, [State.APPROVED], "Chỉ cấp số cho văn bản đã duyệt ký.")
    if document.number is not None:
        raise InvalidState(f"Văn bản đã có số {document.code}.", code="ALREADY_NUMBERED")


def issue_number(user, document: Document, *, date: dt.date | None = None, pin: str | None = None) -> Document:
    """The clerk, having checked the format (thể thức), issues the number and date.

    `check_issue_number` gives the clerk's message first; records.services.issue_number is
    the one path, enforcing the same rules, and there, in the same transaction, the
    signing app fills number and date into the signed PDF and seals it (records.seams), so
    a failed signature (wrong PIN) leaves no number used. `document.signing` tells what was signed.
    """
    check_issue_number(user, document)
    return records.issue_number(user, document, date=date, pin=pin)


def check_release(user, document: Document) -> None:
    _need(_has(user, Role.CLERK, document.agency_id), "Chỉ văn thư phát hành văn bản.")
    _state(document, [State.APPROVED], "Chỉ phát hành văn bản đã duyệt ký.")
    if document.number is None:
        raise InvalidState("Cần cấp số trước khi phát hành.", code="NOT_NUMBERED")


def release(user, document: Document) -> list[Recipient]:
    """Phát hành: one delivery per recipient, in the same transaction as the state change."""
    with transaction.atomic():
        locked = _lock(document)
        check_release(user, locked)
        rows = list(Recipient.objects.filter(document=locked).select_related("unit", "agency"))
        if not rows:
            raise InvalidInput("Văn bản chưa có nơi nhận.", code="NO_RECIPIENTS")
        if not locked.attachments.filter(kind=Attachment.Kind.MAIN).exists():
            # The last approved draft becomes the released document's main file.
            last = locked.versions.order_by("-number").first()
            if last is not None:
                records.attach_stored(user, locked, last.blob, last.name, content_type=last.content_type,
                                      kind=Attachment.Kind.MAIN, detail={"version": last.number})
        now = timezone.now()
        for r in rows:
            if r.kind == RecipientKind.UNIT:
                records.grant_access(user, locked, unit=r.unit, reason=AccessReason.UNIT, secret=locked.is_secret,
                                     _audit=False)
                delivery.move(user, r, DeliveryState.DELIVERED, action="document.deliver_unit", at=now)
                notify(unit_heads(r.unit), locked, "arrived", f"Văn bản mới đến đơn vị: {_label(locked)}")
        # The state change, then the exchange's deliverer for the agency recipients (records.seams).
        records.release(user, locked, rows, detail={
            "recipients": [f"{vietnamese(r.get_kind_display())}: {r.display_name} ({vietnamese(r.get_state_display())})"
                           for r in rows]})
        if locked.created_by:
            notify([locked.created_by], locked, "released", f"Văn bản đã phát hành: {_label(locked)}")
    document.refresh_from_db()
    return list(Recipient.objects.filter(document=document))


def check_acknowledge(user, document: Document) -> Recipient:
    row = None
    if user.unit_id and user.has_role(Role.UNIT_HEAD, document.agency_id):
        row = Recipient.objects.filter(document=document, unit_id=user.unit_id, state=DeliveryState.DELIVERED).first()
    _need(row is not None, "Chỉ lãnh đạo đơn vị nhận xác nhận đã nhận văn bản.")
    return row


def acknowledge(user, document: Document) -> Recipient:
    with transaction.atomic():
        row = check_acknowledge(user, document)
        delivery.move(user, row, DeliveryState.ACCEPTED, action="document.acknowledge",
                      detail={"unit": row.display_name})
    return row


def check_after_release(user, document: Document, *roles) -> None:
    _need(any(_has(user, r, document.agency_id) for r in roles),
          "Thao tác này chỉ dành cho: " + ", ".join(vietnamese(Role(r).label) for r in roles) + ".")
    _state(document, [State.RELEASED], "Chỉ áp dụng cho văn bản đã phát hành.")


def recall(user, document: Document, reason: str) -> Document:
    """Thu hồi: the document stops having effect; internal recipients see it recalled."""
    reason = _reason(reason, "Cần ghi rõ lý do thu hồi.")
    with transaction.atomic():
        locked = _lock(document)
        check_after_release(user, locked, Role.CLERK, Role.LEADER)
        units = list(Recipient.objects.filter(document=locked, kind=RecipientKind.UNIT))
        now = timezone.now()
        for r in units:
            delivery.move(user, r, DeliveryState.RECALLED, action="document.recall_unit", at=now,
                          detail={"reason": reason})
        records.set_state(locked, State.RECALLED, user, "document.recall", {"reason": reason})
        for r in units:
            notify(unit_heads(r.unit), locked, "recalled", f"Văn bản đã bị thu hồi: {_label(locked)}")
    document.refresh_from_db()
    return document


def replace(user, document: Document, reason: str, replacement: Document | None = None) -> Document:
    """Thay thế: a new document replaces this released one (the content was wrong)."""
    reason = _reason(reason, "Cần ghi rõ lý do thay thế.")
    if replacement is not None and (replacement.agency_id != document.agency_id or replacement.pk == document.pk):
        raise InvalidInput("Văn bản thay thế phải là văn bản khác của cơ quan.", code="BAD_REPLACEMENT")
    with transaction.atomic():
        locked = _lock(document)
        check_after_release(user, locked, Role.CLERK, Role.LEADER)
        records.set_state(locked, State.REPLACED, user, "document.replace", {
            "reason": reason, "replacement": replacement.pk if replacement else None,
            "replacement_code": (replacement.code or replacement.subject) if replacement else ""})
    document.refresh_from_db()
    return document


UPDATABLE_AFTER_RELEASE = {"subject", "page_count", "copies", "note", "signer_competence"}


def update_released(user, document: Document, reason: str, data: dict) -> Document:
    """Cập nhật (đính chính thông tin): corrects metadata of a released document, with the reason."""
    reason = _reason(reason, "Cần ghi rõ lý do cập nhật.")
    bad = set(data) - UPDATABLE_AFTER_RELEASE
    if bad:
        raise InvalidInput("Chỉ cập nhật được: trích yếu, số trang, số bản, ghi chú, thẩm quyền ký.",
                           code="NOT_UPDATABLE", detail=str(sorted(bad)))
    with transaction.atomic():
        locked = _lock(document)
        check_after_release(user, locked, Role.CLERK)
        records.update_metadata(user, locked, data)
        records.set_state(locked, State.RELEASED, user, "document.update_released",
                          {"reason": reason, "fields": sorted(data)})
    document.refresh_from_db()
    return document


# ======================================================================================
# Delegation
# ======================================================================================


def delegate(user, *, deputy: User, starts_on: dt.date, ends_on: dt.date, reason: str = "",
             principal: User | None = None) -> Delegation:
    """Ủy quyền: `principal` (by default the user) hands their queue to `deputy` for a period."""
    principal = principal or user
    agency_id = principal.agency_id
    if principal.pk != user.pk:
        _need(_has(user, Role.AGENCY_ADMIN, agency_id), "Chỉ người ủy quyền hoặc quản trị đơn vị tạo ủy quyền.")
    _need(_has(principal, Role.LEADER, agency_id) or _has(principal, Role.UNIT_HEAD, agency_id),
          "Chỉ lãnh đạo mới ủy quyền xử lý.")
    if deputy is None or deputy.pk == principal.pk or agency_id not in deputy.member_agency_ids():
        raise InvalidInput("Người được ủy quyền phải là cán bộ khác của cơ quan.", code="BAD_DEPUTY")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise InvalidInput("Thời gian ủy quyền không hợp lệ.", code="BAD_PERIOD")
    with transaction.atomic():
        delegation = Delegation.objects.create(agency_id=agency_id, principal=principal, deputy=deputy,
                                               starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=user)
        audit.record("delegation.create", delegation, user=user, agency_code=principal.agency.code, detail={
            "principal": principal.pk, "principal_name": str(principal), "deputy": deputy.pk,
            "deputy_name": str(deputy), "from": starts_on.isoformat(), "to": ends_on.isoformat(), "reason": reason})
        notify([deputy], None, "delegation",
               f"{principal} ủy quyền cho bạn xử lý công việc từ {starts_on:%d/%m/%Y} đến {ends_on:%d/%m/%Y}.")
    return delegation


def revoke_delegation(user, delegation: Delegation) -> Delegation:
    _need(user.pk == delegation.principal_id or _has(user, Role.AGENCY_ADMIN, delegation.agency_id),
          "Chỉ người ủy quyền thu hồi ủy quyền.")
    with transaction.atomic():
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
        audit.record("delegation.revoke", delegation, user=user, agency_code=delegation.agency.code)
    return delegation


# ======================================================================================
# What a person may do on a document (the buttons), from the same checks
# ======================================================================================

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


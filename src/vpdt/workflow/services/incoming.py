"""Handling of incoming documents: receive, register (vào sổ), submit, assign, re-assign,
opinions, extensions, transfer back, completion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import BinaryIO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vpdt.core import audit, request_context
from vpdt.core.errors import InvalidInput, InvalidState
from vpdt.core.prepared import Read
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import AccessReason, Direction, Source, State
from vpdt.records.models import Attachment, Document
from vpdt.workflow.delegation import acting_for, behalf_detail, principal_ids, today
from vpdt.workflow.models import (
    Assignment,
    ExtensionRequest,
    Opinion,
    Submission,
)
from vpdt.workflow.notifications import notify
from vpdt.workflow.services.common import (
    HANDLING_STATES,
    _has,
    _label,
    _lock,
    _need,
    _reason,
    _state,
    role_holders,
    signing_services,
    unit_heads,
)


def receive_paper(user, agency: Agency, data: dict, *, scan: BinaryIO | None = None, scan_name: str = "",
                  content_type: str = "application/pdf") -> Document:
    """The clerk receives a paper document and uploads its scan (state: đã đến, chờ vào sổ)."""
    with transaction.atomic():
        document = records.receive_incoming(user, agency, data, source=Source.PAPER)
        if scan is not None:
            records.add_attachment(user, document, scan, scan_name or "ban-quet.pdf", content_type=content_type,
                                   kind=Attachment.Kind.SCAN)
    signing = signing_services()
    if signing is not None:
        signing.verify_received(document)  # after the commit: a large scan is read outside the lock
    return document




def register(user, document: Document, *, confirm_duplicate: bool = False, override_reason: str = "",
             register=None) -> Document:
    """Vào sổ (số đến, ngày đến): records.services.register_incoming, the one path.

    It raises DuplicateIncoming first when it may be a duplicate, and refuses a document whose
    received signatures fail unless the clerk gives `override_reason` (the signing app's
    registration gate, records.seams), which the audit log keeps (signing.override).
    """
    return records.register_incoming(user, document, confirm_duplicate=confirm_duplicate,
                                     override_reason=override_reason, register=register)


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
        # the clerk's note reaches the leader: in the notification, and on the document's page
        notify(to, locked, "submitted", f"Văn bản đến chờ ý kiến chỉ đạo: {_label(locked)}"
               + (f" — Ghi chú của văn thư: {note.strip()}" if note and note.strip() else ""))
    document.refresh_from_db()
    return submission


def open_submission_note(document: Document) -> dict | None:
    """The note the clerk wrote when submitting the document now waiting for the leader, and who."""
    submission = (Submission.objects.filter(document=document, open=True).exclude(note="")
                  .select_related("submitted_by").order_by("-id").first())
    if submission is None:
        return None
    return {"note": submission.note, "by": str(submission.submitted_by) if submission.submitted_by else ""}


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


def reassign(user, document: Document, *, handler: User, co: Iterable[User | Unit] = (),
             info: Iterable[User | Unit] = (), instructions: str = "", deadline: dt.date | None = None,
             ) -> list[Assignment]:
    """The unit head hands the unit's assignment on to people of the unit; co-handlers and "để biết"
    may also be other units of the agency (a unit-level assignment their head hands on)."""
    with transaction.atomic():
        locked = _lock(document)
        parent = check_reassign(user, locked)
        deadline = deadline or parent.deadline
        _check_deadline(deadline, not_after=parent.deadline)
        made = []
        child_role = parent.role
        for handling, (role, people) in enumerate((
                (child_role, [handler]),
                (Assignment.Role.CO if child_role != Assignment.Role.INFO else Assignment.Role.INFO, co),
                (Assignment.Role.INFO, info))):
            for person in people:
                if person is None:
                    continue
                unit = None
                if isinstance(person, Unit):
                    # Another unit of the agency asked to co-handle or to know: its head hands it on.
                    unit, person = _target(locked.agency_id, person)
                    if handling == 0 or unit.pk == parent.unit_id:
                        raise InvalidInput(f"{unit.name} không phải cán bộ của {parent.unit.name}.",
                                           code="OUTSIDE_UNIT")
                elif person.unit_id != parent.unit_id:
                    raise InvalidInput(f"{person} không thuộc {parent.unit.name}.", code="OUTSIDE_UNIT")
                made.append(_create_assignment(
                    locked, role, unit, person, by=user, principal=user, instructions=instructions,
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
    rows = _open_assignments(user, document)
    principals = set(principal_ids(user))
    mine = next((a for a in rows if a.user_id in principals and a.role in roles), None)
    if mine is not None or not _heads_unit(user, document):
        return mine
    return next((a for a in rows if a.unit_id == user.unit_id and a.user_id is None and a.role in roles), None)


def _heads_unit(user, document: Document) -> bool:
    return bool(user.unit_id and user.has_role(Role.UNIT_HEAD, document.agency_id))


def _open_of(doc_id):
    return Assignment.objects.filter(document_id=doc_id, state__in=Assignment.OPEN).order_by("id")


# the two shapes of _open_assignments (vpdt.core.prepared: each written out once)
_OPEN_OWN = Read(lambda doc_id, user_ids: _open_of(doc_id).filter(user_id__in=user_ids),
                 doc_id=int, user_ids=[int])
_OPEN_OWN_OR_UNIT = Read(lambda doc_id, user_ids, unit_id: _open_of(doc_id).filter(
    Q(user_id__in=user_ids) | Q(unit_id=unit_id, user__isnull=True)), doc_id=int, user_ids=[int], unit_id=int)
_PENDING_EXTENSION = Read(lambda assignment_id: ExtensionRequest.objects.filter(
    assignment_id=assignment_id, state=ExtensionRequest.State.PENDING).values_list("pk")[:1], assignment_id=int)


def _open_assignments(user, document: Document) -> list[Assignment]:
    """The document's open assignments of `user` (or whom they act for) and, as its head, of their
    unit, oldest first: one statement for every role `my_assignment` is asked about. A page asks
    once per button it may show (a unit head's document page: 14 times), so within a read-only
    request the rows are read once (request_context.remembered)."""
    def read() -> list[Assignment]:
        if _heads_unit(user, document):
            return _OPEN_OWN_OR_UNIT.instances(doc_id=document.pk, user_ids=principal_ids(user), unit_id=user.unit_id)
        return _OPEN_OWN.instances(doc_id=document.pk, user_ids=principal_ids(user))

    return request_context.remembered(("open_assignments", user.pk, document.pk), read)


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
    if _PENDING_EXTENSION.first(assignment_id=mine.pk) is not None:
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


def _close_on_completion(document: Document, now) -> None:
    """What completion does to the open assignments, truthfully: the main line is done; a
    co-handler that gave an opinion is done too; one that never acted is closed as "không xử
    lý" (never "đã xong"); those given it for information are done (nothing stays open)."""
    open_rows = list(Assignment.objects.filter(document=document, state__in=Assignment.OPEN))
    authors = set(Opinion.objects.filter(document=document).values_list("author_id", flat=True))
    unit_authors = set(User.objects.filter(pk__in=authors).values_list("unit_id", flat=True))

    def acted(a: Assignment) -> bool:
        if a.state == Assignment.State.IN_PROGRESS and a.user_id:
            return True
        return a.user_id in authors if a.user_id else a.unit_id in unit_authors

    done, closed = [], []
    for a in open_rows:
        if a.role != Assignment.Role.CO:  # the main line, and those given it for information
            done.append(a.pk)
        elif a.role == Assignment.Role.CO:
            (done if acted(a) else closed).append(a.pk)
    Assignment.objects.filter(pk__in=done).update(state=Assignment.State.DONE, done_at=now)
    Assignment.objects.filter(pk__in=closed).update(state=Assignment.State.CLOSED, done_at=now)


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
        _close_on_completion(locked, now)
        records.set_state(locked, State.COMPLETED, user, "document.complete", {
            "assignment": mine.pk, "summary": summary,
            "reply": reply.pk if reply else None, "reply_code": reply.code if reply else ""})
        leaders = [a.assigned_by for a in Assignment.objects.filter(document=locked, parent__isnull=True,
                                                                    role=Assignment.Role.MAIN) if a.assigned_by]
        notify(leaders, locked, "completed", f"Đã hoàn thành xử lý: {_label(locked)}")
    document.refresh_from_db()
    return document

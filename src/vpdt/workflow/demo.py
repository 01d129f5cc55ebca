"""The demo province's workflow: approval chains, real assignments, reviews and notifications,
so that every screen has something to show under `make run`."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.records.choices import AccessReason, Direction, State
from vpdt.records.models import Document, DocumentAccess
from vpdt.workflow.models import (
    ApprovalChain,
    ApprovalStep,
    Assignment,
    Notification,
    Opinion,
    Review,
    Submission,
)


def _first(agency: Agency, role: str, **filters) -> User | None:
    return (User.objects.filter(agency=agency, role_assignments__role=role, role_assignments__agency=agency,
                                **filters).order_by("username").first())


def _chains() -> None:
    for agency in Agency.objects.filter(units__isnull=False).distinct():
        leader = _first(agency, Role.LEADER)
        if leader is None or not User.objects.filter(agency=agency, role_assignments__role=Role.UNIT_HEAD).exists():
            continue
        chain = ApprovalChain.objects.create(agency=agency, name="Trưởng phòng duyệt → Lãnh đạo ký")
        ApprovalStep.objects.create(chain=chain, order=1, label="Lãnh đạo phòng duyệt nội dung",
                                    kind=ApprovalStep.Kind.UNIT_HEAD)
        if agency.abbreviation == "VPUBND":
            office = _first(agency, Role.UNIT_HEAD, unit__abbreviation="HCTC")
            ApprovalStep.objects.create(chain=chain, order=2, label="Chánh Văn phòng kiểm tra", kind="user",
                                        user=office)
            chain.name = "Trưởng phòng → Chánh Văn phòng → Lãnh đạo ký"
            chain.save(update_fields=["name"])
        ApprovalStep.objects.create(chain=chain, order=3, label=f"{leader.position} ký", kind="user", user=leader,
                                    is_signer=True)


def _incoming() -> None:
    today = timezone.localdate()
    docs = Document.objects.filter(direction=Direction.INCOMING, state__in=[
        State.SUBMITTED, State.ASSIGNED, State.IN_PROGRESS, State.COMPLETED]).select_related("agency")
    for doc in docs:
        leader = _first(doc.agency, Role.LEADER)
        if doc.state == State.SUBMITTED:
            Submission.objects.create(document=doc, leader=leader, note="Kính trình Lãnh đạo cho ý kiến chỉ đạo.")
            continue
        unit_access = DocumentAccess.objects.filter(document=doc, unit__isnull=False).select_related("unit").first()
        if unit_access is None:
            continue
        unit = unit_access.unit
        deadline = doc.due_date or (today + dt.timedelta(days=7))
        open_state = Assignment.State.PENDING if doc.state == State.ASSIGNED else Assignment.State.IN_PROGRESS
        parent = Assignment.objects.create(
            document=doc, role=Assignment.Role.MAIN, unit=unit, assigned_by=leader, deadline=deadline,
            instructions="Giao phòng chủ trì, tham mưu xử lý theo quy định.",
            state=Assignment.State.DONE if doc.state == State.COMPLETED else open_state)
        if doc.state == State.ASSIGNED:
            continue
        person_access = DocumentAccess.objects.filter(document=doc, user__unit=unit, reason=AccessReason.MAIN,
                                                      user__role_assignments__role=Role.SPECIALIST).first()
        if person_access is None:
            continue
        head = _first(doc.agency, Role.UNIT_HEAD, unit=unit)
        Assignment.objects.create(
            document=doc, role=Assignment.Role.MAIN, user=person_access.user, parent=parent, assigned_by=head,
            deadline=deadline, instructions="Đề nghị đồng chí nghiên cứu, dự thảo văn bản trả lời.",
            state=Assignment.State.DONE if doc.state == State.COMPLETED else Assignment.State.IN_PROGRESS)
        Opinion.objects.create(document=doc, author=person_access.user,
                               text="Đã làm việc với các đơn vị liên quan, đang tổng hợp số liệu để trả lời.")


def _reviews() -> None:
    docs = Document.objects.filter(direction=Direction.OUTGOING, state__in=[State.IN_REVIEW, State.SENT_BACK])
    for doc in docs.select_related("agency", "drafting_unit"):
        head = _first(doc.agency, Role.UNIT_HEAD, unit=doc.drafting_unit) if doc.drafting_unit_id else None
        leader = _first(doc.agency, Role.LEADER)
        returned = doc.state == State.SENT_BACK
        Review.objects.create(document=doc, order=1, label="Lãnh đạo phòng duyệt nội dung", reviewer=head,
                              role="" if head else Role.UNIT_HEAD,
                              state=Review.State.RETURNED if returned else Review.State.PENDING,
                              comment="Đề nghị bổ sung số liệu quý gần nhất." if returned else "",
                              decided_by=head if returned else None,
                              decided_at=timezone.now() if returned else None)
        Review.objects.create(document=doc, order=3, label="Lãnh đạo ký", reviewer=leader, is_signer=True,
                              state=Review.State.CANCELLED if returned else Review.State.WAITING)


def _notifications() -> None:
    now = timezone.now()
    for username in ("skhcn.lanhdao", "skhcn.vanthu", "skhcn.truongphong2", "skhcn.chuyenvien2a"):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        doc = Document.objects.filter(agency=user.agency, direction=Direction.INCOMING).order_by("-urgency", "id").first()
        Notification.objects.create(user=user, document=doc, kind="welcome", emailed_at=now,
                                    message="Chào mừng đến văn phòng điện tử tỉnh Bình Sơn: mục Công việc "
                                            "liệt kê những việc đang chờ bạn.")


def extend_demo(context: dict) -> None:
    context.get("progress", lambda _m: None)("Tạo quy trình duyệt, phân công xử lý và thông báo…")
    _chains()
    _incoming()
    _reviews()
    _notifications()

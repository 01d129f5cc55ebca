"""The demo's usage story (issue 14): six weeks of work before today in five agencies, done
through the real services at the moments people did it, so the usage report and the why view
have something true to say.

- Sở Khoa học và Công nghệ, Sở Tài chính, Sở Nội vụ use the system well: documents arrive
  through the hub, the clerk registers them within the hour, the director directs in the
  morning himself, handlers finish before the due date.
- Ủy ban nhân dân thị xã Tân Phú is in between: registration waits half a day, direction the
  next day, one document in three finishes late.
- Ủy ban nhân dân huyện Hòa An does not: the clerk still registers the paper copies two days
  later although the electronic copies arrived, then directs on the chairman's behalf
  (delegation), and handlers finish late or not at all.

The facts are computed at the end (reports.facts.refresh), so the reports answer at once.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.actors import interconnection
from vpdt.records.choices import Source
from vpdt.records.models import DocumentType
from vpdt.reports import facts, worktime
from vpdt.workflow import holidays
from vpdt.workflow.models import Delegation
from vpdt.workflow.services import incoming

WORKING_DAYS = 30
SENDER = ("000.00.00.H90", "Ủy ban nhân dân tỉnh Bình Sơn")
SUBJECTS = [
    "Về việc đẩy mạnh gửi, nhận văn bản điện tử trên trục liên thông",
    "Về việc báo cáo kết quả cải cách hành chính",
    "Về việc triển khai chữ ký số trong cơ quan nhà nước",
    "Về việc rà soát thủ tục hành chính trên Cổng dịch vụ công",
    "Về việc tăng cường phòng, chống thiên tai mùa mưa bão",
    "Về việc góp ý dự thảo quy chế quản lý văn bản điện tử",
]

# (agency code, story): how each agency works.
STORIES = [("000.00.13.H90", "good"), ("000.00.03.H90", "good"), ("000.00.02.H90", "good"),
           ("000.00.31.H90", "middle"), ("000.00.32.H90", "weak")]


@contextmanager
def _at(moment: dt.datetime):
    """Run the services as if at `moment` (the demo replays past weeks; nothing else runs then)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), worktime.zone())


def _past_working_days(today: dt.date, count: int) -> list[dt.date]:
    days, day = [], today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if holidays.is_working_day(day):
            days.append(day)
    return sorted(days)


def _person(agency: Agency, role: str) -> User | None:
    return (User.objects.filter(agency=agency, role_assignments__role=role, role_assignments__agency=agency)
            .order_by("username").first())


def _story(agency: Agency, story: str, days: list[dt.date], now: dt.datetime, counter: list[int]) -> None:
    clerk, leader = _person(agency, Role.CLERK), _person(agency, Role.LEADER)
    handlers = list(User.objects.filter(agency=agency, role_assignments__role=Role.SPECIALIST).order_by("username"))
    if clerk is None or leader is None or not handlers:
        return
    kind = DocumentType.objects.get(code="CV")
    system = interconnection(agency)
    step = 2 if story == "weak" else 3
    if story == "weak":
        Delegation.objects.create(agency=agency, principal=leader, deputy=clerk, starts_on=days[0],
                                  ends_on=days[-1] + dt.timedelta(days=30), reason="Chủ tịch bận họp, văn thư thao tác thay")
    for i, day in enumerate(days[::step]):
        counter[0] += 1
        number = 500 + counter[0]
        data = {"document_type": kind, "subject": SUBJECTS[i % len(SUBJECTS)], "issuer_code": SENDER[0],
                "issuer_name": SENDER[1], "number": number, "notation": "UBND-VP", "issued_date": day}
        edxml_id = f"{SENDER[0]},{day:%Y/%m/%d},{number}/UBND-VP,{agency.code}"
        handler = handlers[i % len(handlers)]
        if story == "weak":
            # The electronic copy arrives; the clerk registers the paper copy two days later anyway.
            with _at(_moment(day, 8)):
                doc = records.receive_incoming(clerk, agency, data, source=Source.PAPER)
                records.set_exchange_identity(system, doc, edxml_document_id=edxml_id, issuer_code=SENDER[0],
                                              action="exchange.reconciled", detail={"edxml_document_id": edxml_id})
            plan = [(holidays.add_working_days(day, 2), 14, "register"), (holidays.add_working_days(day, 2), 15, "submit"),
                    (holidays.add_working_days(day, 4), 10, "assign"), (holidays.add_working_days(day, 9), 16, "complete")]
            deadline = holidays.add_working_days(day, 6)
        else:
            with _at(_moment(day, 8)):
                doc = records.receive_incoming(system, agency, {**data, "edxml_document_id": edxml_id},
                                               source=Source.ELECTRONIC)
            if story == "good":
                plan = [(day, 8, "register"), (day, 10, "assign"), (holidays.add_working_days(day, 2), 15, "complete")]
            else:
                late = i % 3 == 0
                plan = [(day, 13, "register"), (holidays.add_working_days(day, 1), 9, "assign"),
                        (holidays.add_working_days(day, 6 if late else 3), 15, "complete")]
            deadline = holidays.add_working_days(day, 5)
        for when_day, hour, action in plan:
            moment = _moment(when_day, hour, 40 if action == "register" and story == "good" else 0)
            if moment >= now:
                break  # not yet: the document stays where it is (maybe past its due date)
            with _at(moment):
                if action == "register":
                    incoming.register(clerk, doc, confirm_duplicate=True)
                elif action == "submit":
                    incoming.submit_to_leader(clerk, doc, leader=leader)
                elif action == "assign":
                    incoming.assign(clerk if story == "weak" else leader, doc, main=handler, deadline=deadline)
                else:
                    incoming.complete(handler, doc, summary="Đã xử lý xong.")
            doc.refresh_from_db()


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    progress("Tạo sáu tuần làm việc cho báo cáo sử dụng (cơ quan dùng tốt, cơ quan còn dùng giấy)…")
    now = timezone.now()
    days = _past_working_days(timezone.localdate(), WORKING_DAYS)
    counter = [0]
    for code, story in STORIES:
        agency = Agency.objects.filter(code=code).first()
        if agency is not None:
            _story(agency, story, days, now, counter)
    progress("Tính số liệu thống kê sử dụng…")
    facts.refresh()

"""A small province built by hand, event by event at known times, through the real services.

The period of the tests, 29/12/2025–06/01/2026, crosses a year boundary and a holiday
(Thursday 01/01/2026, Tết Dương lịch); 03–04/01 are a weekend. Office hours 07:30–11:30 and
13:00–17:00. Each event's hand-counted figure is written next to it.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from vpdt.core import audit
from vpdt.directory.models import UserSession
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.choices import Direction, RecipientKind, Source, State
from vpdt.records.models import Document, Recipient
from vpdt.workflow.models import Delegation
from vpdt.workflow.services import incoming

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = (dt.date(2025, 12, 29), dt.date(2026, 1, 6))


def at(y, m, d, hh=9, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


@contextmanager
def clock(moment: dt.datetime):
    """Everything done inside happens at `moment` (auto_now fields, the audit log, "today")."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _login(user, moment):
    with clock(moment):
        UserSession.objects.create(session_key=f"s{user.pk}{moment:%m%d}", user=user)


@pytest.fixture
def province(db, blob_dir):
    factories.doc_type("CV")
    p = factories.agency("000.00.00.H90", abbreviation="UBND", name="UBND tỉnh thử")
    a = factories.agency("000.00.13.H90", abbreviation="SKHCN", name="Sở Khoa học và Công nghệ", parent=p)
    b = factories.agency("000.00.03.H90", abbreviation="STC", name="Sở Tài chính", parent=p)
    bgd, cds, vp = (factories.unit(a, "BGD", "Ban Giám đốc"), factories.unit(a, "CDS", "Phòng Chuyển đổi số"),
                    factories.unit(a, "VP", "Văn phòng"))
    th = factories.unit(b, "TH", "Phòng Tổng hợp")
    w = SimpleNamespace(
        p=p, a=a, b=b, bgd=bgd, cds=cds, vp=vp, th=th,
        clerk_a=factories.person(a, Role.CLERK, unit=vp, username="vanthu_a"),
        leader_a=factories.person(a, Role.LEADER, unit=bgd, username="giamdoc_a"),
        spec_a=factories.person(a, Role.SPECIALIST, unit=cds, username="chuyenvien_a"),
        spec_a2=factories.person(a, Role.SPECIALIST, unit=cds, username="chuyenvien_a2"),
        idle_a=factories.person(a, Role.SPECIALIST, unit=cds, username="it_dung_a"),
        clerk_b=factories.person(b, Role.CLERK, username="vanthu_b"),
        leader_b=factories.person(b, Role.LEADER, username="giamdoc_b"),
        spec_b=factories.person(b, Role.SPECIALIST, unit=th, username="chuyenvien_b"),
        idle_b=factories.person(b, Role.SPECIALIST, unit=th, username="it_dung_b"),
        admin=factories.person(p, Role.PLATFORM_ADMIN, username="quantri_tinh"),
    )

    def receive(agency, clerk, moment, source, subject, **data):
        with clock(moment):
            return records.receive_incoming(clerk, agency, {"subject": subject, "document_type": "CV", **data},
                                            source=source)

    def step(moment, func, *args, **kw):
        with clock(moment):
            return func(*args, **kw)

    # D5: arrived Sunday 28/12 (before the period), registered Mon 29/12 08:00: 0.5 h (07:30-08:00).
    d5 = receive(a, w.clerk_a, at(2025, 12, 28, 10), Source.ELECTRONIC, "D5")
    step(at(2025, 12, 29, 8), incoming.register, w.clerk_a, d5)
    # D4: electronic, 29/12 15:00 -> registered 16:00 (1.0 h) -> directed 16:30 (0.5 h), due 31/12,
    # completed Fri 02/01 10:00: late.
    d4 = receive(a, w.clerk_a, at(2025, 12, 29, 15), Source.ELECTRONIC, "D4")
    step(at(2025, 12, 29, 16), incoming.register, w.clerk_a, d4)
    step(at(2025, 12, 29, 16, 30), incoming.assign, w.leader_a, d4, main=w.spec_a2, deadline=dt.date(2025, 12, 31))
    # D2: paper, Tue 30/12 08:00; registered Fri 02/01 08:00: 3.5+4 (30/12) + 8 (31/12) + 0 (holiday)
    # + 0.5 = 16.0 h; its electronic copy arrived too (reconciled). Submitted to the director, who
    # delegated to the clerk on 05/01: the clerk directs for him Mon 05/01 08:30: 7.5 + 1 = 8.5 h;
    # main: the Văn phòng (a unit), due 05/01, still open on 06/01: open overdue.
    d2 = receive(a, w.clerk_a, at(2025, 12, 30, 8), Source.PAPER, "D2", issuer_code="000.00.01.H90",
                 number=12, notation="UBND-VP", issued_date=dt.date(2025, 12, 29))
    # idle_b logs in on 30/12: active without any action.
    _login(w.idle_b, at(2025, 12, 30, 8))
    # D1: electronic, Wed 31/12 10:00, registered 14:00 (1.5 + 1 = 2.5 h); directed by the director
    # Fri 02/01 09:00 across the holiday: 3 (31/12) + 0 (01/01) + 1.5 = 4.5 h; main chuyenvien_a,
    # due 05/01, completed 05/01 16:00: on time.
    d1 = receive(a, w.clerk_a, at(2025, 12, 31, 10), Source.ELECTRONIC, "D1")
    step(at(2025, 12, 31, 14), incoming.register, w.clerk_a, d1)
    step(at(2026, 1, 2, 8), incoming.register, w.clerk_a, d2)
    Document.objects.filter(pk=d2.pk).update(edxml_document_id="edxml-d2")  # the package joined it later
    step(at(2026, 1, 2, 8, 10), incoming.submit_to_leader, w.clerk_a, d2, leader=w.leader_a)
    step(at(2026, 1, 2, 9), incoming.assign, w.leader_a, d1, main=w.spec_a, deadline=dt.date(2026, 1, 5))
    step(at(2026, 1, 2, 10), incoming.complete, w.spec_a2, d4)
    # E1 (Sở Tài chính): paper, 02/01 08:00, registered 09:00 (1.0 h), directed 10:00 (1.0 h), no due
    # date, completed Tue 06/01 09:00: on time.
    e1 = receive(b, w.clerk_b, at(2026, 1, 2, 8), Source.PAPER, "E1")
    step(at(2026, 1, 2, 9), incoming.register, w.clerk_b, e1)
    step(at(2026, 1, 2, 10), incoming.assign, w.leader_b, e1, main=w.spec_b)
    Delegation.objects.create(agency=a, principal=w.leader_a, deputy=w.clerk_a, starts_on=dt.date(2026, 1, 5),
                              ends_on=dt.date(2026, 1, 5), reason="Đi công tác")
    step(at(2026, 1, 5, 8, 30), incoming.assign, w.clerk_a, d2, main=w.vp, deadline=dt.date(2026, 1, 5))
    # D3: paper, Mon 05/01 09:00, registered 10:30 (1.5 h), not directed.
    d3 = receive(a, w.clerk_a, at(2026, 1, 5, 9), Source.PAPER, "D3")
    step(at(2026, 1, 5, 10, 30), incoming.register, w.clerk_a, d3)
    step(at(2026, 1, 5, 16), incoming.complete, w.spec_a, d1)
    step(at(2026, 1, 6, 9), incoming.complete, w.spec_b, e1)
    # After the period: a document and a login that must not count.
    receive(a, w.clerk_a, at(2026, 1, 7, 9), Source.ELECTRONIC, "D6")
    _login(w.idle_a, at(2026, 1, 7, 8))

    # Outgoing of the Sở KH&CN, released: O1 31/12 (drafted by chuyenvien_a, CDS) to the Sở Tài
    # chính through the hub and on paper, sealed; O2 02/01 (chuyenvien_a2, Văn phòng) on paper only.
    # O3 still a draft, O4 released after the period: neither counts.
    def outgoing(issued, unit, drafter, kinds, state=State.RELEASED, number=None):
        doc = factories.document(a, direction=Direction.OUTGOING, state=state, issued_date=issued,
                                 drafting_unit=unit, created_by=drafter, number=number)
        for kind in kinds:
            Recipient.objects.create(document=doc, kind=kind, agency=b if kind == RecipientKind.AGENCY else None,
                                     name="Nơi nhận")
        return doc

    o1 = outgoing(dt.date(2025, 12, 31), cds, w.spec_a, [RecipientKind.AGENCY, RecipientKind.PAPER], number=1)
    audit.record("signing.sign_agency", o1)
    outgoing(dt.date(2026, 1, 2), vp, w.spec_a2, [RecipientKind.PAPER], number=2)
    outgoing(None, cds, w.spec_a, [RecipientKind.AGENCY], state=State.DRAFT)
    outgoing(dt.date(2026, 1, 7), cds, w.spec_a, [RecipientKind.AGENCY], number=3)
    w.docs = SimpleNamespace(d1=d1, d2=d2, d3=d3, d4=d4, d5=d5, e1=e1, o1=o1)
    return w

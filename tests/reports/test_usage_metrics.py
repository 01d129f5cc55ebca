"""Every metric of the usage API, counted by hand on the small province of conftest.py, at each
level, over a period that crosses a year boundary and a holiday."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reports.conftest import PERIOD, at, clock
from vpdt.reports import facts, services

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

KEYS = services.API_KEYS
ZERO = dict.fromkeys(KEYS[3:], 0) | {"median_hours_to_register": None, "median_hours_to_direct": None}


def expect(agency, unit=None, person=None, **figures):
    return {"agency_code": agency, "unit_id": unit, "person_id": person, **ZERO, **figures}


def build():
    facts.rebuild_period(dt.date(2025, 12, 1), dt.date(2026, 1, 31))


def test_agency_level_counts_by_hand(province):
    build()
    got = services.usage(*PERIOD, viewer=province.admin)
    assert got == [
        expect("000.00.00.H90"),
        expect("000.00.03.H90", incoming_total=1, incoming_paper=1, completed_on_time=1,
               median_hours_to_register=1.0, median_hours_to_direct=1.0, active_people=4),
        expect("000.00.13.H90", incoming_total=4, incoming_electronic=2, incoming_paper=2, outgoing_total=2,
               outgoing_electronic=1, outgoing_signed=1, completed_on_time=1, completed_late=1, open_overdue=1,
               # registered: 0.5 (D5), 1.0, 1.5, 2.5, 16.0; directed: 0.5, 4.5 (across 01/01), 8.5
               median_hours_to_register=1.5, median_hours_to_direct=4.5, active_people=4),
    ]
    assert all(list(item) == KEYS for item in got)


def test_roll_up_over_the_agency_tree(province):
    build()
    province_row = services.usage(*PERIOD, viewer=province.admin, agency="000.00.00.H90", rollup=True)[0]
    # registered: 0.5 1.0 1.0 1.5 2.5 16.0 -> 1.25; directed: 0.5 1.0 4.5 8.5 -> 2.75
    assert province_row == expect("000.00.00.H90", incoming_total=5, incoming_electronic=2, incoming_paper=3,
                                  outgoing_total=2, outgoing_electronic=1, outgoing_signed=1, completed_on_time=2,
                                  completed_late=1, open_overdue=1, median_hours_to_register=1.25,
                                  median_hours_to_direct=2.75, active_people=8)


def test_unit_level_counts_by_hand(province):
    build()
    w = province
    got = services.usage(*PERIOD, viewer=w.admin, level="unit")
    assert got == [
        expect("000.00.03.H90", w.th.pk, incoming_total=1, incoming_paper=1, completed_on_time=1, active_people=2),
        expect("000.00.13.H90", w.bgd.pk, median_hours_to_direct=4.5, active_people=1),
        expect("000.00.13.H90", w.cds.pk, incoming_total=2, incoming_electronic=2, outgoing_total=1,
               outgoing_electronic=1, outgoing_signed=1, completed_on_time=1, completed_late=1, active_people=2),
        expect("000.00.13.H90", w.vp.pk, incoming_total=1, incoming_paper=1, outgoing_total=1, open_overdue=1,
               median_hours_to_register=1.5, active_people=1),
    ]


def test_person_level_counts_by_hand(province):
    build()
    w = province
    got = {item["person_id"]: item for item in services.usage(*PERIOD, viewer=w.admin, agency=w.a.code,
                                                                level="person")}
    a = "000.00.13.H90"
    assert got == {
        w.clerk_a.pk: expect(a, w.vp.pk, w.clerk_a.pk, median_hours_to_register=1.5, active_people=1),
        w.leader_a.pk: expect(a, w.bgd.pk, w.leader_a.pk, median_hours_to_direct=4.5, active_people=1),
        w.spec_a.pk: expect(a, w.cds.pk, w.spec_a.pk, incoming_total=1, incoming_electronic=1, outgoing_total=1,
                            outgoing_electronic=1, outgoing_signed=1, completed_on_time=1, active_people=1),
        w.spec_a2.pk: expect(a, w.cds.pk, w.spec_a2.pk, incoming_total=1, incoming_electronic=1, outgoing_total=1,
                             completed_late=1, active_people=1),
        w.idle_a.pk: expect(a, w.cds.pk, w.idle_a.pk),
    }


def test_the_year_boundary_splits_the_period(province):
    """29–31/12/2025 and 01–06/01/2026 counted apart: the counts add up to the whole period."""
    build()
    w = province
    december = services.usage(dt.date(2025, 12, 29), dt.date(2025, 12, 31), viewer=w.leader_a)
    january = services.usage(dt.date(2026, 1, 1), dt.date(2026, 1, 6), viewer=w.leader_a)
    assert december == [expect(w.a.code, incoming_total=3, incoming_electronic=2, incoming_paper=1,
                               outgoing_total=1, outgoing_electronic=1, outgoing_signed=1,
                               median_hours_to_register=1.0, median_hours_to_direct=0.5, active_people=2)]
    assert january == [expect(w.a.code, incoming_total=1, incoming_paper=1, outgoing_total=1, completed_on_time=1,
                              completed_late=1, open_overdue=1, median_hours_to_register=8.75,
                              median_hours_to_direct=6.5, active_people=4)]
    whole = services.usage(*PERIOD, viewer=w.leader_a)[0]
    for key in ["incoming_total", "incoming_electronic", "incoming_paper", "outgoing_total", "outgoing_electronic",
                "outgoing_signed", "completed_on_time", "completed_late"]:
        assert december[0][key] + january[0][key] == whole[key], key


def test_a_paper_registration_whose_electronic_copy_arrived_is_counted(province):
    build()
    a = next(i for i in services.figures(*PERIOD, level="agency") if i["agency_code"] == province.a.code)
    assert (a["paper_despite_electronic"], a["directed"], a["directed_on_behalf"]) == (1, 3, 1)


def test_whole_months_read_the_monthly_rows_with_the_same_result(province):
    """01/12/2025–31/01/2026 is read from the months' rows; 02/12/2025–30/01/2026 (no whole
    month) from the days': every event of the dataset lies in both, so the figures agree."""
    build()
    for level in ("agency", "unit", "person"):
        months = services.usage(dt.date(2025, 12, 1), dt.date(2026, 1, 31), viewer=province.admin, level=level)
        days = services.usage(dt.date(2025, 12, 2), dt.date(2026, 1, 30), viewer=province.admin, level=level)
        assert months == days, level
    assert services._period(0, dt.date(2025, 12, 1), dt.date(2026, 1, 31)) != \
        services._period(0, dt.date(2025, 12, 2), dt.date(2026, 1, 30))


def test_durations_keep_a_tenth_below_ten_hours_and_the_hour_below_a_hundred():
    from vpdt.reports.worktime import bucket

    assert [bucket(x) for x in (0.04, 0.05, 9.94, 9.96, 16.3, 16.5, 99.4, 99.5, 123.0, 1234.0)] == \
        [0, 1, 99, 100, 160, 170, 990, 1000, 1200, 12300]


def test_active_people_per_role(province):
    build()
    got = services.active_by_role(*PERIOD, viewer=province.admin, agency=province.a.code)
    assert [row.pop("role_label") for row in got] == ["Văn thư", "Lãnh đạo cơ quan", "Chuyên viên"]
    assert got == [
        {"agency_code": "000.00.13.H90", "role": "clerk", "people": 1, "active_people": 1},
        {"agency_code": "000.00.13.H90", "role": "leader", "people": 1, "active_people": 1},
        {"agency_code": "000.00.13.H90", "role": "specialist", "people": 3, "active_people": 2},
    ]


def test_drafts_returned_per_approval_step(province):
    from vpdt.workflow.models import Review

    draft = province.docs.o1
    for order, label, state, day in [(1, "Trưởng phòng duyệt", Review.State.RETURNED, 30),
                                     (1, "Trưởng phòng duyệt", Review.State.APPROVED, 31),
                                     (2, "Giám đốc ký", Review.State.APPROVED, 31),
                                     (2, "Giám đốc ký", Review.State.RETURNED, 1)]:
        decided = at(2025, 12, day) if day > 1 else at(2026, 2, 1)  # the last one after the period
        Review.objects.create(document=draft, order=order, label=label, state=state, decided_at=decided)
    got = services.drafts_returned_by_step(*PERIOD, viewer=province.leader_a)
    assert got == [{"order": 1, "label": "Trưởng phòng duyệt", "decided": 2, "returned": 1},
                   {"order": 2, "label": "Giám đốc ký", "decided": 1, "returned": 0}]
    build()
    a = next(i for i in services.figures(*PERIOD) if i["agency_code"] == province.a.code)
    assert (a["reviews_decided"], a["drafts_returned"]) == (3, 1)


def test_interconnection_failures_by_cause(province):
    """Two sends given up with the same error, one package refused with its reason: counted by
    cause, most frequent first, told in Vietnamese; another agency's and the period's outside
    are not counted."""
    import io

    from vpdt.core import blobs
    from vpdt.exchange.models import HubConnection, InboxItem, OutboxMessage

    conn = HubConnection.objects.create(endpoint="/hub", system_id="vpdt.test", secret_encrypted="x")
    blob = blobs.store_stream(io.BytesIO(b"<edXML/>"))
    error = "Trục liên thông từ chối gói tin: mã nơi nhận không tồn tại\nchi tiết kỹ thuật"
    for agency, when in [(province.a, at(2025, 12, 30)), (province.a, at(2026, 1, 5)),
                         (province.b, at(2026, 1, 5)), (province.a, at(2026, 1, 7))]:
        with clock(when):
            OutboxMessage.objects.create(agency=agency, to_code="000.00.99.H90",
                                         message_type=OutboxMessage.EDOC, package=blob,
                                         state=OutboxMessage.FAILED, last_error=error)
    with clock(at(2026, 1, 2)):
        InboxItem.objects.create(connection=conn, hub_doc_id="d1", agency=province.a, message_type="edoc",
                                 outcome=InboxItem.QUARANTINED, reason_code="EDXML_MALFORMED",
                                 detail="Gói tin edXML không đọc được (Header/Code). thiếu thẻ")
        InboxItem.objects.create(connection=conn, hub_doc_id="d2", agency=province.a, message_type="edoc",
                                 outcome=InboxItem.STORED)
    got = services.exchange_failure_causes(*PERIOD, viewer=province.leader_a)
    assert got == [
        {"direction": "send", "direction_label": "Gửi đi", "code": error.splitlines()[0],
         "cause": "Trục liên thông từ chối gói tin: mã nơi nhận không tồn tại", "count": 2},
        {"direction": "receive", "direction_label": "Nhận về", "code": "EDXML_MALFORMED",
         "cause": "Gói tin edXML không đọc được", "count": 1},
    ]


def test_open_past_due_per_unit_follows_the_documents_through_the_job(province):
    """Per unit and person, open past due is read from the job's IncomingHandler rows: a change
    to the document (audited) reaches them at the next refresh, and the rows' partial index
    covers exactly the open states."""
    from django.utils import timezone

    from vpdt.core import audit
    from vpdt.reports.models import IncomingHandler

    w = province
    facts.refresh()
    unit = {(i["unit_id"]): i["open_overdue"] for i in services.usage(*PERIOD, viewer=w.admin, level="unit")}
    assert unit[w.vp.pk] == 1
    late = IncomingHandler.objects.get(unit_id=w.vp.pk).document
    late.due_date = None  # the leader withdrew the deadline
    late.save(update_fields=["due_date"])
    audit.record("document.update", late, user=w.leader_a, agency_code=w.a.code)
    facts.refresh(now=timezone.now() + dt.timedelta(minutes=10))
    unit = {(i["unit_id"]): i["open_overdue"] for i in services.usage(*PERIOD, viewer=w.admin, level="unit")}
    assert unit[w.vp.pk] == 0 and not IncomingHandler.objects.filter(document=late).exists()
    index = next(i for i in IncomingHandler._meta.indexes if i.name == "handler_open")
    assert sorted(index.condition.children[0][1]) == sorted(services.OPEN_INCOMING)

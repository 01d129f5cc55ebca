"""Inside the resolving agency: counter → processing unit → approver → counter, each hand-over on
the control slip; a supplement asked while processing stops the clock; withdrawal and stop;
the electronic result for the holder of the code and the secret; the public view."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from tests import factories
from tests.motcua.conftest import applicant, pdf_upload
from vpdt.core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from vpdt.motcua import clock
from vpdt.motcua.models import ClockPause, DossierStatus, ReturnMethod, StepKind
from vpdt.motcua.services import access, counter, lookup, processing

pytestmark = pytest.mark.django_db


def received(w):
    return counter.receive(w.counter, w.agency, w.procedure, counter.Intake(
        applicant=applicant(), ticked={p.pk for p in w.papers[:2]}), decision="accept")


def test_the_whole_path_inside_one_agency_with_the_control_slip(shop):
    w = shop
    dossier = received(w)
    with pytest.raises(PermissionDenied):
        processing.transfer(w.officer, dossier, w.tp)
    with pytest.raises(InvalidInput):
        processing.transfer(w.counter, dossier, factories.unit(w.other, "TP"))
    step = processing.transfer(w.counter, dossier, w.tp)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.current_step == step
    assert step.due_at == clock.add_working_hours(step.sent_at, 12)
    # The unit's officer sees it; the other unit's does not.
    assert access.can_view(w.officer, dossier) and not access.can_view(w.officer2, dossier)
    assert not access.can_view(w.other_counter, dossier)
    with pytest.raises(PermissionDenied):
        processing.take(w.officer2, dossier)
    processing.take(w.officer, dossier)
    processing.appraise(w.officer, dossier, "Hồ sơ hợp lệ, đủ điều kiện đăng ký.",
                        [pdf_upload(name="bien-ban-tham-dinh.pdf")])
    processing.submit_for_approval(w.officer, dossier, to_user=w.leader)
    with pytest.raises(PermissionDenied):
        processing.approve(w.officer, dossier)
    processing.send_back(w.leader, dossier, "Bổ sung ý kiến về nơi đăng ký thường trú.")
    dossier.refresh_from_db()
    assert dossier.current_step.kind == StepKind.PROCESSING and dossier.current_step.to_user == w.officer
    processing.submit_for_approval(w.officer, dossier, to_user=w.leader, note="Đã làm rõ.")
    result = counter.Upload(stream=io.BytesIO(factories.pdf_bytes("giay khai sinh")), name="giay-khai-sinh.pdf")
    dossier = processing.approve(w.leader, dossier, result=result, result_note="Giấy khai sinh số 12/2026")
    assert dossier.status == DossierStatus.DONE and dossier.finished_at and dossier.result_id
    assert dossier.current_step.kind == StepKind.RETURN and dossier.current_step.to_agency == w.agency
    dossier = processing.return_result(w.counter, dossier, method=ReturnMethod.COUNTER)
    assert dossier.status == DossierStatus.RETURNED and dossier.returned_at
    kinds = [s.kind for s in dossier.steps.order_by("order")]
    assert kinds == ["counter", "processing", "approver", "processing", "approver", "return"]
    assert all(s.done_at for s in dossier.steps.all())
    statuses = [e.status_to for e in dossier.events.order_by("at", "id")]
    assert statuses[0] == DossierStatus.NEW and statuses[-1] == DossierStatus.RETURNED
    with pytest.raises(InvalidState):
        processing.return_result(w.counter, dossier)


def test_a_supplement_while_processing_stops_the_clock_and_the_answer_moves_the_dates(shop, monkeypatch):
    w = shop
    now = {"t": timezone.make_aware(dt.datetime(2026, 11, 2, 9))}  # Monday
    monkeypatch.setattr(timezone, "now", lambda: now["t"])
    dossier = received(w)
    assert dossier.appointment_date == dt.date(2026, 11, 5)
    processing.transfer(w.counter, dossier, w.tp, to_user=w.officer)
    dossier.refresh_from_db()
    step_due = dossier.current_step.due_at
    now["t"] = timezone.make_aware(dt.datetime(2026, 11, 3, 10))  # Tuesday
    with pytest.raises(InvalidInput):
        processing.ask_supplement(w.officer, dossier, [{"name": " "}])
    processing.ask_supplement(w.officer, dossier, [{"name": "Giấy chứng sinh", "reason": "Sai ngày sinh"}])
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENT and dossier.paused_at is not None
    with pytest.raises(InvalidState):
        processing.submit_for_approval(w.officer, dossier)
    # Answered the next Monday: Wednesday, Thursday, Friday and Monday stood still (4 working days).
    now["t"] = timezone.make_aware(dt.datetime(2026, 11, 9, 8))
    dossier = processing.answer_supplement(w.counter, dossier, note="Đã nộp bản đúng",
                                           uploads=[pdf_upload(name="chung-sinh.pdf")])
    assert dossier.status == DossierStatus.PROCESSING and dossier.paused_at is None
    assert dossier.appointment_date == dt.date(2026, 11, 11)
    assert dossier.original_appointment_date == dt.date(2026, 11, 5)
    pause = ClockPause.objects.get(dossier=dossier)
    assert pause.working_days == 4 and pause.ended_at == now["t"]
    dossier.current_step.refresh_from_db()
    # The step's 12 working hours from Monday 09:00 ended Tuesday 14:30; four days later now.
    assert clock.local(step_due) == clock.at(dt.date(2026, 11, 3), dt.time(14, 30))
    assert clock.local(dossier.current_step.due_at) == clock.at(dt.date(2026, 11, 9), dt.time(14, 30))
    with pytest.raises(InvalidState):
        processing.answer_supplement(w.counter, dossier)


def test_withdrawal_at_the_counter_and_stop_by_the_body_need_reasons(shop):
    w = shop
    first, second = received(w), received(w)
    with pytest.raises(InvalidInput):
        processing.withdraw(w.counter, first, "")
    first = processing.withdraw(w.counter, first, "Công dân có đơn xin rút hồ sơ.")
    assert first.status == DossierStatus.WITHDRAWN and first.current_step.done_at is not None
    processing.transfer(w.counter, second, w.tp)
    with pytest.raises(PermissionDenied):
        processing.stop(w.officer2, second, "Không rõ")
    second = processing.stop(w.leader, second, "Hồ sơ có dấu hiệu giả mạo giấy tờ, chuyển công an xác minh.")
    assert second.status == DossierStatus.STOPPED
    with pytest.raises(InvalidState):
        processing.withdraw(w.counter, second, "muộn")


def test_public_view_has_nothing_personal_and_the_result_needs_the_secret(shop):
    w = shop
    dossier = received(w)
    secret = counter.issue_secret(w.counter, dossier)
    processing.transfer(w.counter, dossier, w.tp, to_user=w.officer)
    processing.submit_for_approval(w.officer, dossier, to_user=w.leader)
    processing.approve(w.leader, dossier, result=counter.Upload(
        stream=io.BytesIO(factories.pdf_bytes("kq")), name="ket-qua.pdf"))
    view = lookup.public_view(lookup.find(dossier.code.lower()))
    flat = repr(view)
    for personal in ("Nguyễn Văn An", "075095001234", "Ấp 1", "0912345678", "an@example.vn", w.officer.full_name):
        assert personal not in flat
    assert view["status"] == DossierStatus.DONE and view["result_online"]
    with pytest.raises(NotFound):
        lookup.result_for(dossier.code, "WRONGSEC")
    assert lookup.result_for(dossier.code, secret).pk == dossier.pk
    with pytest.raises(InvalidInput):
        lookup.find("'; drop table")
    with pytest.raises(NotFound):
        lookup.find("000.01.31.H90-261130-9999")
    done = processing.return_result(w.counter, dossier, method=ReturnMethod.ONLINE)
    assert done.return_method == ReturnMethod.ONLINE


def test_a_financial_obligation_stops_the_clock_and_the_citizen_is_told(shop, monkeypatch):
    """motcua3: status 6 has its service; the core's services notify the citizen."""
    from vpdt.motcua.models import CitizenNotice

    w = shop
    now = {"t": timezone.make_aware(dt.datetime(2026, 11, 2, 9))}  # Monday
    monkeypatch.setattr(timezone, "now", lambda: now["t"])
    dossier = received(w)
    assert dossier.appointment_date == dt.date(2026, 11, 5)
    processing.transfer(w.counter, dossier, w.tp, to_user=w.officer)
    now["t"] = timezone.make_aware(dt.datetime(2026, 11, 3, 10))  # Tuesday
    with pytest.raises(PermissionDenied):
        processing.ask_financial(w.counter, dossier, "Lệ phí trước bạ")  # not the counter's step
    with pytest.raises(InvalidInput):
        processing.ask_financial(w.officer, dossier, " ")
    dossier = processing.ask_financial(w.officer, dossier, "Nộp lệ phí trước bạ")
    assert dossier.status == DossierStatus.FINANCIAL and dossier.paused_at is not None
    with pytest.raises(InvalidState):
        processing.ask_financial(w.officer, dossier, "lần nữa")
    now["t"] = timezone.make_aware(dt.datetime(2026, 11, 4, 8))  # Wednesday: Wednesday stood still
    dossier = processing.financial_met(w.counter, dossier, note="Biên lai 0012")
    assert dossier.status == DossierStatus.PROCESSING and dossier.appointment_date == dt.date(2026, 11, 6)
    assert ClockPause.objects.get(dossier=dossier).working_days == 1
    with pytest.raises(InvalidState):
        processing.financial_met(w.counter, dossier)
    assert [e.action for e in dossier.events.order_by("at", "id")][-2:] == ["financial", "financial_met"]
    told = set(CitizenNotice.objects.filter(dossier=dossier).values_list("event", flat=True))
    assert {"received", "financial"} <= told  # the applicant gave a phone and an e-mail

"""Behind the counter, inside the resolving agency: counter → processing unit (chuyên viên) →
approver (lãnh đạo) → counter, each hand-over a row of the control slip (Mẫu 05).

- transfer: the counter hands the received dossier to a processing unit (status 4); the step's
  deadline is the procedure's processing time in working hours;
- the processing officer takes it, writes appraisal notes and adds files, submits it for
  approval, or asks the citizen to supplement (status 5: the clock stops until the papers come
  back, then the appointment and the step's deadline move by the working days it stood still);
- the approver approves (status 9, the result attached, back to the counter) or sends it back;
- the counter returns the result (status 10) at the counter, by post or electronically;
- the citizen may withdraw (7); the body may stop processing with reasons (8).
Each change is a DossierEvent and an audit entry `motcua.<action>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.directory.models import Unit, User
from vpdt.motcua import clock
from vpdt.motcua.models import (
    ClockPause,
    Dossier,
    DossierStatus,
    DossierStep,
    FileKind,
    PauseReason,
    ReturnMethod,
    StepKind,
    SupplementRequest,
    SupplementStage,
)
from vpdt.motcua.notify import notify_citizen
from vpdt.motcua.services.access import (
    holds_step,
    is_approver,
    is_counter,
    person,
    require_counter,
    require_step,
)
from vpdt.motcua.services.counter import Upload, event, store_upload
from vpdt.workflow.holidays import add_working_days

OPEN_STATUSES = (DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT,
                 DossierStatus.FINANCIAL)


def _locked(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update(of=("self",)).select_related(
        "procedure", "agency", "resolving_agency", "current_step").get(pk=dossier.pk)


def _hours(dossier: Dossier, kind: str, default: int) -> int:
    total = dossier.procedure.steps.filter(kind=kind).aggregate(h=Sum("working_hours"))["h"]
    return int(total) if total else default


def _close_step(step: DossierStep | None, now: dt.datetime, note: str = "") -> None:
    if step is None or step.done_at is not None:
        return
    step.done_at = now
    if step.received_at is None:
        step.received_at = now
    if note:
        step.note = f"{step.note}\n{note}".strip() if step.note else note
    step.save(update_fields=["done_at", "received_at", "note"])


def _hand_over(d: Dossier, user, *, kind: str, name: str, to_agency, to_unit=None, to_user=None,
               hours: int | None, now: dt.datetime, note: str = "", due_at: dt.datetime | None = None) -> DossierStep:
    previous = d.current_step
    _close_step(previous, now, note)
    order = (d.steps.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    step = DossierStep.objects.create(
        dossier=d, order=order, kind=kind, name=name,
        from_agency=previous.to_agency if previous else d.agency,
        from_unit=previous.to_unit if previous else None,
        from_user=person(user), to_agency=to_agency, to_unit=to_unit, to_user=to_user, sent_at=now,
        due_at=clock.add_working_hours(now, hours) if hours else due_at)
    d.current_step = step
    return step


def _check_person(person_row: User | None, agency, unit: Unit | None = None) -> None:
    if person_row is None:
        return
    if not person_row.is_active or agency.pk not in person_row.member_agency_ids():
        raise InvalidInput("Người nhận không thuộc cơ quan giải quyết.", code="MOTCUA_BAD_RECEIVER",
                           detail=person_row.get_username())
    if unit is not None and person_row.unit_id != unit.pk:
        raise InvalidInput("Người nhận không thuộc phòng đã chọn.", code="MOTCUA_BAD_RECEIVER",
                           detail=person_row.get_username())


def transfer(user, dossier: Dossier, unit: Unit, *, to_user: User | None = None, note: str = "") -> DossierStep:
    """The counter hands the received dossier to the processing unit of the resolving agency."""
    require_counter(user, dossier.agency)
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.RECEIVED:
            raise InvalidState("Chỉ chuyển hồ sơ đã tiếp nhận, chưa chuyển xử lý.", code="MOTCUA_NOT_RECEIVED",
                               detail=f"status={d.status}")
        if unit.agency_id != d.resolving_agency_id or not unit.active:
            raise InvalidInput("Phòng chuyên môn không thuộc cơ quan giải quyết.", code="MOTCUA_BAD_UNIT",
                               detail=f"unit={unit.pk}")
        _check_person(to_user, d.resolving_agency, unit)
        now = timezone.now()
        default = max(8, (d.procedure.legal_days - 1) * 8)
        step = _hand_over(d, user, kind=StepKind.PROCESSING, name="Thẩm định, xử lý hồ sơ",
                          to_agency=d.resolving_agency, to_unit=unit, to_user=to_user,
                          hours=_hours(d, StepKind.PROCESSING, default), now=now, note=note)
        before = d.status
        d.status = DossierStatus.PROCESSING
        d.save(update_fields=["status", "current_step", "updated_at"])
        event(d, "transfer", user, before=before, note=note, detail={
            "unit": unit.name, "to": to_user.get_username() if to_user else "",
            "late": bool(d.transfer_due and now > d.transfer_due)})
    return step


def take(user, dossier: Dossier) -> DossierStep:
    """The processing officer (or approver) acknowledges the hand-over: the receiving time of Mẫu 05."""
    require_step(user, dossier)
    with transaction.atomic():
        d = _locked(dossier)
        step = d.current_step
        if step.received_at is not None:
            return step
        step.received_at = timezone.now()
        if step.to_user_id is None and person(user):
            step.to_user = user
        step.save(update_fields=["received_at", "to_user"])
        event(d, "take", user, before=d.status, agency=step.to_agency, detail={"step": step.order})
    return step


def appraise(user, dossier: Dossier, note: str, uploads: Iterable[Upload] = ()) -> DossierStep:
    """An appraisal note (ý kiến thẩm định) and its files on the current step."""
    require_step(user, dossier)
    note = (note or "").strip()
    uploads = list(uploads)
    if not note and not uploads:
        raise InvalidInput("Hãy ghi ý kiến thẩm định hoặc đính kèm tệp.", code="MOTCUA_EMPTY_NOTE")
    with transaction.atomic():
        d = _locked(dossier)
        step = d.current_step
        if step.received_at is None:
            step.received_at = timezone.now()
        if note:
            stamp = clock.local(timezone.now()).strftime("%d/%m/%Y %H:%M")
            step.note = f"{step.note}\n[{stamp}] {note}".strip()
        step.save(update_fields=["note", "received_at"])
        names = [store_upload(d, u, user, kind=FileKind.APPRAISAL, step=step).filename for u in uploads]
        event(d, "appraise", user, before=d.status, note=note, agency=step.to_agency, detail={"files": names})
    return step


def submit_for_approval(user, dossier: Dossier, *, to_user: User | None = None, note: str = "") -> DossierStep:
    require_step(user, dossier)
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.PROCESSING or d.current_step.kind != StepKind.PROCESSING:
            raise InvalidState("Hồ sơ không ở bước thẩm định.", code="MOTCUA_NOT_PROCESSING")
        if to_user is not None and not is_approver(to_user, d.resolving_agency):
            raise InvalidInput("Người duyệt phải là lãnh đạo cơ quan giải quyết.", code="MOTCUA_BAD_APPROVER")
        step = _hand_over(d, user, kind=StepKind.APPROVER, name="Phê duyệt kết quả", to_agency=d.resolving_agency,
                          to_user=to_user, hours=_hours(d, StepKind.APPROVER, 8), now=timezone.now(), note=note)
        d.save(update_fields=["current_step", "updated_at"])
        event(d, "submit_approval", user, before=d.status, note=note, agency=d.resolving_agency)
    return step


def send_back(user, dossier: Dossier, note: str) -> DossierStep:
    """The approver does not approve: back to the processing unit, with the reason."""
    require_step(user, dossier)
    if not (note or "").strip():
        raise InvalidInput("Hãy ghi lý do trả lại.", code="MOTCUA_REASON_REQUIRED")
    with transaction.atomic():
        d = _locked(dossier)
        if d.current_step.kind != StepKind.APPROVER:
            raise InvalidState("Hồ sơ không ở bước phê duyệt.", code="MOTCUA_NOT_APPROVING")
        last = d.steps.filter(kind=StepKind.PROCESSING).order_by("-order").first()
        step = _hand_over(d, user, kind=StepKind.PROCESSING, name="Thẩm định lại theo ý kiến lãnh đạo",
                          to_agency=d.resolving_agency, to_unit=last.to_unit if last else None,
                          to_user=last.to_user if last else None, hours=8, now=timezone.now(), note=note)
        d.save(update_fields=["current_step", "updated_at"])
        event(d, "send_back", user, before=d.status, note=note, agency=d.resolving_agency)
    return step


def approve(user, dossier: Dossier, *, result: Upload | None = None, result_note: str = "",
            note: str = "") -> Dossier:
    """The approver approves: the dossier is resolved (status 9), the result attached, and the
    dossier goes back to the receiving agency's counter for the return."""
    require_step(user, dossier)
    with transaction.atomic():
        d = _locked(dossier)
        if d.current_step.kind != StepKind.APPROVER or d.status != DossierStatus.PROCESSING:
            raise InvalidState("Hồ sơ không ở bước phê duyệt.", code="MOTCUA_NOT_APPROVING")
        now = timezone.now()
        approver_step = d.current_step
        if result is not None:
            stored = store_upload(d, result, user, kind=FileKind.RESULT, step=approver_step)
            d.result, d.result_filename = stored.blob, stored.filename
        d.result_note = (result_note or "").strip()[:4000]
        _hand_over(d, user, kind=StepKind.RETURN, name="Trả kết quả", to_agency=d.agency, hours=None, now=now,
                   note=note)
        d.current_step.due_at = clock.end_of_day(d.appointment_date or clock.local(now).date())
        d.current_step.save(update_fields=["due_at"])
        before = d.status
        d.status, d.finished_at = DossierStatus.DONE, now
        d.save(update_fields=["status", "finished_at", "result", "result_filename", "result_note",
                              "current_step", "updated_at"])
        event(d, "approve", user, before=before, note=note, agency=d.resolving_agency,
              detail={"result": d.result_filename, "outcome": clock.outcome(
                  clock.local(now).date(), d.appointment_date) if d.appointment_date else ""})
        notify_citizen(d, "done")
    dossier.refresh_from_db()
    return dossier


def return_result(user, dossier: Dossier, *, method: str = ReturnMethod.COUNTER, note: str = "") -> Dossier:
    """The counter gives the result to the citizen (status 10): at the counter, by post, or
    electronically (the citizen downloads it with the code and the secret of the receipt)."""
    require_counter(user, dossier.agency)
    if method not in ReturnMethod.values:
        raise InvalidInput("Hình thức trả kết quả không hợp lệ.", code="MOTCUA_BAD_RETURN_METHOD", detail=method)
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.DONE:
            raise InvalidState("Hồ sơ chưa xử lý xong, chưa trả kết quả được.", code="MOTCUA_NOT_DONE",
                               detail=f"status={d.status}")
        if method == ReturnMethod.ONLINE and d.result_id is None:
            raise InvalidState("Hồ sơ chưa có tệp kết quả để trả trực tuyến.", code="MOTCUA_NO_RESULT_FILE")
        now = timezone.now()
        _close_step(d.current_step, now, note)
        before = d.status
        d.status, d.returned_at, d.return_method = DossierStatus.RETURNED, now, method
        d.save(update_fields=["status", "returned_at", "return_method", "updated_at"])
        event(d, "return", user, before=before, note=note, detail={"method": method})
        notify_citizen(d, "returned")
    dossier.refresh_from_db()
    return dossier


def ask_supplement(user, dossier: Dossier, items: Iterable[dict], *, note: str = "") -> SupplementRequest:
    """Processing finds a gap: one request listing every item (Mẫu 02), status 5, the clock stops."""
    require_step(user, dossier)
    cleaned = []
    for item in items:
        name = " ".join(str(item.get("name") or "").split())[:500]
        reason = " ".join(str(item.get("reason") or "").split())[:500]
        if name or reason:
            cleaned.append({"paper": item.get("paper"), "name": name or reason, "reason": reason})
    if not cleaned:
        raise InvalidInput("Hãy liệt kê giấy tờ cần bổ sung, hoàn thiện.", code="MOTCUA_NO_GAP")
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.PROCESSING:
            raise InvalidState("Chỉ yêu cầu bổ sung khi hồ sơ đang xử lý.", code="MOTCUA_NOT_PROCESSING",
                               detail=f"status={d.status}")
        if d.supplements.filter(stage=SupplementStage.PROCESSING, answered_at__isnull=True).exists():
            raise InvalidState("Đã có yêu cầu bổ sung đang chờ.", code="MOTCUA_SUPPLEMENT_OPEN")
        now = timezone.now()
        request = SupplementRequest.objects.create(dossier=d, stage=SupplementStage.PROCESSING, step=d.current_step,
                                                   items=cleaned, note=(note or "")[:4000], asked_by=person(user),
                                                   asked_at=now)
        ClockPause.objects.create(dossier=d, reason=PauseReason.SUPPLEMENT, supplement=request, started_at=now)
        before = d.status
        d.status, d.paused_at = DossierStatus.SUPPLEMENT, now
        d.save(update_fields=["status", "paused_at", "updated_at"])
        event(d, "supplement", user, before=before, note=note, agency=d.current_step.to_agency,
              detail={"items": len(cleaned)})
        notify_citizen(d, "supplement")
    return request


def answer_supplement(user, dossier: Dossier, *, note: str = "", uploads: Iterable[Upload] = ()) -> Dossier:
    """The papers asked while processing came back (at the counter, or to the officer): the clock
    restarts, the appointment and the step's deadline move by the working days it stood still."""
    if not (is_counter(user, dossier.agency) or holds_step(user, dossier)):
        raise PermissionDenied("Chỉ Bộ phận Một cửa hoặc người đang xử lý hồ sơ nhận giấy tờ bổ sung.",
                               code="MOTCUA_NOT_COUNTER")
    with transaction.atomic():
        d = _locked(dossier)
        request = d.supplements.filter(stage=SupplementStage.PROCESSING, answered_at__isnull=True).first()
        if d.status != DossierStatus.SUPPLEMENT or request is None:
            raise InvalidState("Hồ sơ không chờ bổ sung.", code="MOTCUA_NOT_WAITING_SUPPLEMENT",
                               detail=f"status={d.status}")
        now = timezone.now()
        request.answered_at, request.answered_by, request.answer_note = now, person(user), (note or "")[:4000]
        request.save(update_fields=["answered_at", "answered_by", "answer_note"])
        days = _end_pause(d, now)
        names = [store_upload(d, u, user, kind=FileKind.SUPPLEMENT, step=d.current_step).filename for u in uploads]
        before = d.status
        d.status = DossierStatus.PROCESSING
        d.save(update_fields=["status", "appointment_date", "paused_at", "updated_at"])
        event(d, "supplement_answer", user, before=before, note=note, detail={
            "paused_working_days": days, "appointment": d.appointment_date.isoformat() if d.appointment_date else "",
            "files": names})
    dossier.refresh_from_db()
    return dossier


def ask_financial(user, dossier: Dossier, note: str) -> Dossier:
    """Processing finds the citizen owes a financial obligation (a tax, a land levy): status 6,
    the clock stops until the counter or the officer records it met (`financial_met`)."""
    require_step(user, dossier)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Hãy ghi rõ nghĩa vụ tài chính công dân phải thực hiện.", code="MOTCUA_REASON_REQUIRED")
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.PROCESSING:
            raise InvalidState("Chỉ yêu cầu thực hiện nghĩa vụ tài chính khi hồ sơ đang xử lý.",
                               code="MOTCUA_NOT_PROCESSING", detail=f"status={d.status}")
        now = timezone.now()
        ClockPause.objects.create(dossier=d, reason=PauseReason.FINANCIAL, started_at=now)
        before = d.status
        d.status, d.paused_at = DossierStatus.FINANCIAL, now
        d.save(update_fields=["status", "paused_at", "updated_at"])
        event(d, "financial", user, before=before, note=note, agency=d.current_step.to_agency)
        notify_citizen(d, "financial")
    dossier.refresh_from_db()
    return dossier


def financial_met(user, dossier: Dossier, *, note: str = "") -> Dossier:
    """The citizen met the financial obligation: the clock restarts, the appointment and the open
    step's deadline move by the working days it stood still."""
    if not (is_counter(user, dossier.agency) or holds_step(user, dossier)):
        raise PermissionDenied("Chỉ Bộ phận Một cửa hoặc người đang xử lý hồ sơ ghi nhận việc này.",
                               code="MOTCUA_NOT_COUNTER")
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.FINANCIAL:
            raise InvalidState("Hồ sơ không chờ thực hiện nghĩa vụ tài chính.", code="MOTCUA_NOT_WAITING_FINANCIAL",
                               detail=f"status={d.status}")
        days = _end_pause(d, timezone.now())
        before = d.status
        d.status = DossierStatus.PROCESSING
        d.save(update_fields=["status", "appointment_date", "paused_at", "updated_at"])
        event(d, "financial_met", user, before=before, note=note, detail={
            "paused_working_days": days, "appointment": d.appointment_date.isoformat() if d.appointment_date else ""})
    dossier.refresh_from_db()
    return dossier


def _end_pause(d: Dossier, now: dt.datetime) -> int:
    pause = d.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return 0
    days = clock.pause_working_days(pause.started_at, now)
    pause.ended_at, pause.working_days = now, days
    pause.save(update_fields=["ended_at", "working_days"])
    if days and d.appointment_date:
        d.appointment_date = clock.moved_by_pause(d.appointment_date, days)
    step = d.current_step
    if days and step is not None and step.due_at is not None and step.done_at is None:
        due = clock.local(step.due_at)
        step.due_at = clock.at(add_working_days(due.date(), days), due.time())
        step.save(update_fields=["due_at"])
    d.paused_at = None
    return days


def _close(user, dossier: Dossier, status: int, action: str, reason: str, allowed) -> Dossier:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Hãy ghi rõ lý do.", code="MOTCUA_REASON_REQUIRED")
    with transaction.atomic():
        d = _locked(dossier)
        if d.status not in allowed:
            raise InvalidState("Trạng thái hiện tại của hồ sơ không cho phép thao tác này.",
                               code="MOTCUA_BAD_STATUS", detail=f"status={d.status}")
        now = timezone.now()
        _end_pause(d, now)
        d.supplements.filter(answered_at__isnull=True).update(answered_at=now, answer_note=reason[:4000])
        _close_step(d.current_step, now, reason)
        before = d.status
        d.status, d.closing_reason, d.finished_at = status, reason[:4000], now
        d.save(update_fields=["status", "closing_reason", "finished_at", "appointment_date", "paused_at",
                              "updated_at"])
        event(d, action, user, before=before, note=reason)
    dossier.refresh_from_db()
    return dossier


def withdraw(user, dossier: Dossier, reason: str) -> Dossier:
    """The citizen asks to withdraw the dossier (status 7), recorded at the counter."""
    require_counter(user, dossier.agency)
    return _close(user, dossier, DossierStatus.WITHDRAWN, "withdraw", reason,
                  (DossierStatus.NEW, *OPEN_STATUSES))


def stop(user, dossier: Dossier, reason: str) -> Dossier:
    """The resolving body stops processing, with the reasons (status 8)."""
    if not (holds_step(user, dossier) or is_approver(user, dossier.resolving_agency)):
        raise PermissionDenied("Chỉ người đang xử lý hoặc lãnh đạo cơ quan giải quyết được dừng xử lý.",
                               code="MOTCUA_NOT_YOUR_STEP")
    return _close(user, dossier, DossierStatus.STOPPED, "stop", reason, OPEN_STATUSES)

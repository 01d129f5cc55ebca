"""Deadlines of the one-stop shop: warnings before a step is late, delays counted against the
body that is late, and the apology slip with one new date (Mẫu 04).

- `scan` (the periodic job `motcua.deadlines`): every open step due within the warning window
  (VPDT_MOTCUA_WARN_HOURS working hours, default 4) warns who holds it; a step past its deadline
  warns them and the body's leaders, and is counted as a delay against the body that holds it
  (DossierDelay: dossier, step, body, unit, working days late, kept up to date until the step is
  done); a dossier whose appointment passed counts one delay against the body holding it then.
  Running it twice notifies nobody twice (keys per step) and counts nothing twice (one row per
  step, one per dossier and body for the appointment).
- `issue_apology`: the body that is late (its leader, its counter, or who holds the step) issues
  the apology slip with ONE new date, a working day after the current appointment; the
  appointment moves to it, the first promise stays in `original_appointment_date`; a body
  apologises once per dossier. The slip is printed as PDF (reportlab, DejaVu Sans) and kept
  with the dossier's files.

Notifications go through the e-office's bell and its e-mails (workflow.notifications).
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.motcua import clock
from vpdt.motcua.clock import end_of_day
from vpdt.motcua.models import (
    ApologySlip,
    Dossier,
    DossierDelay,
    DossierFile,
    DossierStatus,
    DossierStep,
    FileKind,
)
from vpdt.motcua.services.access import person
from vpdt.motcua.services.counter import event as record_event
from vpdt.workflow.holidays import is_working_day, working_days_between
from vpdt.workflow.notifications import notify

# The clock runs in these statuses (not while waiting for papers or a payment).
RUNNING = (DossierStatus.RECEIVED, DossierStatus.PROCESSING)
DEFAULT_WARN_HOURS = 4


def warn_hours() -> float:
    return float(getattr(settings, "VPDT_MOTCUA_WARN_HOURS", DEFAULT_WARN_HOURS) or DEFAULT_WARN_HOURS)


def _person(user):
    return person(user)


def working_days_late(due: dt.datetime, end: dt.datetime) -> int:
    """Working days from the deadline's day to the end's day; at least 1 once past the deadline."""
    if end <= due:
        return 0
    return max(1, working_days_between(clock.local(due).date(), clock.local(end).date()))


def holders(step: DossierStep) -> list[User]:
    """Who a step waits for: its person, else the active people of its unit, else the counter or
    the leaders of its agency."""
    if step.to_user_id:
        return [step.to_user]
    if step.to_unit_id:
        people = list(User.objects.filter(unit_id=step.to_unit_id, is_active=True))
        if people:
            return people
    role = Role.COUNTER if step.kind in ("counter", "return") else Role.LEADER
    return _role_holders(step.to_agency_id, role)


def _role_holders(agency_id: int, role: str) -> list[User]:
    from vpdt.workflow.services.common import role_holders

    return role_holders(agency_id, role)


def _label(step: DossierStep) -> str:
    return f"Hồ sơ {step.dossier.code} ({step.dossier.procedure.name[:120]}), bước “{step.name}”"


def _count_step_delay(step: DossierStep, now: dt.datetime) -> tuple[DossierDelay, bool]:
    end = step.done_at or now
    days = working_days_late(step.due_at, end)
    delay, created = DossierDelay.objects.get_or_create(step=step, defaults={
        "dossier_id": step.dossier_id, "kind": DossierDelay.Kind.STEP, "agency_id": step.to_agency_id,
        "unit_id": step.to_unit_id, "user_id": step.to_user_id, "due_at": step.due_at, "days_late": days,
        "detected_at": now, "ended_at": step.done_at})
    if not created and (delay.days_late != days or delay.ended_at != step.done_at):
        delay.days_late, delay.ended_at = days, step.done_at
        delay.save(update_fields=["days_late", "ended_at"])
    return delay, created


def scan(now: dt.datetime | None = None) -> dict:
    """Warn before steps are late, count the delays. Idempotent; returns what it did."""
    now = now or timezone.now()
    horizon = clock.add_working_hours(now, warn_hours())
    warned = late = counted = 0
    open_steps = (DossierStep.objects.filter(done_at__isnull=True, due_at__isnull=False, due_at__lte=horizon,
                                             dossier__status__in=RUNNING)
                  .select_related("dossier", "dossier__procedure", "to_agency", "to_user"))
    for step in open_steps:
        due = clock.local(step.due_at).strftime("%H:%M %d/%m/%Y")
        if step.due_at > now:
            warned += notify(holders(step), None, "motcua_due",
                             f"{_label(step)} sắp đến hạn xử lý ({due}).", key=f"motcua-due-{step.pk}")
            continue
        with transaction.atomic():
            delay, created = _count_step_delay(step, now)
        counted += created
        if created:
            audit.record("motcua.delay", step.dossier, user=None, agency_code=step.to_agency.code, detail={
                "code": step.dossier.code, "step": step.order, "body": step.to_agency.code,
                "due": step.due_at.isoformat(), "days_late": delay.days_late})
        late += notify([*holders(step), *_role_holders(step.to_agency_id, Role.LEADER)], None, "motcua_late",
                       f"{_label(step)} đã quá hạn xử lý ({due}).", key=f"motcua-late-{step.pk}")
    # Steps done late since the last scan (done between scans): counted too, with their final days.
    for step in (DossierStep.objects.filter(done_at__isnull=False, due_at__isnull=False, delays__isnull=True)
                 .filter(done_at__gt=F("due_at")).select_related("to_agency", "dossier")):
        _delay, created = _count_step_delay(step, now)
        counted += created
    # Open delays: their days grow while the step stays open.
    for delay in DossierDelay.objects.filter(ended_at__isnull=True, kind=DossierDelay.Kind.STEP).select_related("step"):
        if delay.step is not None:
            _count_step_delay(delay.step, now)
    # The appointment passed while the dossier is still open: one delay against the body holding it.
    today = clock.local(now).date()
    for dossier in (Dossier.objects.filter(status__in=RUNNING, appointment_date__lt=today)
                    .select_related("current_step", "resolving_agency")):
        body_id = dossier.current_step.to_agency_id if dossier.current_step else dossier.resolving_agency_id
        due = end_of_day(dossier.appointment_date)
        days = working_days_late(due, now)
        delay, created = DossierDelay.objects.get_or_create(
            dossier=dossier, agency_id=body_id, kind=DossierDelay.Kind.APPOINTMENT,
            defaults={"due_at": due, "days_late": days, "detected_at": now,
                      "unit_id": dossier.current_step.to_unit_id if dossier.current_step else None})
        if not created and delay.ended_at is None and delay.days_late != days:
            delay.days_late = days
            delay.save(update_fields=["days_late"])
        counted += created
    return {"warned": warned, "late": late, "counted": counted}


def late_body(dossier: Dossier) -> Agency | None:
    """The body that is late on `dossier`: the one holding an overdue step now, else the one
    holding the dossier past its appointment; None when nobody is late."""
    now = timezone.now()
    step = dossier.current_step
    if step is not None and step.done_at is None and step.due_at is not None and step.due_at < now:
        return step.to_agency
    if dossier.appointment_date and dossier.status in RUNNING and dossier.appointment_date <= clock.local(now).date():
        return step.to_agency if step is not None else dossier.resolving_agency
    delay = dossier.delays.order_by("-detected_at").select_related("agency").first()
    return delay.agency if delay else None


def may_apologise(user, dossier: Dossier, agency: Agency) -> bool:
    if user is None or getattr(user, "is_system_actor", False) or not user.is_authenticated:
        return False
    if user.has_role(Role.LEADER, agency) or user.has_role(Role.COUNTER, agency):
        return True
    step = dossier.current_step
    return bool(step and step.to_agency_id == agency.pk and (
        step.to_user_id == user.pk or (step.to_unit_id and step.to_unit_id == user.unit_id)))


def issue_apology(user, dossier: Dossier, new_date: dt.date, reason: str, *,
                  agency: Agency | None = None) -> ApologySlip:
    """The late body apologises and gives ONE new date (Mẫu 04); the appointment moves to it."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Hãy ghi lý do chậm trả kết quả.", code="MOTCUA_REASON_REQUIRED")
    body = agency or late_body(dossier)
    if body is None:
        raise InvalidState("Hồ sơ chưa quá hạn: chưa cần phiếu xin lỗi.", code="MOTCUA_NOT_LATE",
                           detail=dossier.code)
    if not may_apologise(user, dossier, body):
        raise PermissionDenied("Chỉ cơ quan chậm giải quyết hồ sơ được ký phiếu xin lỗi.",
                               code="MOTCUA_NOT_LATE_BODY", detail=body.code)
    if dossier.is_final or dossier.status == DossierStatus.DONE:
        raise InvalidState("Hồ sơ đã giải quyết xong.", code="MOTCUA_BAD_STATUS", detail=f"status={dossier.status}")
    today = clock.local(timezone.now()).date()
    floor = max(filter(None, [dossier.appointment_date, today]))
    if not isinstance(new_date, dt.date) or new_date <= floor or not is_working_day(new_date):
        raise InvalidInput(f"Ngày hẹn mới phải là một ngày làm việc sau {floor:%d/%m/%Y}.",
                           code="MOTCUA_BAD_NEW_DATE", detail=str(new_date))
    with transaction.atomic():
        d = Dossier.objects.select_for_update().select_related("procedure", "agency").get(pk=dossier.pk)
        if ApologySlip.objects.filter(dossier=d, agency=body).exists():
            raise InvalidState("Cơ quan đã có phiếu xin lỗi cho hồ sơ này (chỉ hẹn lại một lần).",
                               code="MOTCUA_APOLOGY_EXISTS", detail=body.code)
        now = timezone.now()
        old = d.appointment_date
        slip = ApologySlip.objects.create(dossier=d, agency=body, old_date=old, new_date=new_date, reason=reason[:4000],
                                          issued_by=_person(user), issued_at=now)
        pdf = apology_pdf(d, slip, signer=(user.get_full_name() if _person(user) else ""))
        blob = blobs.store_stream(io.BytesIO(pdf))
        slip.file = DossierFile.objects.create(dossier=d, kind=FileKind.SLIP, blob=blob,
                                               filename=f"mau-04-xin-loi-{d.code}.pdf",
                                               content_type="application/pdf", size=blob.size,
                                               uploaded_by=_person(user))
        slip.save(update_fields=["file"])
        if d.original_appointment_date is None:
            d.original_appointment_date = old
        d.appointment_date = new_date
        d.save(update_fields=["appointment_date", "original_appointment_date", "updated_at"])
        # The apology is itself the admission of a delay: counted against the body if the scan has not yet.
        if not d.delays.filter(agency=body).exists():
            step = d.current_step if d.current_step and d.current_step.to_agency_id == body.pk else None
            due = step.due_at if step and step.due_at else end_of_day(old or today)
            DossierDelay.objects.create(dossier=d, step=step, agency=body,
                                        kind=DossierDelay.Kind.STEP if step else DossierDelay.Kind.APPOINTMENT,
                                        unit_id=step.to_unit_id if step else None, due_at=due,
                                        days_late=working_days_late(due, now), detected_at=now)
        record_event(d, "apology", user, before=d.status, note=reason, agency=body, detail={
            "old_date": old.isoformat() if old else "", "new_date": new_date.isoformat(), "body": body.code})
        from vpdt.motcua.notify import notify_citizen

        notify_citizen(d, "apology")
    return slip


def apology_pdf(dossier: Dossier, slip: ApologySlip, *, signer: str = "") -> bytes:
    """Mẫu 04 (Thông tư 01/2018/TT-VPCP): Phiếu xin lỗi và hẹn lại ngày trả kết quả."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from vpdt.core.pdf_fonts import dejavu_sans

    sans, bold = dejavu_sans()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    page.setTitle(f"Mẫu 04 – {dossier.code}")
    width, height = A4
    y = height - 20 * mm

    def centred(text: str, font: str, size: float, *, x: float = width / 2) -> None:
        nonlocal y
        page.setFont(font, size)
        page.drawCentredString(x, y, text)
        y -= size * 1.6

    def line(text: str, *, font: str = sans, size: float = 11) -> None:
        nonlocal y
        page.setFont(font, size)
        words, current = text.split(), ""
        for word in words:
            trial = f"{current} {word}".strip()
            if page.stringWidth(trial, font, size) > width - 40 * mm:
                page.drawString(20 * mm, y, current)
                y -= size * 1.5
                current = word
            else:
                current = trial
        page.drawString(20 * mm, y, current)
        y -= size * 1.5

    top = y
    centred(slip.agency.name.upper()[:60], bold, 10, x=55 * mm)
    y = top
    centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold, 10, x=140 * mm)
    centred("Độc lập - Tự do - Hạnh phúc", bold, 10, x=140 * mm)
    when = clock.local(slip.issued_at)
    centred(f"{dossier.agency.place or ''}, ngày {when:%d} tháng {when:%m} năm {when:%Y}".strip(", "), sans, 10,
            x=140 * mm)
    y -= 6 * mm
    centred("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", bold, 14)
    y -= 4 * mm
    line(f"Kính gửi: {dossier.applicant_name}" + (f" ({dossier.organisation})" if dossier.organisation else ""),
         font=bold)
    received = clock.local(dossier.received_at).strftime("%d/%m/%Y") if dossier.received_at else ""
    line(f"{dossier.agency.name} tiếp nhận hồ sơ của Ông/Bà ngày {received}, mã hồ sơ {dossier.code}, "
         f"thủ tục: {dossier.procedure.name}.")
    if slip.old_date:
        line(f"Ngày hẹn trả kết quả: {slip.old_date:%d/%m/%Y}.")
    line(f"Việc giải quyết hồ sơ của Ông/Bà đã quá thời hạn quy định. Lý do: {slip.reason}")
    line(f"{slip.agency.name} xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào ngày "
         f"{slip.new_date:%d/%m/%Y}.", font=bold)
    line("Mong Ông/Bà thông cảm. Xin trân trọng cảm ơn!")
    # The QR code of the core's slips (Mẫu 01, 02, 03, 05): it opens the public lookup of the code.
    from vpdt.motcua.slips import QRFlowable, qr_payload

    qr = QRFlowable(qr_payload(dossier), size=26 * mm)
    qr.wrapOn(page, 26 * mm, 26 * mm)
    qr.drawOn(page, 20 * mm, y - 26 * mm)
    page.setFont(sans, 9)
    page.drawString(50 * mm, y - 10 * mm, f"Quét mã QR hoặc tra cứu tại {qr_payload(dossier)}"[:110])
    y -= 30 * mm
    y -= 8 * mm
    centred(f"THỦ TRƯỞNG {slip.agency.name.upper()[:50]}", bold, 10, x=140 * mm)
    centred("(Ký, ghi rõ họ tên và đóng dấu)", sans, 9, x=140 * mm)
    if signer:
        y -= 14 * mm
        centred(signer, bold, 11, x=140 * mm)
    page.showPage()
    page.save()
    return out.getvalue()


def delays_by_body(**filters) -> list[dict]:
    """Delays counted per body: [{agency, name, delays, days_late}], most delays first."""
    from django.db.models import Count, Sum

    rows = (DossierDelay.objects.filter(**filters).values("agency_id", "agency__name")
            .annotate(delays=Count("id"), days=Sum("days_late")).order_by("-delays", "agency__name"))
    return [{"agency": r["agency_id"], "name": r["agency__name"], "delays": r["delays"], "days_late": r["days"] or 0}
            for r in rows]

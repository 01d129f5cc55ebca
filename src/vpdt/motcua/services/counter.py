"""The counter (Bộ phận Một cửa): a dossier comes in, is checked against the procedure's papers,
and is received (Mẫu 01), sent back with one request listing every gap (Mẫu 02) or refused with
reasons (Mẫu 03). Online submissions arrive as status 1 and are checked the same way.

- code `<receiving agency code>-<YYMMDD>-<NNNN>`: the number runs per agency per day, taken in
  the same transaction as the dossier from a locked counter row, so a rolled back receipt gives
  its number back and two receipts never share one (no gap, no duplicate);
- every gap at once: a supplement request lists every required paper not ticked plus what the
  officer adds; the counter asks once (a second request while one is open is refused);
- the lookup secret: random, shown once (on the receipt, or on the online confirmation); only
  its hash is kept. Printing the receipt again issues a new secret and the old one stops working.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState
from vpdt.directory.models import Agency
from vpdt.motcua import clock
from vpdt.motcua.models import (
    Channel,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierFile,
    DossierPaper,
    DossierStatus,
    DossierStep,
    FileKind,
    Procedure,
    ProcedureActivation,
    StepKind,
    SupplementRequest,
    SupplementStage,
    personal_id_validator,
)
from vpdt.motcua.notify import notify_citizen
from vpdt.motcua.services.access import person, require_counter

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: it is typed from paper
SECRET_LENGTH = 8


# --------------------------------------------------------------------------- input
@dataclass
class Applicant:
    """Who submits: the citizen's identity and contact."""

    name: str
    personal_id: str
    address: str = ""
    phone: str = ""
    email: str = ""
    organisation: str = ""

    def clean(self) -> Applicant:
        name = " ".join((self.name or "").split())
        pid = (self.personal_id or "").strip()
        if not name:
            raise InvalidInput("Hãy nhập họ và tên người nộp hồ sơ.", code="MOTCUA_NAME_REQUIRED")
        try:
            personal_id_validator(pid)
        except ValidationError as exc:
            raise InvalidInput("Số định danh cá nhân gồm đúng 12 chữ số.", code="MOTCUA_BAD_PERSONAL_ID",
                               detail=repr(pid)) from exc
        email = (self.email or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise InvalidInput("Địa chỉ thư điện tử không hợp lệ.", code="MOTCUA_BAD_EMAIL") from exc
        phone = "".join(ch for ch in (self.phone or "") if ch.isdigit() or ch == "+")
        if phone and not (8 <= len(phone.lstrip("+")) <= 15):
            raise InvalidInput("Số điện thoại không hợp lệ.", code="MOTCUA_BAD_PHONE")
        return Applicant(name=name[:200], personal_id=pid, address=(self.address or "").strip()[:500],
                         phone=phone[:20], email=email[:254], organisation=(self.organisation or "").strip()[:300])


@dataclass
class Upload:
    """A scanned paper: the stream, its name, and the procedure paper it belongs to (or None)."""

    stream: BinaryIO
    name: str
    paper_id: int | None = None


@dataclass
class Intake:
    """What the counter (or the online form) collected."""

    applicant: Applicant
    ticked: set[int] = field(default_factory=set)  # ProcedurePaper ids provided
    uploads: list[Upload] = field(default_factory=list)
    subject: str = ""
    channel: str = Channel.COUNTER


# --------------------------------------------------------------------------- numbering
def _counter_row(agency: Agency, day: dt.date) -> DossierCounter:
    # Insert the day's row if missing without failing when a concurrent transaction did the same,
    # then lock it: the number is taken under the lock, inside the caller's transaction.
    DossierCounter.objects.bulk_create([DossierCounter(agency=agency, day=day, last_number=0)],
                                       ignore_conflicts=True)
    return DossierCounter.objects.select_for_update().get(agency=agency, day=day)


def next_code(agency: Agency, when: dt.datetime | None = None) -> str:
    """The next dossier code of `agency` for the day of `when`. Call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_code must run inside the transaction that creates the dossier")
    day = clock.local(when or timezone.now()).date()
    row = _counter_row(agency, day)
    row.last_number += 1
    row.save(update_fields=["last_number"])
    return f"{agency.code}-{day:%y%m%d}-{row.last_number:04d}"


# --------------------------------------------------------------------------- helpers
def activation_for(procedure: Procedure, agency: Agency) -> ProcedureActivation:
    found = ProcedureActivation.objects.filter(procedure=procedure, agency=agency, active=True).select_related(
        "resolving_agency").first()
    if found is None or not procedure.active:
        raise InvalidInput(f"Thủ tục “{procedure.name}” không áp dụng tại {agency.name}.",
                           code="MOTCUA_PROCEDURE_NOT_ACTIVE", detail=f"{procedure.code} @ {agency.code}")
    return found


def event(dossier: Dossier, action: str, user, *, before: int | None, note: str = "", detail: dict | None = None,
          agency: Agency | None = None, at: dt.datetime | None = None) -> DossierEvent:
    """A line of the dossier's history and the audit entry that goes with it (action `motcua.<action>`)."""
    row = DossierEvent.objects.create(dossier=dossier, at=at or timezone.now(), action=action, status_from=before,
                                      status_to=dossier.status, by=person(user), note=note[:4000],
                                      agency=agency or dossier.agency, detail=detail or {})
    audit.record(f"motcua.{action}", dossier, user=user, agency_code=(agency or dossier.agency).code, detail={
        "code": dossier.code, "status": [before, dossier.status], **({"note": note[:500]} if note else {}),
        **(detail or {})})
    return row


def new_secret() -> tuple[str, str]:
    """(the secret to print, its hash to keep)."""
    plain = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return plain, make_password(plain)


def secret_matches(dossier: Dossier, plain: str) -> bool:
    typed = "".join((plain or "").upper().split())
    return bool(dossier.lookup_secret_hash) and bool(typed) and check_password(typed, dossier.lookup_secret_hash)


def store_upload(dossier: Dossier, upload: Upload, user, *, kind: str = FileKind.SCAN,
                 paper: DossierPaper | None = None, step: DossierStep | None = None) -> DossierFile:
    """A file for the dossier, streamed and judged by its bytes as the e-office's attachments are
    (records.services.decide_type: accepted types only, no active PDF content, the agency's size limit)."""
    from vpdt.records.services import decide_type

    name = (upload.name or "").strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not name or name.startswith("."):
        raise InvalidInput("Tên tệp không hợp lệ.", code="BAD_FILE_NAME", detail=repr(upload.name))
    refusal = getattr(upload.stream, "refusal", None)  # the streaming upload handler already refused it
    if refusal is not None:
        raise refusal
    blob, (decided, _flag) = blobs.store_checked(upload.stream, max_bytes=dossier.agency.upload_limit_bytes(),
                                                 check=lambda path: decide_type(path, dossier.agency))
    return DossierFile.objects.create(dossier=dossier, paper=paper, step=step, kind=kind, blob=blob,
                                      filename=name[:255], content_type=decided.content_type, size=blob.size,
                                      uploaded_by=person(user))


def missing_papers(dossier: Dossier) -> list[DossierPaper]:
    """The required papers of the procedure not provided."""
    required = {p.pk for p in dossier.procedure.papers.all() if p.required}
    return [p for p in dossier.papers.all() if p.paper_id in required and not p.provided]


# --------------------------------------------------------------------------- intake
def _create(agency: Agency, procedure: Procedure, intake: Intake, user, *, status: int) -> Dossier:
    activation = activation_for(procedure, agency)
    applicant = intake.applicant.clean()
    if intake.channel not in Channel.values:
        raise InvalidInput("Hình thức nộp không hợp lệ.", code="MOTCUA_BAD_CHANNEL", detail=intake.channel)
    known = {p.pk: p for p in procedure.papers.all()}
    unknown = (set(intake.ticked) | {u.paper_id for u in intake.uploads if u.paper_id}) - set(known)
    if unknown:
        raise InvalidInput("Giấy tờ không thuộc thủ tục này.", code="MOTCUA_UNKNOWN_PAPER", detail=str(sorted(unknown)))
    now = timezone.now()
    dossier = Dossier.objects.create(
        code=next_code(agency, now), procedure=procedure, agency=agency,
        resolving_agency=activation.resolving_agency or agency, channel=intake.channel,
        applicant_name=applicant.name, organisation=applicant.organisation, personal_id=applicant.personal_id,
        address=applicant.address, phone=applicant.phone, email=applicant.email,
        subject=(intake.subject or procedure.name)[:500], status=status, fee_amount=procedure.fee_amount)
    papers = {}
    uploaded = {u.paper_id for u in intake.uploads if u.paper_id}
    for paper in known.values():
        papers[paper.pk] = DossierPaper.objects.create(
            dossier=dossier, paper=paper, name=paper.name, form=paper.form, count=paper.count,
            provided=paper.pk in intake.ticked or (intake.channel == Channel.ONLINE and paper.pk in uploaded))
    for upload in intake.uploads:
        store_upload(dossier, upload, user, paper=papers.get(upload.paper_id))
    return dossier


def submit_online(agency: Agency, procedure: Procedure, intake: Intake, *, source: str = "",
                  external_id: str = "", user=None) -> tuple[Dossier, str]:
    """A citizen's (or a portal's) online submission: status 1 (mới đăng ký), a code and the
    lookup secret, to be checked at the counter like a paper dossier."""
    if not procedure.online:
        raise InvalidInput("Thủ tục này chưa cho phép nộp trực tuyến.", code="MOTCUA_NOT_ONLINE")
    intake.channel = Channel.ONLINE
    plain, hashed = new_secret()
    with transaction.atomic():
        dossier = _create(agency, procedure, intake, user, status=DossierStatus.NEW)
        dossier.source, dossier.external_id, dossier.lookup_secret_hash = source[:60], external_id[:80], hashed
        dossier.save(update_fields=["source", "external_id", "lookup_secret_hash"])
        event(dossier, "submit", user, before=None, detail={"channel": dossier.channel, "source": source})
    return dossier, plain


def receive(user, agency: Agency, procedure: Procedure, intake: Intake, *, decision: str,
            gaps: Iterable[dict] = (), note: str = "", reasons: str = "") -> Dossier:
    """The counter takes a dossier in: `decision` is "accept" (complete: status 2 and the clock
    starts), "supplement" (one request listing every gap: status 5) or "refuse" (status 3)."""
    require_counter(user, agency)
    if decision not in ("accept", "supplement", "refuse"):
        raise InvalidInput("Quyết định không hợp lệ.", code="MOTCUA_BAD_DECISION", detail=decision)
    with transaction.atomic():
        dossier = _create(agency, procedure, intake, user, status=DossierStatus.NEW)
        event(dossier, "register", user, before=None, detail={"channel": dossier.channel})
        if decision == "accept":
            accept(user, dossier)
        elif decision == "supplement":
            ask_supplement_at_counter(user, dossier, gaps, note=note)
        else:
            refuse(user, dossier, reasons)
    dossier.refresh_from_db()
    return dossier


def _locked(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update(of=("self",)).select_related("procedure", "agency").get(pk=dossier.pk)


def accept(user, dossier: Dossier, *, ticked: Iterable[int] | None = None, note: str = "") -> Dossier:
    """The dossier is complete: received (status 2), appointment and transfer deadline set, the
    counter's own step opened on the control slip. From status 1 (an online dossier) or 5 (the
    papers asked at the counter came back)."""
    require_counter(user, dossier.agency)
    with transaction.atomic():
        d = _locked(dossier)
        if d.status not in (DossierStatus.NEW, DossierStatus.SUPPLEMENT) or d.received_at is not None:
            raise InvalidState("Hồ sơ này không ở trạng thái chờ tiếp nhận.", code="MOTCUA_NOT_RECEIVABLE",
                               detail=f"status={d.status}")
        if ticked is not None:
            ticked = set(ticked)
            for paper in d.papers.all():
                if paper.paper_id in ticked and not paper.provided:
                    paper.provided = True
                    paper.save(update_fields=["provided"])
        missing = missing_papers(d)
        if missing:
            raise InvalidState("Hồ sơ còn thiếu: " + "; ".join(p.name for p in missing) + ".",
                               code="MOTCUA_INCOMPLETE", detail=str([p.paper_id for p in missing]))
        before, now = d.status, timezone.now()
        open_request = d.supplements.filter(answered_at__isnull=True).first()
        if open_request is not None:
            open_request.answered_at, open_request.answered_by = now, person(user)
            open_request.answer_note = note[:4000]
            open_request.save(update_fields=["answered_at", "answered_by", "answer_note"])
        told = clock.on_receipt(now, d.procedure.legal_days)
        d.status, d.received_at, d.received_by = DossierStatus.RECEIVED, now, person(user)
        d.appointment_date = d.original_appointment_date = told.appointment
        d.transfer_due = told.transfer_due
        step = DossierStep.objects.create(
            dossier=d, order=1, kind=StepKind.COUNTER, name="Tiếp nhận hồ sơ", to_agency=d.agency,
            to_user=person(user), sent_at=now, received_at=now, due_at=told.transfer_due)
        d.current_step = step
        d.save(update_fields=["status", "received_at", "received_by", "appointment_date",
                              "original_appointment_date", "transfer_due", "current_step", "updated_at"])
        event(d, "accept", user, before=before, note=note, detail={
            "appointment": told.appointment.isoformat(), "transfer_due": told.transfer_due.isoformat()})
        notify_citizen(d, "received")
    dossier.refresh_from_db()
    return dossier


def _gap_items(dossier: Dossier, gaps: Iterable[dict]) -> list[dict]:
    items = [{"paper": p.paper_id, "name": p.name, "reason": "Chưa có trong hồ sơ"} for p in missing_papers(dossier)]
    listed = {i["paper"] for i in items}
    for gap in gaps:
        name = " ".join(str(gap.get("name") or "").split())[:500]
        reason = " ".join(str(gap.get("reason") or "").split())[:500]
        paper = gap.get("paper")
        if paper and paper in listed:
            for item in items:
                if item["paper"] == paper and reason:
                    item["reason"] = reason
            continue
        if name or reason:
            items.append({"paper": paper, "name": name or reason, "reason": reason})
    return items


def ask_supplement_at_counter(user, dossier: Dossier, gaps: Iterable[dict] = (), *, note: str = "") -> SupplementRequest:
    """One request listing every gap (Mẫu 02): the required papers missing plus what the officer
    adds (a paper present but wrong). The dossier waits in status 5; the clock has not started."""
    require_counter(user, dossier.agency)
    with transaction.atomic():
        d = _locked(dossier)
        if d.status != DossierStatus.NEW:
            raise InvalidState("Chỉ yêu cầu bổ sung khi đang kiểm tra hồ sơ mới.", code="MOTCUA_NOT_NEW",
                               detail=f"status={d.status}")
        items = _gap_items(d, gaps)
        if not items:
            raise InvalidInput("Hồ sơ đủ thành phần: hãy ghi rõ giấy tờ cần bổ sung, hoàn thiện.",
                               code="MOTCUA_NO_GAP")
        request = SupplementRequest.objects.create(dossier=d, stage=SupplementStage.COUNTER, items=items,
                                                   note=note[:4000], asked_by=person(user),
                                                   asked_at=timezone.now())
        before = d.status
        d.status = DossierStatus.SUPPLEMENT
        d.save(update_fields=["status", "updated_at"])
        event(d, "supplement_counter", user, before=before, note=note, detail={"items": len(items)})
        notify_citizen(d, "supplement")
    return request


def refuse(user, dossier: Dossier, reasons: str) -> Dossier:
    """Not received (Mẫu 03): not in this body's competence, or refused, with the reasons."""
    require_counter(user, dossier.agency)
    reasons = (reasons or "").strip()
    if not reasons:
        raise InvalidInput("Hãy ghi rõ lý do từ chối tiếp nhận.", code="MOTCUA_REASON_REQUIRED")
    with transaction.atomic():
        d = _locked(dossier)
        if d.status not in (DossierStatus.NEW, DossierStatus.SUPPLEMENT) or d.received_at is not None:
            raise InvalidState("Hồ sơ đã được tiếp nhận, không thể từ chối.", code="MOTCUA_NOT_REFUSABLE",
                               detail=f"status={d.status}")
        before = d.status
        d.status, d.closing_reason = DossierStatus.REFUSED, reasons[:4000]
        d.save(update_fields=["status", "closing_reason", "updated_at"])
        d.supplements.filter(answered_at__isnull=True).update(answered_at=timezone.now(),
                                                               answer_note="Từ chối tiếp nhận")
        event(d, "refuse", user, before=before, note=reasons)
    dossier.refresh_from_db()
    return dossier


def issue_secret(user, dossier: Dossier) -> str:
    """A new lookup secret for the receipt being printed (the previous one stops working)."""
    require_counter(user, dossier.agency)
    plain, hashed = new_secret()
    with transaction.atomic():
        d = _locked(dossier)
        d.lookup_secret_hash = hashed
        d.save(update_fields=["lookup_secret_hash", "updated_at"])
        audit.record("motcua.secret_issued", d, user=user, detail={"code": d.code})
    dossier.lookup_secret_hash = hashed
    return plain

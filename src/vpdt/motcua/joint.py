"""Joint processing across agencies and levels (liên thông), carried over the interconnection.

A dossier received at one agency (a commune) and resolved by another (a department) travels as
official documents through the e-office's exchange (records → exchange → hub), never by a side
channel (docs/motcua-lienthong.md):

1. transfer (`send_to_resolver`): the receiving agency releases a numbered official document to
   the resolving agency, its main file a cover letter (PDF), its appendices the structured data
   `hoso-lienthong.zip` (one entry `hoso-lienthong.json`, schema `vpdt.motcua.lienthong/1`: the
   dossier code, procedure code, citizen and contact, papers, dates) and the scans of the papers;
   the dossier's control slip gets a step held by the resolving body;
2. arrival (`on_package`, on exchange.signals.package_handled): the resolving agency's side
   finds the data, creates its linked dossier (its own code, status 2, the papers and the scans)
   and a JointLink to the sender's code, in the inbox's transaction;
3. statuses back (`sync`, the job `motcua.joint`): each change of the linked dossier's status is
   reported as an edXML status package on the transfer document (05 "đang xử lý", with the
   national status in its description as `[motcua:N]`); the sender's dossier records it
   (`on_status`, on StatusEvent's post_save);
4. result (`sync` when the linked dossier is done): an official document answering the transfer
   (ResponseFor), the result signed by the resolving agency (PAdES, its agency key) and the data
   of kind `result`; the sender's dossier becomes "đã xử lý xong" with the result attached, and
   its counter returns it to the citizen.

Nothing here writes the e-office's tables but through records' and exchange's services.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import zipfile

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.core.prepared import Read, known_rows
from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.exchange import signals as exchange_signals
from vpdt.exchange.models import StatusEvent
from vpdt.motcua import clock
from vpdt.motcua.clock import end_of_day
from vpdt.motcua.models import (
    Channel,
    Dossier,
    DossierFile,
    DossierPaper,
    DossierStatus,
    DossierStep,
    FileKind,
    JointLink,
    JointRole,
    Procedure,
    StepKind,
)
from vpdt.motcua.services import processing
from vpdt.motcua.services.counter import event as record_event
from vpdt.motcua.services.counter import next_code as _next_code

log = logging.getLogger("vpdt.motcua")

SCHEMA = "vpdt.motcua.lienthong/1"
DATA_NAME = "hoso-lienthong.zip"
DATA_ENTRY = "hoso-lienthong.json"
MAX_DATA_BYTES = 1 << 20  # the JSON of one dossier: far below a megabyte
KIND_DOSSIER, KIND_RESULT = "dossier", "result"
STATUS_TAG = re.compile(r"\[motcua:(\d{1,2})\]")
# Statuses of the resolver's dossier the sender mirrors (9 comes with the result document).
MIRRORED = {DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT, DossierStatus.FINANCIAL, DossierStatus.STOPPED}


# --------------------------------------------------------------------------- the data
def dossier_data(d: Dossier, kind: str = KIND_DOSSIER) -> dict:
    """The structured data a package carries (schema in docs/motcua-lienthong.md)."""
    return {
        "schema": SCHEMA, "kind": kind, "dossier_code": d.code, "procedure_code": d.procedure.code,
        "procedure_name": d.procedure.name, "receiving_agency": d.agency.code,
        "resolving_agency": d.resolving_agency.code, "channel": d.channel, "subject": d.subject,
        "applicant": {"name": d.applicant_name, "personal_id": d.personal_id, "organisation": d.organisation,
                      "address": d.address, "phone": d.phone, "email": d.email},
        "received_at": d.received_at.isoformat() if d.received_at else None,
        "appointment_date": d.appointment_date.isoformat() if d.appointment_date else None,
        "papers": [{"name": p.name, "form": p.form, "count": p.count, "provided": p.provided}
                   for p in d.papers.all()],
        "files": [{"name": f.filename, "kind": f.kind, "sha256": f.blob.sha256 if hasattr(f.blob, "sha256") else ""}
                  for f in d.files.filter(kind__in=[FileKind.SCAN, FileKind.SUPPLEMENT]).select_related("blob")],
        "result_note": d.result_note if kind == KIND_RESULT else "",
    }


def pack(data: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DATA_ENTRY, json.dumps(data, ensure_ascii=False, indent=1))
    return out.getvalue()


def unpack(stream) -> dict:
    """The data of a received `hoso-lienthong.zip`; InvalidInput when it is not ours or too big."""
    try:
        with zipfile.ZipFile(stream) as archive:
            info = archive.getinfo(DATA_ENTRY)
            if info.file_size > MAX_DATA_BYTES:
                raise InvalidInput("Dữ liệu hồ sơ liên thông quá lớn.", code="MOTCUA_JOINT_TOO_BIG")
            with archive.open(info) as fh:
                raw = fh.read(MAX_DATA_BYTES + 1)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise InvalidInput("Tệp không phải dữ liệu hồ sơ liên thông.", code="MOTCUA_JOINT_BAD_DATA") from exc
    if len(raw) > MAX_DATA_BYTES:
        raise InvalidInput("Dữ liệu hồ sơ liên thông quá lớn.", code="MOTCUA_JOINT_TOO_BIG")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("Dữ liệu hồ sơ liên thông không đọc được.", code="MOTCUA_JOINT_BAD_DATA") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("kind") not in (KIND_DOSSIER,
                                                                                               KIND_RESULT):
        raise InvalidInput("Dữ liệu hồ sơ liên thông không đúng lược đồ.", code="MOTCUA_JOINT_BAD_SCHEMA",
                           detail=str(data.get("schema") if isinstance(data, dict) else type(data)))
    if not isinstance(data.get("dossier_code"), str) or not isinstance(data.get("applicant"), dict):
        raise InvalidInput("Dữ liệu hồ sơ liên thông thiếu mã hồ sơ hoặc người nộp.", code="MOTCUA_JOINT_BAD_SCHEMA")
    return data


# --------------------------------------------------------------------------- official documents
def _release(user, actor, *, subject: str, cover: bytes, data: dict | None, files: list[DossierFile], to: Agency,
             reply_to=None, about: str = ""):
    """An official document of `user`'s agency, released to `to` over the interconnection:
    cover letter as the main file, the data and `files` as appendices. Approved and numbered
    by the agency's system actor (the one-stop system's own letter), every step audited."""
    from vpdt.records import services as records
    from vpdt.records.choices import RecipientKind, State
    from vpdt.records.models import Attachment, Recipient

    document = records.create_outgoing(user, {"subject": subject[:500], "signer_name": user.get_full_name()[:200],
                                              "document_type": _letter_type()})
    records.add_attachment(user, document, io.BytesIO(cover), "cong-van.pdf", content_type="application/pdf",
                           kind=Attachment.Kind.MAIN)
    if data is not None:
        records.add_attachment(user, document, io.BytesIO(pack(data)), DATA_NAME, content_type="application/zip",
                               kind=Attachment.Kind.APPENDIX, description=SCHEMA)
    for f in files:
        records.attach_stored(user, document, f.blob, f.filename, kind=Attachment.Kind.APPENDIX)
    if reply_to is not None:
        records.link_reply(user, document, reply_to)
    records.set_state(document, State.APPROVED, actor, "motcua.joint_letter", {"dossier": about})
    document = records.issue_number(actor, document)
    with transaction.atomic():
        rows = [Recipient(document=document, kind=RecipientKind.AGENCY, agency=to, organ_id=to.code, name=to.name)]
        recipients = records.replace_recipients(actor, document, rows, recipients_text=f"- {to.name};",
                                                detail={"recipients": [to.code]})
        records.release(actor, document, recipients, detail={"motcua": about})
    document.refresh_from_db()
    return document


def _letter_type():
    """Công văn: the type of the one-stop shop's letters."""
    from django.db.models import Q

    from vpdt.records.models import DocumentType

    found = (DocumentType.objects.filter(Q(code="CV") | Q(abbreviation="CV")).first()
             or DocumentType.objects.order_by("id").first())
    if found is None:
        raise InvalidState("Chưa có loại văn bản Công văn để gửi liên thông.", code="MOTCUA_NO_LETTER_TYPE")
    return found


def cover_letter(title: str, lines: list[str], agency: Agency) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from vpdt.core.pdf_fonts import dejavu_sans

    sans, bold = dejavu_sans()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    width, height = A4
    y = height - 25 * mm
    page.setFont(bold, 10)
    page.drawString(20 * mm, y, agency.name.upper()[:70])
    y -= 14 * mm
    page.setFont(bold, 13)
    page.drawCentredString(width / 2, y, title)
    y -= 10 * mm
    page.setFont(sans, 11)
    for text in lines:
        page.drawString(20 * mm, y, text[:110])
        y -= 6 * mm
    page.showPage()
    page.save()
    return out.getvalue()


def _actor(agency: Agency):
    from vpdt.records.actors import interconnection

    return interconnection(agency)


# --------------------------------------------------------------------------- sender side
def send_to_resolver(user, dossier: Dossier, *, note: str = "") -> JointLink:
    """The receiving agency's counter sends a received dossier to the body that resolves it."""
    if not (user and getattr(user, "is_authenticated", False) and user.has_role(Role.COUNTER, dossier.agency)):
        raise PermissionDenied("Chỉ công chức tiếp nhận một cửa của cơ quan được chuyển hồ sơ liên thông.",
                               code="MOTCUA_NOT_COUNTER")
    if user.agency_id != dossier.agency_id:
        raise PermissionDenied("Chuyển liên thông từ tài khoản thuộc cơ quan tiếp nhận.", code="MOTCUA_NOT_COUNTER")
    if not dossier.is_joint:
        raise InvalidState("Hồ sơ do chính cơ quan giải quyết, không chuyển liên thông.", code="MOTCUA_NOT_JOINT")
    if dossier.status != DossierStatus.RECEIVED:
        raise InvalidState("Chỉ chuyển liên thông hồ sơ đã tiếp nhận, chưa chuyển xử lý.",
                           code="MOTCUA_NOT_RECEIVED", detail=f"status={dossier.status}")
    if JointLink.objects.filter(dossier=dossier, role=JointRole.SENDER).exists():
        raise InvalidState("Hồ sơ đã được chuyển liên thông.", code="MOTCUA_JOINT_SENT")
    d = dossier
    data = dossier_data(d)
    cover = cover_letter("CHUYỂN HỒ SƠ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH LIÊN THÔNG", [
        f"Kính gửi: {d.resolving_agency.name}", f"Mã hồ sơ: {d.code}", f"Thủ tục: {d.procedure.name[:90]}",
        f"Người nộp: {d.applicant_name}",
        f"Ngày hẹn trả: {d.appointment_date:%d/%m/%Y}" if d.appointment_date else "", note[:100]], d.agency)
    scans = list(d.files.filter(kind__in=[FileKind.SCAN, FileKind.SUPPLEMENT]).select_related("blob"))
    document = _release(user, _actor(d.agency), subject=f"V/v chuyển hồ sơ liên thông {d.code} – {d.procedure.name}",
                        cover=cover, data=data, files=scans, to=d.resolving_agency, about=d.code)
    with transaction.atomic():
        d = Dossier.objects.select_for_update().get(pk=dossier.pk)
        now = timezone.now()
        link = JointLink.objects.create(dossier=d, role=JointRole.SENDER, partner_code=d.resolving_agency.code,
                                        transfer_document=document)
        _hand_over(d, user, kind=StepKind.OTHER_BODY, name=f"Giải quyết liên thông tại {d.resolving_agency.name}",
                   to_agency=d.resolving_agency, now=now,
                   due_at=end_of_day(d.appointment_date) if d.appointment_date else None)
        before, d.status = d.status, DossierStatus.PROCESSING
        d.save(update_fields=["status", "current_step", "updated_at"])
        record_event(d, "joint_send", user, before=before, note=note, detail={
            "to": d.resolving_agency.code, "document": document.code})
    return link


def _hand_over(d: Dossier, user, *, kind: str, name: str, to_agency: Agency, now: dt.datetime,
               due_at: dt.datetime | None = None, note: str = "") -> DossierStep:
    """A row of the control slip: the core's processing hand-over, with a deadline given as a moment."""
    return processing._hand_over(d, user, kind=kind, name=name[:300], to_agency=to_agency, hours=None, now=now,
                                 due_at=due_at, note=note)


# --------------------------------------------------------------------------- receiving side
def _data_file(doc_id):
    from vpdt.records.models import Attachment

    return (Attachment.objects.filter(document_id=doc_id, name=DATA_NAME).select_related("blob")
            .order_by("document_id", "id")[:1])


_DATA_FILE = Read(_data_file, doc_id=int)  # every arriving document asks it: written out once (vpdt.core.prepared)


def _data_of(document) -> dict | None:
    files = known_rows(document, "attachments")  # a new arrival's files are known: not read back
    if files is None:
        attachment = _DATA_FILE.instance(doc_id=document.pk)
    else:
        attachment = next((f for f in files if f.name == DATA_NAME), None)
    if attachment is None:
        return None
    with blobs.open_blob(attachment.blob) as fh:
        return unpack(fh)


@receiver(exchange_signals.package_handled, dispatch_uid="motcua.joint.on_package")
def on_package(sender, item, agency, event, documents, reason, **kwargs) -> None:
    """A package arrived for `agency`: a joint dossier (create the linked one) or its result."""
    if event != exchange_signals.ARRIVED:
        return
    # Inside the inbox's transaction, what is written here commits with the package, and an error
    # rolls the whole intake back: no savepoint of its own (two statements per package).
    with transaction.atomic(savepoint=False):
        _on_arrived(agency, documents)


def _on_arrived(agency: Agency, documents) -> None:
    for document in documents:
        try:
            data = _data_of(document)
        except InvalidInput as exc:
            audit.record("motcua.joint_unreadable", document, user=_actor(agency), detail={"error": exc.code})
            continue
        if data is None:
            _link_opinion_reply(document)
            continue
        if data["kind"] == KIND_DOSSIER:
            _receive_dossier(agency, document, data)
        else:
            _receive_result(agency, document, data)


def _link_opinion_reply(document) -> None:
    from vpdt.motcua.opinions import link_reply

    link_reply(document)


def _receive_dossier(agency: Agency, document, data: dict) -> Dossier | None:
    procedure = Procedure.objects.filter(code=str(data.get("procedure_code") or "")[:40]).first()
    if procedure is None:
        audit.record("motcua.joint_unmatched", document, user=_actor(agency),
                     detail={"procedure": str(data.get("procedure_code"))[:40], "dossier": data["dossier_code"][:40]})
        return None
    if JointLink.objects.filter(role=JointRole.RESOLVER, partner_dossier_code=data["dossier_code"][:40],
                                dossier__agency=agency).exists():
        return None  # the same dossier again (a duplicate the exchange did not catch): one linked dossier
    person = data["applicant"]
    now = timezone.now()
    sender = Agency.objects.filter(code=document.issuer_code).first()
    appointment = _date(data.get("appointment_date"))
    d = Dossier.objects.create(
        code=_next_code(agency, now), procedure=procedure, agency=agency, resolving_agency=agency,
        channel=Channel.ONLINE if data.get("channel") == Channel.ONLINE else Channel.COUNTER,
        source=f"lienthong:{document.issuer_code}"[:60], external_id=data["dossier_code"][:80],
        applicant_name=str(person.get("name") or "")[:200] or "?", organisation=str(person.get("organisation") or "")[:300],
        personal_id=re.sub(r"\D", "", str(person.get("personal_id") or ""))[:12],
        address=str(person.get("address") or "")[:500], phone=str(person.get("phone") or "")[:20],
        email=str(person.get("email") or "")[:254], subject=str(data.get("subject") or "")[:500],
        status=DossierStatus.RECEIVED, received_at=now, appointment_date=appointment,
        original_appointment_date=appointment, fee_amount=procedure.fee_amount)
    for paper in data.get("papers") or []:
        if isinstance(paper, dict):
            DossierPaper.objects.create(dossier=d, name=str(paper.get("name") or "")[:500] or "?",
                                        count=int(paper.get("count") or 1) if str(paper.get("count") or "1").isdigit() else 1,
                                        provided=bool(paper.get("provided")))
    for attachment in document.attachments.exclude(name=DATA_NAME).select_related("blob"):
        if attachment.kind == "appendix":
            DossierFile.objects.create(dossier=d, kind=FileKind.SCAN, blob=attachment.blob, filename=attachment.name,
                                       content_type=attachment.content_type or "", size=attachment.blob.size)
    JointLink.objects.create(dossier=d, role=JointRole.RESOLVER, partner_code=document.issuer_code,
                             partner_dossier_code=data["dossier_code"][:40], transfer_document=document,
                             reported_status=DossierStatus.RECEIVED)
    _hand_over(d, _actor(agency), kind=StepKind.COUNTER, name="Tiếp nhận hồ sơ liên thông", to_agency=agency,
               now=now, due_at=clock.transfer_due(now))
    d.save(update_fields=["current_step"])
    record_event(d, "joint_receive", _actor(agency), before=None, agency=agency, detail={
        "from": document.issuer_code, "partner": data["dossier_code"][:40],
        "sender": sender.name if sender else document.issuer_name})
    return d


def _date(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _receive_result(agency: Agency, document, data: dict) -> Dossier | None:
    link = (JointLink.objects.select_related("dossier").filter(
        role=JointRole.SENDER, dossier__code=data["dossier_code"][:40], dossier__agency=agency,
        partner_code__in=Agency.aliases(document.issuer_code)).first())
    if link is None:
        audit.record("motcua.joint_unmatched", document, user=_actor(agency), detail={"dossier": data["dossier_code"][:40]})
        return None
    d = Dossier.objects.select_for_update().get(pk=link.dossier_id)
    if d.status not in (DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT, DossierStatus.FINANCIAL):
        return None
    now = timezone.now()
    result = document.attachments.exclude(name=DATA_NAME).filter(kind="appendix").select_related("blob").first()
    if result is not None:
        stored = DossierFile.objects.create(dossier=d, kind=FileKind.RESULT, blob=result.blob, filename=result.name,
                                            content_type=result.content_type or "", size=result.blob.size,
                                            step=d.current_step)
        d.result, d.result_filename = stored.blob, stored.filename
    d.result_note = str(data.get("result_note") or "")[:4000]
    link.result_document = document
    link.save(update_fields=["result_document"])
    _hand_over(d, _actor(agency), kind=StepKind.RETURN, name="Trả kết quả", to_agency=agency, now=now)
    before = d.status
    d.status, d.finished_at = DossierStatus.DONE, now
    d.save(update_fields=["status", "finished_at", "result", "result_filename", "result_note", "current_step",
                          "updated_at"])
    record_event(d, "joint_result", _actor(agency), before=before, agency=agency, detail={
        "from": document.issuer_code, "document": document.pk, "result": d.result_filename,
        "outcome": clock.outcome(clock.local(now).date(), d.appointment_date) if d.appointment_date else ""})
    from vpdt.motcua.notify import notify_citizen

    notify_citizen(d, "done")
    return d


_SENDER_LINK = Read(lambda document_id: JointLink.objects.filter(
    role=JointRole.SENDER, transfer_document_id=document_id).order_by("pk")[:1], document_id=int)


@receiver(post_save, sender=StatusEvent, dispatch_uid="motcua.joint.on_status")
def on_status(sender, instance: StatusEvent, created: bool, **kwargs) -> None:
    """A status about a transfer document came back: the sender's dossier records the resolver's status."""
    if not created or instance.direction != StatusEvent.RECEIVED:
        return
    found = STATUS_TAG.search(instance.description or "")
    if found is None:  # not a resolver's status (the e-office's "đã đến" ...): nothing to look up
        return
    link = _SENDER_LINK.instance(document_id=instance.document_id)
    if link is None:
        return
    status = int(found.group(1))
    with transaction.atomic():  # the inbox's transaction when there is one
        d = Dossier.objects.select_for_update().get(pk=link.dossier_id)
        if d.is_final or d.status == DossierStatus.DONE or status not in MIRRORED:
            return
        before = d.status
        d.status = status
        d.save(update_fields=["status", "updated_at"])
        record_event(d, "joint_status", _actor(d.agency), before=before, agency=d.resolving_agency,
                     note=STATUS_TAG.sub("", instance.description or "").strip(), detail={"from": instance.organ_id})


# --------------------------------------------------------------------------- resolver → sender
def _reporter(d: Dossier):
    """Who releases the result letter: the person who approved the result, else a leader."""
    event = d.events.filter(status_to=DossierStatus.DONE, by__isnull=False).order_by("-at").first()
    if event is not None and event.by.agency_id == d.agency_id:
        return event.by
    return User.objects.filter(agency=d.agency, is_active=True, role_assignments__role=Role.LEADER,
                               role_assignments__agency=d.agency).first()


def sync(limit: int = 200) -> int:
    """Report the resolvers' new statuses and results to the senders. Returns how many were sent."""
    from vpdt.exchange import outbox, statuses

    sent = 0
    links = (JointLink.objects.filter(role=JointRole.RESOLVER).exclude(dossier__status=F("reported_status"))
             .select_related("dossier", "dossier__agency", "dossier__procedure", "transfer_document")[:limit])
    for link in links:
        d = link.dossier
        if link.transfer_document is None:
            continue
        try:
            if d.status == DossierStatus.DONE:
                send_result(d, link)
            else:
                label = DossierStatus(d.status).label
                code = statuses.PROCESSING if d.status != DossierStatus.STOPPED else statuses.COMPLETED
                with transaction.atomic():
                    outbox.queue_status(link.transfer_document, code, _actor(d.agency),
                                        description=f"[motcua:{d.status}] Hồ sơ {link.partner_dossier_code}: {label}")
                    JointLink.objects.filter(pk=link.pk).update(reported_status=d.status)
            sent += 1
        except Exception:  # one dossier's trouble (no leader to sign) must not stop the others
            log.exception("joint sync failed for %s", d.code)
    return sent


def sign_result(d: Dossier):
    """The result signed by the resolving agency (PAdES with its agency key), as a new blob; the
    blob unchanged when it is not a PDF or the agency has no key."""
    from vpdt.signing import services as signing
    from vpdt.signing.pdf import sign_attachment

    if d.result_id is None or not d.result_filename.lower().endswith(".pdf"):
        return d.result, False
    key = signing.key_of(agency=d.resolving_agency)
    if key is None:
        return d.result, False
    signer = signing.open_signer(key)
    out = io.BytesIO()
    with blobs.open_blob(d.result) as src:
        sign_attachment(src, out, signer, code=d.code)
    out.seek(0)
    return blobs.store_stream(out), True


def send_result(d: Dossier, link: JointLink):
    """The resolving agency answers the transfer with the signed result and the data of kind `result`."""
    user = _reporter(d)
    if user is None:
        raise InvalidState("Cơ quan giải quyết chưa có lãnh đạo để ký văn bản trả kết quả.", code="MOTCUA_NO_SIGNER")
    signed_blob, signed = sign_result(d)
    files = []
    if signed_blob is not None:
        files = [DossierFile(dossier=d, blob=signed_blob, filename=d.result_filename or "ket-qua.pdf")]
    data = dossier_data(d, KIND_RESULT)
    data["dossier_code"] = link.partner_dossier_code
    data["resolver_dossier_code"] = d.code
    data["signed"] = signed
    partner = Agency.objects.get(code=link.partner_code)
    cover = cover_letter("TRẢ KẾT QUẢ GIẢI QUYẾT HỒ SƠ LIÊN THÔNG", [
        f"Kính gửi: {partner.name}", f"Mã hồ sơ: {link.partner_dossier_code} (tại {d.agency.name}: {d.code})",
        f"Thủ tục: {d.procedure.name[:90]}", f"Kết quả: {d.result_note[:90]}"], d.agency)
    document = _release(user, _actor(d.agency), subject=f"V/v trả kết quả hồ sơ liên thông {link.partner_dossier_code}",
                        cover=cover, data=data, files=files, to=partner, reply_to=link.transfer_document,
                        about=d.code)
    JointLink.objects.filter(pk=link.pk).update(reported_status=d.status, result_document=document)
    record_event(d, "joint_report_result", user, before=d.status, agency=d.agency,
                 detail={"to": partner.code, "document": document.code, "signed": signed})
    return document


def return_at_counter(user, dossier: Dossier, method: str = "counter", note: str = "") -> Dossier:
    """The receiving counter returns the result (status 10): the core's `processing.return_result`."""
    return processing.return_result(user, dossier, method=method, note=note)

"""Operations on documents, registers and dossiers: each checks permission, keeps the
invariants and writes the audit log. Views, the API, the CLI and tasks call these.

records is the only writer of Document, Attachment, Recipient, DocumentLink and the
registers (tests/records/test_single_writer.py checks the rest of the tree). Other apps
write them through these functions; when no person acts (the exchange receiving a package,
an import, a scheduled job) they pass a system actor (records.actors) as `user`, and the
audit log names it. Recipients' delivery states move only through records.delivery.move.
The exchange and signing take part in `release`, `issue_number` and `register_incoming`
through the seams of records.seams (registered in their AppConfig.ready).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import BinaryIO

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from vpdt.core import audit, blobs, filetypes
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied, VpdtError
from vpdt.core.models import Blob
from vpdt.core.prepared import Insert, Read, SaveFields, known, known_rows
from vpdt.directory.models import Agency
from vpdt.directory.roles import Role
from vpdt.records import actors, delivery, numbering, registers, renditions, seams, signals
from vpdt.records.actors import is_system
from vpdt.records.choices import AccessReason, DeliveryState, Direction, RecipientKind, Source, State
from vpdt.records.models import (
    Attachment,
    Document,
    DocumentAccess,
    DocumentLink,
    DocumentType,
    DraftVersion,
    Recipient,
    Register,
)
from vpdt.records.permissions import can_view, require_role

# Fields a caller may set when creating or editing a document's metadata.
METADATA_FIELDS = {
    "document_type", "subject", "content", "number", "notation", "issued_date", "place",
    "signer_name", "signer_position", "signer_competence", "urgency", "secrecy", "page_count",
    "copies", "recipients_text", "due_date", "steering_type", "sphere", "typer_notation", "note",
    "issuer_code", "issuer_name", "drafting_unit", "edxml_document_id",
}


class DuplicateIncoming(VpdtError):
    """Same issuer, number, notation and date as a document already received (a warning to confirm)."""

    code = "DUPLICATE_INCOMING"
    http_status = 409

    def __init__(self, matches: list[Document]):
        codes = ", ".join(f"số đến {d.incoming_number_text or '—'} ({d.code})" for d in matches)
        super().__init__(
            f"Văn bản này có thể đã được tiếp nhận: {codes}. Kiểm tra lại hoặc xác nhận vào sổ.",
            detail=f"matching documents: {[d.pk for d in matches]}",
        )
        self.matches = matches


# A file stored (drafted, received, signed): its INSERT written once (vpdt.core.prepared.Insert).
_NEW_ATTACHMENT = Insert(Attachment)


# Every workflow action changes a document's state, every release and intake gives it its exchange
# identity: saved as save(update_fields=...) saves them, the UPDATE written once (vpdt.core.prepared).
_SAVE_STATE = SaveFields(Document, "state", "updated_at")
_SAVE_STATE_COMPLETED = SaveFields(Document, "state", "updated_at", "completed_at")
_SAVE_IDENTITY = SaveFields(Document, "edxml_document_id", "updated_at")
_SAVE_IDENTITY_ISSUER = SaveFields(Document, "edxml_document_id", "updated_at", "issuer_code")
_NEW_DOCUMENT = Insert(Document)


def set_state(document: Document, state: str, user, action: str, detail: dict | None = None) -> None:
    """Change a document's state: audited, and announced to other apps (records.signals).

    Callers check permission and the allowed transition first, inside their transaction.
    """
    previous = document.state
    document.state = state
    saving = _SAVE_STATE
    if state == State.COMPLETED and document.completed_at is None:
        document.completed_at = timezone.now()
        saving = _SAVE_STATE_COMPLETED
    saving.save(document)
    audit.record(action, document, user=user, detail={"from": previous, "to": state, **(detail or {})})
    signals.document_state_changed.send(
        sender=Document, document=document, old_state=previous, new_state=state, user=user, action=action,
        detail=detail or {},
    )


def _check_fields(data: dict) -> dict:
    unknown = set(data) - METADATA_FIELDS
    if unknown:
        raise InvalidInput(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.", detail=f"unknown fields {unknown}")
    if "subject" in data and not (data["subject"] or "").strip():
        raise InvalidInput("Trích yếu không được để trống.", code="SUBJECT_REQUIRED")
    if isinstance(data.get("document_type"), str):
        found = DocumentType.objects.filter(Q(code=data["document_type"]) | Q(abbreviation=data["document_type"])).first()
        if not found:
            raise InvalidInput(f"Không có loại văn bản “{data['document_type']}”.", code="UNKNOWN_DOCUMENT_TYPE")
        data["document_type"] = found
    return data


# --- creation -------------------------------------------------------------------------


def receive_incoming(user, agency: Agency, data: dict, *, source: str = Source.PAPER, links: Iterable[dict] = (),
                     detail: dict | None = None, origin: Document | None = None) -> Document:
    """A document arrives: state "đã đến". The clerk receives a paper one, scanned, or an e-mail;
    the agency's interconnection (a system actor) an electronic one, with its ResponseFor
    `links` (DocumentLink fields) and what the audit log should keep in `detail`."""
    require_role(user, agency.pk, Role.CLERK)
    data = _check_fields(dict(data))
    if not data.get("subject"):
        raise InvalidInput("Trích yếu không được để trống.", code="SUBJECT_REQUIRED")
    # Checked before it: inside the caller's transaction (the inbox's intake, the clerk's receipt)
    # the writes take no savepoint of their own (two statements), and a refusal leaves that
    # transaction usable.
    with transaction.atomic(savepoint=False):
        return _received(user, agency, data, source=source, links=links, detail=detail, origin=origin)


def _received(user, agency: Agency, data: dict, *, source: str, links: Iterable[dict], detail: dict | None,
              origin: Document | None) -> Document:
    document = _NEW_DOCUMENT.create(
        agency=agency, direction=Direction.INCOMING, state=State.RECEIVED, source=source,
        created_by=None if is_system(user) else user, received_at=timezone.now(), origin=origin, **data,
    )
    made = [DocumentLink.objects.create(document=document, **link) for link in links]
    # A new document: its links are these and it has no file yet. Those who look at it in the same
    # work (the one-stop shop at an arrival, the inbox recording its files' verdicts) need not read
    # them back; `attach_stored` adds each file it attaches.
    known(document, response_for=made, attachments=[])
    if document.is_secret and not is_system(user):
        grant_access(user, document, user, reason=AccessReason.GRANT, secret=True, _audit=False)
    audit.record("document.receive", document, user=user, detail={"source": source, **(detail or {})})
    return document


@transaction.atomic
def create_outgoing(user, data: dict, *, direction: str = Direction.OUTGOING) -> Document:
    """A drafter opens an outgoing (or internal) document: state "dự thảo"."""
    agency = user.agency
    if agency is None:
        raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.")
    data = _check_fields(dict(data))
    if not data.get("subject"):
        raise InvalidInput("Trích yếu không được để trống.", code="SUBJECT_REQUIRED")
    data.setdefault("drafting_unit", user.unit)
    data.setdefault("place", agency.place)
    document = Document.objects.create(
        agency=agency, direction=direction, state=State.DRAFT, source=Source.INTERNAL, created_by=user, **data
    )
    grant_access(user, document, user, reason=AccessReason.DRAFTER, secret=document.is_secret, _audit=False)
    audit.record("document.create", document, user=user)
    return document


def update_metadata(user, document: Document, data: dict, *, action: str = "document.update",
                    detail: dict | None = None) -> Document:
    """Change a document's metadata; the audit entry (`action`) lists what changed, with `detail`."""
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền sửa văn bản này.")
    if document.number is not None and ({"number", "notation", "issued_date"} & set(data)):
        raise InvalidState("Văn bản đã cấp số: không sửa số, ký hiệu, ngày ban hành.", code="ALREADY_NUMBERED")
    data = _check_fields(dict(data))
    with transaction.atomic():
        registers.refuse_if_closed(document)  # a closed register's documents no longer change
        changed = {}
        for field, value in data.items():
            old = getattr(document, field)
            if old != value:
                changed[field] = [str(old), str(value)]
                setattr(document, field, value)
        document.save()
        audit.record(action, document, user=user, detail={**(detail or {}), "changed": changed})
    return document


# Fields other apps' services set as part of their own operation (they check permission).
_SETTABLE = METADATA_FIELDS | {"recipients_text"}


def set_fields(user, document: Document, values: dict, *, action: str, detail: dict | None = None) -> Document:
    """Set a few fields as part of another service's operation (workflow's deadline on
    assignment, the signer's name on approval, the exchange's DocumentId): the caller has
    checked permission; the change is audited as `action`."""
    unknown = set(values) - _SETTABLE
    if unknown:
        raise InvalidInput(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.", detail=f"unknown fields {unknown}")
    changed = {field: [str(getattr(document, field)), str(value)] for field, value in values.items()
               if getattr(document, field) != value}
    if not changed:
        return document
    with transaction.atomic():
        registers.refuse_if_closed(document, changed)
        for field in changed:
            setattr(document, field, values[field])
        document.save(update_fields=[*changed, "updated_at"])
        audit.record(action, document, user=user, detail={**(detail or {}), "changed": changed})
    return document


def set_exchange_identity(user, document: Document, *, edxml_document_id: str, issuer_code: str = "",
                          action: str | None = None, detail: dict | None = None) -> Document:
    """Give a document its interconnection identity (the edXML DocumentId, the issuer's code when
    missing). Without `action` it is not audited on its own: the caller's entry carries it
    (exchange.queue names the DocumentId it sent)."""
    document.edxml_document_id = edxml_document_id
    saving = _SAVE_IDENTITY
    if issuer_code and not document.issuer_code:
        document.issuer_code = issuer_code
        saving = _SAVE_IDENTITY_ISSUER
    # No savepoint of its own inside the caller's transaction (the release's): a failure here
    # fails the caller's whole change, as it should.
    with transaction.atomic(savepoint=False):
        saving.save(document)
        if action:
            audit.record(action, document, user=user, detail=detail or {})
    return document


def link_reply(user, reply: Document, target: Document) -> DocumentLink:
    """`reply` answers `target` (ResponseFor): one link, kept if it exists."""
    link, created = DocumentLink.objects.get_or_create(document=reply, target=target, defaults={
        "organ_id": target.issuer_code, "code": target.code, "edxml_document_id": target.edxml_document_id,
        "promulgation_date": target.issued_date})
    if created:
        audit.record("document.link_reply", reply, user=user, detail={"target": target.pk, "code": target.code})
    return link


# --- files ----------------------------------------------------------------------------
# Every file a document keeps is judged by its bytes (core.filetypes) before it is stored:
# the type decided then (content_type, file_kind) is the only one used afterwards, never
# what the uploader or the sending system declared. A refused file leaves nothing stored.


ACTIVE_CONTENT = "active_content"
REFUSED_TYPE = "refused_type"


def _active_allowed(agency: Agency) -> bool:
    from django.conf import settings

    return agency.code in settings.VPDT_PDF_ACTIVE_CONTENT_AGENCIES


def decide_type(path: str, agency: Agency, *, untrusted: bool = False) -> tuple[filetypes.FileType, str]:
    """(type, flag) of the file at `path` for `agency`.

    A person's upload (`untrusted=False`) that is not an accepted type raises FileRefused; a PDF
    with active content too (PDF_ACTIVE_CONTENT) unless the agency keeps those
    (VPDT_PDF_ACTIVE_CONTENT_AGENCIES), flagged. A file received from another agency
    (`untrusted=True`) always arrives, since the sender's official document may not be lost:
    not an accepted type, it is kept as application/octet-stream, download only, flagged.
    """
    try:
        found = filetypes.identify(path)
    except filetypes.FileRefused as exc:
        if not untrusted:
            raise
        return (filetypes.FileType("refused", filetypes.DOWNLOAD_ONLY, detail=f"{exc.code}: {exc.detail}"),
                REFUSED_TYPE)
    if found.active_content:
        if not (untrusted or _active_allowed(agency)):
            raise filetypes.FileRefused(
                "Tệp PDF có mã chạy tự động (JavaScript, lệnh mở chương trình hoặc tệp thực thi nhúng): không "
                "chấp nhận. Hãy in lại ra PDF không có mã chạy.", code="PDF_ACTIVE_CONTENT", detail=found.detail)
        return found, ACTIVE_CONTENT
    return found, ""


def recheck_stored_types(*, limit: int | None = None) -> dict[str, int]:
    """Decide the type, by its bytes, of every stored file that has none (files stored before
    files were judged at upload). Nothing is refused now, since the documents exist: a file that
    is not an accepted type is kept as application/octet-stream, download only, and flagged; a
    PDF with active content is flagged. Each file changed is audited by the maintenance actor."""
    counts = {"checked": 0, "flagged": 0}
    for model in (Attachment, DraftVersion):
        rows = model.objects.filter(file_kind="").select_related("document__agency", "blob").order_by("pk")
        for row in rows.iterator(chunk_size=200):
            if limit is not None and counts["checked"] >= limit:
                return counts
            agency = row.document.agency
            with filetypes.local_copy(row.blob) as path:
                decided, flag = decide_type(path, agency, untrusted=True)
            if decided.active_content:
                flag = ACTIVE_CONTENT
            before = {"content_type": row.content_type, "file_kind": row.file_kind, "flag": row.flag}
            row.content_type, row.file_kind, row.flag = decided.content_type, decided.kind, flag
            with transaction.atomic():
                row.save(update_fields=["content_type", "file_kind", "flag"])
                audit.record("document.file_type_checked", row.document, user=actors.system_actor(
                    agency, actors.MAINTENANCE), agency_code=agency.code, detail={
                    "file": row.name, "before": before,
                    "after": {"content_type": decided.content_type, "file_kind": decided.kind, "flag": flag}})
            counts["checked"] += 1
            counts["flagged"] += bool(flag)
    return counts


def _refused_upload(stream) -> None:
    """An upload the streaming handler already refused (web.uploads) carries its error."""
    refusal = getattr(stream, "refusal", None)
    if refusal is not None:
        raise refusal


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInput("Tên tệp không hợp lệ.", code="BAD_FILE_NAME", detail=repr(name))


def add_attachment(user, document: Document, stream: BinaryIO, name: str, *, content_type: str = "",
                   kind: str = Attachment.Kind.MAIN, description: str = "") -> Attachment:
    """Store a file for the document, streamed, within the agency's size limit, judged by its bytes
    (`content_type` as declared is only written to the audit log)."""
    if user is not None and not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền thêm tệp vào văn bản này.")
    _check_name(name)
    _refused_upload(stream)
    blob, decided = blobs.store_checked(stream, max_bytes=document.agency.upload_limit_bytes(),
                                        check=lambda path: decide_type(path, document.agency))
    return attach_stored(user, document, blob, name, kind=kind, description=description, file_type=decided,
                         detail={"declared_type": (content_type or "")[:100]})


# Every file attached asks it (vpdt.core.prepared: the SQL written once).
_DECIDED = tuple(Read(lambda sha, model=model: model.objects.filter(blob_id=sha, flag="").exclude(file_kind="")
                      .order_by("pk").values_list("file_kind", "content_type")[:1], sha=str)
                 for model in (Attachment, DraftVersion))


def _decided(blob: Blob, agency: Agency, file_type, untrusted: bool) -> tuple[filetypes.FileType, str]:
    if file_type is not None:
        return file_type
    # Same bytes, same type: a clean decision already made for this blob (the approved draft
    # attached on release, a copy between agencies) is reused rather than parsed again. Bytes the
    # store did not hold before this file (core.blobs: `seen_before`) have no decision to reuse:
    # a file received from another e-office is not looked for.
    for read in _DECIDED if getattr(blob, "seen_before", True) else ():
        known = read.first(sha=blob.pk)
        if known is not None:
            return filetypes.FileType(known[0], known[1]), ""
    with filetypes.local_copy(blob) as path:
        return decide_type(path, agency, untrusted=untrusted)


def attach_stored(user, document: Document, blob: Blob, name: str, *, content_type: str = "",
                  kind: str = Attachment.Kind.MAIN, description: str = "", action: str = "document.attach",
                  detail: dict | None = None, file_type: tuple | None = None,
                  untrusted: bool = False) -> Attachment:
    """Attach a file already in the blob store (a received package's file, the signed PDF,
    the last approved draft on release); audited as `action` with `detail`. Part of another
    service's operation (receive, sign, release): the caller has checked who may.

    The file is judged by its bytes (`file_type`: what decide_type already returned for it);
    `untrusted=True` for a file received from another agency (kept, flagged, when refused).
    `content_type` as declared is kept in the audit log only.
    """
    decided, flag = _decided(blob, document.agency, file_type, untrusted)
    # One unit on its own; inside the caller's transaction (receive, sign, release) no savepoint of
    # its own (two statements per file): no caller catches its error to go on in that transaction.
    with transaction.atomic(savepoint=False):
        attachment = _NEW_ATTACHMENT.create(
            document=document, blob=blob, name=name[:255], content_type=decided.content_type, kind=kind,
            file_kind=decided.kind, flag=flag,
            description=(description or "")[:255], created_by=None if is_system(user) else user,
        )
        files = known_rows(document, "attachments")
        if files is not None:  # the document's files are known (`_received`): this one too
            known(document, attachments=[*files, attachment])
        extra = {"file_kind": decided.kind}
        if content_type and content_type != decided.content_type:
            extra["declared_type"] = content_type[:100]
        if flag:
            extra.update(flag=flag, flag_detail=decided.detail[:300])
        audit.record(action, document, user=user, detail={
            "attachment": attachment.pk, "name": name, "sha256": blob.sha256, "size": blob.size, "kind": kind,
            **extra, **(detail or {})})
    return attachment


def replace_attachment_file(user, attachment: Attachment, blob: Blob, *, action: str = "document.attachment_file",
                            detail: dict | None = None) -> Attachment:
    """The attachment now holds `blob` (e.g. its signed version); the old file stays in the store.
    The new file is judged by its bytes like any other."""
    decided, flag = _decided(blob, attachment.document.agency, None, False)
    old = attachment.blob_id
    with transaction.atomic():
        attachment.blob = blob
        attachment.content_type, attachment.file_kind, attachment.flag = decided.content_type, decided.kind, flag
        attachment.save(update_fields=["blob", "content_type", "file_kind", "flag"])
        audit.record(action, attachment.document, user=user, detail={
            "attachment": attachment.pk, "name": attachment.name, "old_sha256": old, "sha256": blob.sha256,
            **(detail or {})})
    return attachment


def add_draft_version(user, document: Document, stream: BinaryIO | Blob, name: str, *, content_type: str = "",
                      note: str = "") -> DraftVersion:
    """A new draft version from `stream`, or from a Blob already stored (signing stores the signed
    file before its short transaction, so the file is not copied again while the lock is held).
    Judged by its bytes like an attachment; `content_type` as declared is not kept."""
    if not can_view(user, document):
        raise PermissionDenied("Bạn không có quyền sửa dự thảo này.")
    if document.number is not None:
        raise InvalidState("Văn bản đã cấp số, không thêm phiên bản dự thảo.", code="ALREADY_NUMBERED")
    _refused_upload(stream)
    if isinstance(stream, Blob):
        blob, (decided, flag) = stream, _decided(stream, document.agency, None, False)
    else:
        blob, (decided, flag) = blobs.store_checked(stream, max_bytes=document.agency.upload_limit_bytes(),
                                                    check=lambda path: decide_type(path, document.agency))
    with transaction.atomic():
        last = DraftVersion.objects.filter(document=document).aggregate(m=Max("number"))["m"] or 0
        version = DraftVersion.objects.create(
            document=document, number=last + 1, blob=blob, name=name, content_type=decided.content_type,
            file_kind=decided.kind, flag=flag, note=note, created_by=user,
        )
        audit.record("document.draft_version", document, user=user,
                     detail={"version": version.number, "name": name, "sha256": blob.sha256,
                             "file_kind": decided.kind, **({"flag": flag} if flag else {})})
        renditions.queue(version)  # a .docx/.odt becomes a PDF in the background (records.convert)
    return version


# --- numbering and registration -------------------------------------------------------


def issue_number(user, document: Document, *, date: dt.date | None = None, pin: str | None = None) -> Document:
    """The clerk issues the number and date of an approved outgoing document.

    Atomic with the register's counter: no gap, no duplicate, restart each year. With a
    sealer (records.seams; the signing app) the number and date are filled into the signed
    PDF and the agency seals it, in two phases so that no lock is held while the token, the
    remote signer or the timestamp server works: `prepare` signs outside any transaction with
    the number the register will give next (`numbering.planned_number`); the short
    transaction then takes the number and `record`s the signed file only if it got that very
    number (else the signature is made again with the next one). A failed seal (a wrong PIN)
    leaves no number used. What the sealer returns is on `document.signing` (None without one).
    """
    require_role(user, document.agency_id, Role.CLERK)
    if document.direction == Direction.INCOMING:
        raise InvalidState("Văn bản đến không cấp số văn bản đi.", code="NOT_OUTGOING")
    issued = date or numbering.today_in_vietnam()
    numbering.refuse_closed(document.agency, Direction.OUTGOING, numbering.series_for(document), issued.year)
    sealer = seams.sealer()
    for _attempt in range(5):
        outcome = planned = None
        if sealer is not None:
            planned = Document.objects.select_related("agency", "document_type", "drafting_unit").get(pk=document.pk)
            _check_numberable(planned)
            planned.number = numbering.planned_number(planned, issued)
            planned.notation = planned.notation or numbering.notation_for(planned)
            outcome = sealer.prepare(user, planned, code=planned.code, issued=issued, pin=pin)
        try:
            with transaction.atomic():
                locked = Document.objects.select_for_update(of=("self",)).select_related(
                    "agency", "document_type", "drafting_unit").get(pk=document.pk)
                _check_numberable(locked)
                register = numbering.register_for(locked.agency, Direction.OUTGOING, numbering.series_for(locked),
                                                  issued.year)
                locked.number = numbering.next_number(register)
                if (planned is not None and locked.number != planned.number
                        and sealer.carries_number(outcome)):
                    raise _NumberTaken  # the sealed file shows another number: seal again
                locked.register = register
                locked.notation = locked.notation or numbering.notation_for(locked)
                locked.issued_date = issued
                locked.save(update_fields=["number", "register", "notation", "issued_date", "updated_at"])
                audit.record("document.issue_number", locked, user=user,
                             detail={"code": locked.code, "register": register.pk, "date": issued.isoformat()})
                if sealer is not None:
                    sealer.record(user, locked, outcome)
        except _NumberTaken:
            continue
        break
    else:
        raise InvalidState("Nhiều văn bản đang được cấp số cùng lúc nên chưa cấp số được; hãy thực hiện lại.",
                           code="NUMBER_TAKEN")
    if sealer is not None:
        sealer.after_commit(outcome)
    document.refresh_from_db()
    document.signing = outcome
    return document


def _check_numberable(document: Document) -> None:
    if document.number is not None:
        raise InvalidState(f"Văn bản đã có số {document.code}.", code="ALREADY_NUMBERED")
    if document.state != State.APPROVED:
        raise InvalidState("Chỉ cấp số cho văn bản đã được người có thẩm quyền duyệt ký.", code="NOT_APPROVED")


class _NumberTaken(Exception):
    """Another clerk took the planned number while the agency's seal was being made."""


def find_duplicates(agency: Agency, *, issuer_code: str = "", issuer_name: str = "", number: int | None,
                    notation: str, issued_date: dt.date | None, exclude: int | None = None) -> list[Document]:
    """Incoming documents with the same issuer, number, notation and date (DOMAIN.md)."""
    if number is None or not notation or issued_date is None:
        return []
    qs = Document.objects.filter(
        agency=agency, direction=Direction.INCOMING, number=number, notation__iexact=notation,
        issued_date=issued_date,
    ).exclude(state=State.RETURNED)
    if issuer_code:
        qs = qs.filter(Q(issuer_code=issuer_code) | Q(issuer_code="", issuer_name__iexact=issuer_name))
    elif issuer_name:
        qs = qs.filter(issuer_name__iexact=issuer_name)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("id"))


def register_incoming(user, document: Document, *, confirm_duplicate: bool = False,
                      override_reason: str = "", register=None) -> Document:
    """Vào sổ: assign the incoming number (số đến) and date; warns on a duplicate first.

    The registration gate (records.seams; the signing app) refuses a document whose received
    signatures fail (modified, invalid, revoked, expired) unless the clerk gives
    `override_reason`, which the gate writes to the audit log (signing.override).
    `register`: the clerk's choice among the agency's open incoming registers of the year (the
    series follows the secrecy otherwise: sổ chung, sổ mật).
    """
    require_role(user, document.agency_id, Role.CLERK)
    if document.direction != Direction.INCOMING:
        raise InvalidState("Chỉ vào sổ văn bản đến.", code="NOT_INCOMING")
    if register is not None:
        _check_chosen_register(register, document)
    gate = seams.registration_gate()
    override = False
    if gate is not None:
        ok, why = gate.check(document)
        if not ok and not (override_reason or "").strip():
            raise InvalidState(why, code="SIGNATURE_FAILED")
        override = not ok
    if not confirm_duplicate:
        matches = [
            d for d in find_duplicates(
                document.agency, issuer_code=document.issuer_code, issuer_name=document.issuer_name,
                number=document.number, notation=document.notation, issued_date=document.issued_date,
                exclude=document.pk,
            ) if d.incoming_number is not None
        ]
        if matches:
            raise DuplicateIncoming(matches)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).select_related("agency").get(pk=document.pk)
        if locked.state != State.RECEIVED:
            raise InvalidState("Văn bản không ở trạng thái chờ vào sổ.", code="NOT_RECEIVED")
        if override:
            gate.record_override(user, locked, override_reason)
        now = timezone.now()
        if register is not None:
            register = Register.objects.select_for_update().get(pk=register.pk)
            _check_chosen_register(register, locked)
        else:
            register = numbering.register_for(
                locked.agency, Direction.INCOMING, numbering.series_for(locked), timezone.localdate(now).year
            )
        locked.incoming_number = numbering.next_number(register)
        locked.incoming_register = register
        locked.received_at = locked.received_at or now
        locked.save(update_fields=["incoming_number", "incoming_register", "received_at", "updated_at"])
        set_state(locked, State.REGISTERED, user, "document.register",
                   {"incoming_number": locked.incoming_number, "register": register.pk,
                    "duplicate_confirmed": confirm_duplicate})
    document.refresh_from_db()
    return document


def _check_chosen_register(register, document: Document) -> None:
    if (register.agency_id != document.agency_id or register.direction != Direction.INCOMING
            or register.year != timezone.localdate().year):
        raise InvalidInput("Chọn một sổ văn bản đến năm nay của cơ quan.", code="BAD_REGISTER")
    if register.closed:
        raise InvalidState(f"{register.name} năm {register.year} đã khóa, không cấp số được.", code="REGISTER_CLOSED")
    if (register.series == "mat") != document.is_secret:
        raise InvalidInput("Văn bản mật vào sổ văn bản mật; văn bản thường vào sổ khác.", code="REGISTER_SECRECY")


def return_incoming(user, document: Document, reason: str) -> Document:
    """Trả lại: an invalid or misaddressed document goes back, with the reason."""
    require_role(user, document.agency_id, Role.CLERK)
    if not (reason or "").strip():
        raise InvalidInput("Cần ghi rõ lý do trả lại.", code="REASON_REQUIRED")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.state != State.RECEIVED:
            raise InvalidState("Chỉ trả lại văn bản chưa vào sổ.", code="NOT_RECEIVED")
        set_state(locked, State.RETURNED, user, "document.return", {"reason": reason})
    document.refresh_from_db()
    return document


# --- recipients and release -----------------------------------------------------------


def replace_recipients(user, document: Document, rows: list[Recipient], *, recipients_text: str,
                       detail: dict | None = None) -> list[Recipient]:
    """Nơi nhận: the document's recipients become `rows` (unsaved Recipient objects), with the
    "Nơi nhận" text printed on it. The caller (workflow.set_recipients) checks who may."""
    with transaction.atomic():
        registers.refuse_if_closed(document, {"recipients_text"})
        Recipient.objects.filter(document=document).delete()
        for row in rows:
            if row.document_id != document.pk:
                raise InvalidInput("Nơi nhận không thuộc văn bản này.", detail=f"recipient for {row.document_id}")
            if row.state != DeliveryState.PENDING:  # later states come only through records.delivery.move
                raise InvalidState("Nơi nhận mới phải ở tình trạng chờ gửi.", detail=f"recipient state {row.state}")
        Recipient.objects.bulk_create(rows)
        document.recipients_text = recipients_text
        document.save(update_fields=["recipients_text", "updated_at"])
        audit.record("document.recipients", document, user=user, detail=detail or {})
    return list(document.recipients.all())


def release(user, document: Document, recipients: list[Recipient], *, detail: dict | None = None) -> Document:
    """Phát hành: the document becomes RELEASED, then the deliverer takes its recipients.

    The caller (workflow.release) has locked the document, checked the release and delivered
    to internal units. Here, in the same transaction: the state change (audited, announced
    by records.signals.document_state_changed), then `deliverer.deliver(user, document,
    recipients)` (records.seams; the exchange app writes one package and one outbox message
    per agency recipient). An error there rolls the release back (no savepoint of its own inside
    the caller's transaction: two statements fewer, and no caller goes on after that error).
    """
    with transaction.atomic(savepoint=False):
        set_state(document, State.RELEASED, user, "document.release", detail)
        deliverer = seams.deliverer()
        if deliverer is not None:
            deliverer.deliver(user, document, list(recipients))
    return document


# --- maintenance ------------------------------------------------------------------------


def refold_subjects(using: str = "default", *, chunk: int = 5000) -> int:
    """Recompute the folded columns (subject_folded, and the quick search's notation_folded and
    people_folded) where they differ from the text (a queryset.update() that changed the text
    skips Document.save); returns how many rows were fixed. Derived columns, repaired in place:
    no state changes, nothing to audit."""
    from vpdt.core.text import fold
    from vpdt.records.models import folded_search_fields

    fixed = 0
    last = 0
    while True:
        rows = list(Document.objects.using(using).filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "subject", "subject_folded", "notation", "issuer_name", "signer_name",
                                 "notation_folded", "people_folded")[:chunk])
        if not rows:
            return fixed
        stale = []
        for pk, subject, folded, notation, issuer, signer, notation_folded, people_folded in rows:
            fresh = (fold(subject), *folded_search_fields(notation, issuer, signer))
            if fresh != (folded, notation_folded, people_folded):
                stale.append((pk, fresh))
        with transaction.atomic(using=using):
            for pk, (subject_f, notation_f, people_f) in stale:
                Document.objects.using(using).filter(pk=pk).update(
                    subject_folded=subject_f, notation_folded=notation_f, people_folded=people_f)
        fixed += len(stale)
        last = rows[-1][0]


# --- imports ----------------------------------------------------------------------------
# An import (the demo province, later a legacy system's records) brings documents with the
# history they already have. These write that history as it was, audited as `action` by
# whoever the import names (a person of the history, or a system actor), without the
# checks of the live operations and without announcing a change (nothing is sent).


def import_state(user, document: Document, state: str, *, action: str, fields: dict | None = None,
                 detail: dict | None = None) -> Document:
    """Put an imported document in `state` (with `fields` such as due_date or recipients_text)."""
    values = dict(fields or {})
    unknown = set(values) - _SETTABLE
    if unknown:
        raise InvalidInput(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.", detail=f"unknown fields {unknown}")
    previous = document.state
    for field, value in values.items():
        setattr(document, field, value)
    document.state = state
    update = ["state", "updated_at", *values]
    if state == State.COMPLETED and document.completed_at is None:
        document.completed_at = timezone.now()
        update.append("completed_at")
    with transaction.atomic():
        document.save(update_fields=update)
        audit.record(action, document, user=user, detail={"from": previous, "to": state, "imported": True,
                                                            **(detail or {})})
    return document


def import_recipients(user, document: Document, rows: list[Recipient]) -> list[Recipient]:
    """Add imported recipients as they were (their delivery state and last status included)."""
    with transaction.atomic():
        for row in rows:
            row.document = document
        Recipient.objects.bulk_create(rows)
        audit.record("document.recipients", document, user=user, detail={
            "imported": True, "recipients": [f"{r.display_name} ({r.state})" for r in rows]})
    return rows


# --- access ---------------------------------------------------------------------------


def grant_access(granted_by, document: Document, user=None, *, unit=None, reason: str = AccessReason.GRANT,
                 secret: bool = False, _audit: bool = True) -> DocumentAccess:
    """Give a person or a unit access to a document; `secret=True` is the explicit grant for secret ones."""
    if _audit and secret:
        require_role(granted_by, document.agency_id, Role.LEADER, Role.CLERK)
    access = DocumentAccess.objects.create(
        document=document, user=user, unit=unit, reason=reason, secret_grant=secret, granted_by=granted_by
    )
    if _audit:
        audit.record("document.grant_access", document, user=granted_by,
                     detail={"user": getattr(user, "pk", None), "unit": getattr(unit, "pk", None),
                             "reason": reason, "secret": secret})
    return access


PAPER_SENT_BY = {"post": "Bưu điện", "hand": "Chuyển trực tiếp"}


def mark_paper_sent(user, recipient: Recipient, *, how: str = "post") -> Recipient:
    """The clerk sent a released document's paper copy (by post or by hand): its recipient
    moves from "chờ gửi" to "đã gửi" through records.delivery.move, audited as document.paper_sent."""
    if how not in PAPER_SENT_BY:
        raise InvalidInput("Chọn hình thức gửi: bưu điện hoặc chuyển trực tiếp.", code="BAD_SENT_BY")
    with transaction.atomic():
        row = Recipient.objects.select_for_update().select_related("document").get(pk=recipient.pk)
        document = row.document
        require_role(user, document.agency_id, Role.CLERK)
        if row.kind != RecipientKind.PAPER:
            raise InvalidInput("Chỉ đánh dấu đã gửi cho nơi nhận bản giấy.", code="NOT_PAPER")
        if document.state != State.RELEASED:
            raise InvalidState("Chỉ gửi bản giấy của văn bản đã phát hành.", code="NOT_RELEASED")
        if row.state != DeliveryState.PENDING:
            raise InvalidState(f"“{row.display_name}” đã được đánh dấu gửi.", code="ALREADY_SENT")
        delivery.move(user, row, DeliveryState.SENT, action="document.paper_sent",
                      detail={"sent_by": PAPER_SENT_BY[how]})
    return row

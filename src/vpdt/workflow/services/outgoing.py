"""The drafting-to-release chain of outgoing documents: drafts and versions, recipients, the
approval chain, signing at approval, numbering, release, acknowledgement, recall, replace, update."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, InvalidState
from vpdt.core.i18n import vietnamese
from vpdt.core.prepared import Read, attach, refresh_from
from vpdt.directory.models import Agency, Unit, User
from vpdt.directory.roles import Role
from vpdt.records import delivery
from vpdt.records import services as records
from vpdt.records.choices import AccessReason, DeliveryState, Direction, RecipientKind, State
from vpdt.records.models import Attachment, Document, Recipient
from vpdt.records.permissions import require_role
from vpdt.workflow.delegation import acting_for, behalf_detail
from vpdt.workflow.models import (
    ApprovalChain,
    ApprovalStep,
    Review,
)
from vpdt.workflow.notifications import notify
from vpdt.workflow.services.common import (
    DRAFT_EXTENSIONS,
    _has,
    _label,
    _lock,
    _need,
    _reason,
    _state,
    role_holders,
    signing_services,
    unit_heads,
)


def _draft_type(name: str) -> str:
    ext = os.path.splitext(name or "")[1].lower()
    if ext not in DRAFT_EXTENSIONS:
        raise InvalidInput("Dự thảo phải là tệp .docx hoặc .pdf.", code="BAD_DRAFT_TYPE", detail=name)
    return DRAFT_EXTENSIONS[ext]


def _is_drafter(user, document: Document) -> bool:
    return document.created_by_id == user.pk


def create_draft(user, data: dict, *, file: BinaryIO | None = None, filename: str = "",
                 recipients: dict | None = None) -> Document:
    """A specialist opens a draft: metadata, the first version (.docx/.pdf) and the recipients."""
    if file is not None:
        _draft_type(filename)
    with transaction.atomic():
        document = records.create_outgoing(user, data)
        if file is not None:
            add_version(user, document, file, filename)
        if recipients:
            set_recipients(user, document, **recipients)
    return document


def check_edit_draft(user, document: Document) -> None:
    if document.direction == Direction.INCOMING:
        raise InvalidState("Văn bản đến không có dự thảo.", code="NOT_OUTGOING")
    if document.state in (State.DRAFT, State.SENT_BACK):
        _need(_is_drafter(user, document), "Chỉ người soạn thảo sửa dự thảo.")
        return
    if document.state == State.IN_REVIEW:
        review = current_review(document)
        _need(review is not None and _reviewer_principal(user, review) is not None,
              "Chỉ người đang duyệt được cập nhật dự thảo.")
        return
    raise InvalidState("Văn bản không còn ở giai đoạn dự thảo.", code="WRONG_STATE")


def check_add_recipients(user, document: Document) -> None:
    """Once a document is approved (before its release), the clerk completes its Nơi nhận."""
    _state(document, [State.APPROVED], "Chỉ bổ sung nơi nhận cho văn bản đã duyệt, chưa phát hành.")
    require_role(user, document.agency_id, Role.CLERK)


def check_recipients(user, document: Document) -> None:
    """Who sets the Nơi nhận: whoever may edit the draft (`check_edit_draft`), and the clerk
    once it is approved (`check_add_recipients`). The page offers the form on either check."""
    if document.direction == Direction.OUTGOING and document.state == State.APPROVED:
        check_add_recipients(user, document)
        return
    check_edit_draft(user, document)


def add_version(user, document: Document, file: BinaryIO, filename: str, *, note: str = ""):
    content_type = _draft_type(filename)
    check_edit_draft(user, document)
    return records.add_draft_version(user, document, file, filename, content_type=content_type, note=note)


def _recipients_text(document: Document, rows: list[Recipient]) -> str:
    lines = ["- Như trên;"] if rows else []
    lines += [f"- {r.display_name};" for r in rows if not r.for_info]
    unit = document.drafting_unit.abbreviation if document.drafting_unit_id else ""
    lines.append(f"- Lưu: VT{', ' + unit if unit else ''}.")
    return "\n".join(lines)


def set_recipients(user, document: Document, *, units: Iterable[Unit] = (), agencies: Iterable[Agency] = (),
                   emails: Iterable[str] = (), papers: Iterable[str] = ()) -> list[Recipient]:
    """Nơi nhận: internal units, agencies of the directory, others by e-mail or on paper."""
    check_recipients(user, document)
    rows: list[Recipient] = []
    for unit in units:
        if unit.agency_id != document.agency_id:
            raise InvalidInput("Đơn vị nhận phải thuộc cơ quan.", code="FOREIGN_UNIT")
        rows.append(Recipient(document=document, kind=RecipientKind.UNIT, unit=unit, name=unit.name))
    for agency in agencies:
        if agency.pk == document.agency_id:
            raise InvalidInput("Không gửi liên thông cho chính cơ quan mình; chọn đơn vị nội bộ.", code="SELF")
        rows.append(Recipient(document=document, kind=RecipientKind.AGENCY, agency=agency, organ_id=agency.code,
                              name=agency.name))
    for email in emails:
        email = email.strip()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(f"Địa chỉ thư không hợp lệ: {email}", code="BAD_EMAIL") from exc
        rows.append(Recipient(document=document, kind=RecipientKind.EMAIL, email=email, name=email))
    for name in papers:
        if name.strip():
            rows.append(Recipient(document=document, kind=RecipientKind.PAPER, name=name.strip()))
    return records.replace_recipients(
        user, document, rows, recipients_text=_recipients_text(document, rows),
        detail={"recipients": [f"{vietnamese(r.get_kind_display())}: {r.display_name}" for r in rows]})


# Labels are stored as written (Review.label); pages translate them when the catalogue knows them.
DEFAULT_STEPS = [
    {"label": gettext_noop("Lãnh đạo phòng duyệt nội dung"), "kind": ApprovalStep.Kind.UNIT_HEAD, "role": "",
     "user": None, "is_signer": False},
    {"label": gettext_noop("Lãnh đạo cơ quan duyệt, ký"), "kind": ApprovalStep.Kind.ROLE, "role": Role.LEADER,
     "user": None, "is_signer": True},
]


def chain_steps(agency_id: int) -> list[dict]:
    """The agency's approval chain as data; two steps (unit head, leader signs) when none is set."""
    chain = (ApprovalChain.objects.filter(agency_id=agency_id, active=True).order_by("-is_default", "id")
             .prefetch_related("steps").first())
    if chain is None or not chain.steps.exists():
        return DEFAULT_STEPS
    return [{"label": s.label, "kind": s.kind, "role": s.role, "user": s.user, "is_signer": s.is_signer}
            for s in chain.steps.all()]


def check_submit_review(user, document: Document) -> None:
    if document.direction == Direction.INCOMING:
        raise InvalidState("Văn bản đến không trình duyệt.", code="NOT_OUTGOING")
    _state(document, [State.DRAFT, State.SENT_BACK], "Chỉ trình duyệt văn bản đang dự thảo.")
    _need(_is_drafter(user, document), "Chỉ người soạn thảo trình duyệt dự thảo.")


def submit_for_review(user, document: Document, note: str = "") -> list[Review]:
    with transaction.atomic():
        locked = _lock(document)
        check_submit_review(user, locked)
        if not locked.versions.exists():
            raise InvalidInput("Cần tải lên tệp dự thảo trước khi trình.", code="NO_DRAFT_FILE")
        round_ = (Review.objects.filter(document=locked).aggregate(m=Max("round"))["m"] or 0) + 1
        reviews = []
        for i, step in enumerate(chain_steps(locked.agency_id), start=1):
            reviewer, role = step["user"], step["role"]
            if step["kind"] == ApprovalStep.Kind.UNIT_HEAD:
                heads = [h for h in (unit_heads(locked.drafting_unit) if locked.drafting_unit_id else [])]
                if not heads or user in heads:
                    continue  # no head, or the drafter heads the unit: nothing to check at this level
                reviewer, role = heads[0], Role.UNIT_HEAD
            reviews.append(Review(document=locked, round=round_, order=i, label=step["label"], reviewer=reviewer,
                                  role=role or "", is_signer=step["is_signer"]))
        if not reviews:
            raise InvalidState("Cơ quan chưa có quy trình duyệt.", code="NO_CHAIN")
        if not any(r.is_signer for r in reviews):
            reviews[-1].is_signer = True
        reviews[0].state = Review.State.PENDING
        Review.objects.bulk_create(reviews)
        for r in reviews:
            if r.reviewer_id:
                records.grant_access(user, locked, r.reviewer,
                                     reason=AccessReason.SIGNER if r.is_signer else AccessReason.REVIEWER,
                                     secret=locked.is_secret, _audit=False)
        records.set_state(locked, State.IN_REVIEW, user, "document.submit_review",
                          {"round": round_, "steps": [r.label for r in reviews], "note": note})
        _notify_review(locked, reviews[0])
    document.refresh_from_db()
    return list(Review.objects.filter(document=document, round=round_))


def _notify_review(document: Document, review: Review) -> None:
    to = [review.reviewer] if review.reviewer_id else role_holders(document.agency_id, review.role)
    notify(to, document, "review", f"Dự thảo chờ duyệt ({review.label}): {_label(document)}")


def current_review(document: Document) -> Review | None:
    return (Review.objects.filter(document=document, state=Review.State.PENDING)
            .select_related("reviewer").order_by("-round", "order", "id").first())


def _reviewer_principal(user, review: Review) -> User | None:
    if review.reviewer_id:
        return review.reviewer if acting_for(user, review.reviewer_id) is not None else None
    if review.role and _has(user, review.role, review.document.agency_id):
        return user
    return None


def check_review(user, document: Document) -> tuple[Review, User]:
    _state(document, [State.IN_REVIEW], "Văn bản không ở trạng thái chờ duyệt.")
    review = current_review(document)
    principal = _reviewer_principal(user, review) if review else None
    _need(principal is not None, "Bạn không phải người duyệt ở bước này.")
    return review, principal


def _decide(review: Review, user, principal, state: str, comment: str) -> None:
    review.state, review.comment = state, comment
    review.decided_by, review.decided_at = user, timezone.now()
    review.on_behalf_of = principal if principal.pk != user.pk else None
    review.save(update_fields=["state", "comment", "decided_by", "decided_at", "on_behalf_of"])


def is_signer_step(document: Document, review: Review) -> bool:
    """The signer's step (or the last one): approving it approves the document."""
    return review.is_signer or not Review.objects.filter(
        document=document, round=review.round, state=Review.State.WAITING).exists()


def approve(user, document: Document, comment: str = "", *, pin: str | None = None, otp: str | None = None,
            competence: str | None = None) -> Document:
    """The reviewer at the current step approves; at the signer's step the document is APPROVED.

    At the signer's step the last draft, if a PDF, gets the signer's digital signature (with
    `pin` for a token or an unkept password); `document.signing` then tells what was signed.
    The signature is made before the transaction (it may take seconds); the transaction then
    checks that the step and the draft are still those that were signed (CHANGED_WHILE_SIGNING).
    Signing is a deliberate act: `otp` (a one-time code) or `pin` unlocks the key for this call
    only, and the signer's `competence` (KT., TL., TM., Q., or none; None keeps the draft's) must
    fit their position (signing.check_competence: SIGNER_COMPETENCE_MISMATCH otherwise).
    """
    outcome = None
    signing = signing_services()
    current = Document.objects.select_related("agency").get(pk=document.pk)  # read only: no lock held
    review, principal = check_review(user, current)
    if signing is not None and is_signer_step(current, review):
        signed_as = current  # the name to print; saved below, in the transaction
        if not signed_as.signer_name:
            signed_as.signer_name, signed_as.signer_position = principal.get_full_name(), principal.position
        signed_as.signer_competence = signing.check_competence(
            principal, current.agency, current.signer_competence if competence is None else competence)
        outcome = signing.sign_as_person(user, signed_as, _last_version(signed_as), pin=pin, otp=otp)
    with transaction.atomic():
        locked = _lock(document)
        signed_review = review
        review, principal = check_review(user, locked)
        if outcome is not None and (review.pk != signed_review.pk or not is_signer_step(locked, review)):
            raise InvalidState(signing.CHANGED_WHILE_SIGNING, code="CHANGED_WHILE_SIGNING")
        _decide(review, user, principal, Review.State.APPROVED, comment)
        following = (Review.objects.filter(document=locked, round=review.round, state=Review.State.WAITING)
                     .order_by("order", "id").first())
        detail = {"step": review.label, "comment": comment, **behalf_detail(user, principal)}
        if review.is_signer or following is None:
            if signing is not None and outcome is None:  # became the signer's step while we looked
                raise InvalidState(signing.CHANGED_WHILE_SIGNING, code="CHANGED_WHILE_SIGNING")
            Review.objects.filter(document=locked, round=review.round, state=Review.State.WAITING).update(
                state=Review.State.CANCELLED)
            if not locked.signer_name:
                records.set_fields(user, locked, {"signer_name": principal.get_full_name(),
                                                  "signer_position": principal.position}, action="document.signer")
            if outcome is not None and locked.signer_competence != signed_as.signer_competence:
                records.set_fields(user, locked, {"signer_competence": signed_as.signer_competence},
                                   action="document.signer", detail={"competence": signed_as.signer_competence})
            if outcome is not None:
                signing.record_person_signature(user, locked, outcome)
                detail["signed"] = outcome.signed
            records.set_state(locked, State.APPROVED, user, "document.approve", {**detail, "signer": True})
            notify(role_holders(locked.agency_id, Role.CLERK), locked, "approved",
                   f"Văn bản đã duyệt ký, chờ cấp số và phát hành: {_label(locked)}")
            notify([locked.created_by] if locked.created_by else [], locked, "approved",
                   f"Dự thảo đã được duyệt ký: {_label(locked)}")
        else:
            following.state = Review.State.PENDING
            following.save(update_fields=["state"])
            audit.record("document.review_approve", locked, user=user, detail=detail)
            _notify_review(locked, following)
    document.refresh_from_db()
    document.signing = outcome
    return document


def _last_version(document: Document):
    return document.versions.order_by("-number").first()


def send_back(user, document: Document, comment: str) -> Document:
    """Trả lại để sửa, with comments; the drafter revises and submits again (a new round)."""
    comment = _reason(comment, "Cần ghi ý kiến khi trả lại dự thảo.")
    with transaction.atomic():
        locked = _lock(document)
        review, principal = check_review(user, locked)
        _decide(review, user, principal, Review.State.RETURNED, comment)
        Review.objects.filter(document=locked, round=review.round, state=Review.State.WAITING).update(
            state=Review.State.CANCELLED)
        records.set_state(locked, State.SENT_BACK, user, "document.send_back",
                          {"step": review.label, "comment": comment, **behalf_detail(user, principal)})
        notify([locked.created_by] if locked.created_by else [], locked, "sent_back",
               f"Dự thảo bị trả lại để sửa: {_label(locked)}")
    document.refresh_from_db()
    return document


def forward(user, document: Document, to: User, comment: str = "") -> Review:
    """Chuyển tiếp: the reviewer hands this step to another person of the agency."""
    with transaction.atomic():
        locked = _lock(document)
        review, principal = check_review(user, locked)
        if to is None or locked.agency_id not in to.member_agency_ids() or to.pk == user.pk:
            raise InvalidInput("Người nhận chuyển tiếp không hợp lệ.", code="BAD_FORWARD")
        _decide(review, user, principal, Review.State.FORWARDED, comment)
        new = Review.objects.create(document=locked, round=review.round, order=review.order, label=review.label,
                                    reviewer=to, is_signer=review.is_signer, state=Review.State.PENDING)
        records.grant_access(user, locked, to, reason=AccessReason.SIGNER if new.is_signer else AccessReason.REVIEWER,
                             secret=locked.is_secret, _audit=False)
        audit.record("document.review_forward", locked, user=user, detail={
            "step": review.label, "to": to.pk, "to_name": str(to), "comment": comment,
            **behalf_detail(user, principal)})
        _notify_review(locked, new)
    return new


def check_issue_number(user, document: Document) -> None:
    _need(_has(user, Role.CLERK, document.agency_id), "Chỉ văn thư cấp số văn bản đi.")
    _state(document, [State.APPROVED], "Chỉ cấp số cho văn bản đã duyệt ký.")
    if document.number is not None:
        raise InvalidState(f"Văn bản đã có số {document.code}.", code="ALREADY_NUMBERED")


def issue_number(user, document: Document, *, date: dt.date | None = None, pin: str | None = None) -> Document:
    """The clerk, having checked the format (thể thức), issues the number and date.

    `check_issue_number` gives the clerk's message first; records.services.issue_number is
    the one path, enforcing the same rules, and there, in the same transaction, the
    signing app fills number and date into the signed PDF and seals it (records.seams), so
    a failed signature (wrong PIN) leaves no number used. `document.signing` tells what was signed.
    """
    check_issue_number(user, document)
    return records.issue_number(user, document, date=date, pin=pin)


def check_release(user, document: Document) -> None:
    _need(_has(user, Role.CLERK, document.agency_id), "Chỉ văn thư phát hành văn bản.")
    _state(document, [State.APPROVED], "Chỉ phát hành văn bản đã duyệt ký.")
    if document.number is None:
        raise InvalidState("Cần cấp số trước khi phát hành.", code="NOT_NUMBERED")


def release(user, document: Document) -> list[Recipient]:
    """Phát hành: one delivery per recipient, in the same transaction as the state change.

    The audit entries are appended at the end (audit.deferred): the edXML package is written and
    signed without holding the audit chain's head, for which every other change waits."""
    with transaction.atomic(), audit.deferred():
        locked = _lock(document)
        check_release(user, locked)
        rows = attach(_RECIPIENTS.instances(doc_id=locked.pk), document=locked)  # the units' moves audit on it
        if not rows:
            raise InvalidInput("Văn bản chưa có nơi nhận.", code="NO_RECIPIENTS")
        if not _MAIN_FILE.rows(doc_id=locked.pk):
            # The last approved draft becomes the released document's main file.
            last = locked.versions.order_by("-number").first()
            if last is not None:
                records.attach_stored(user, locked, last.blob, last.name, content_type=last.content_type,
                                      kind=Attachment.Kind.MAIN, detail={"version": last.number})
        now = timezone.now()
        for r in rows:
            if r.kind == RecipientKind.UNIT:
                records.grant_access(user, locked, unit=r.unit, reason=AccessReason.UNIT, secret=locked.is_secret,
                                     _audit=False)
                delivery.move(user, r, DeliveryState.DELIVERED, action="document.deliver_unit", at=now)
                notify(unit_heads(r.unit), locked, "arrived", f"Văn bản mới đến đơn vị: {_label(locked)}")
        # The state change, then the exchange's deliverer for the agency recipients (records.seams).
        records.release(user, locked, rows, detail={
            "recipients": [f"{vietnamese(r.get_kind_display())}: {r.display_name} ({vietnamese(r.get_state_display())})"
                           for r in rows]})
        if locked.created_by:
            notify([locked.created_by], locked, "released", f"Văn bản đã phát hành: {_label(locked)}")
    # The recipients as they are now, with the document read in the same statement: `document`
    # is refreshed from it (as refresh_from_db), and each recipient's document is it.
    rows = _RELEASED.instances(doc_id=document.pk)
    if rows:
        refresh_from(document, rows[0].document)
    else:  # its recipients removed since the commit: the document alone
        document.refresh_from_db()
    return attach(rows, document=document)


# What every release reads, written out once (vpdt.core.prepared). The agencies' parents: each
# agency recipient's package names its organisation in charge.
_RECIPIENTS = Read(lambda doc_id: Recipient.objects.filter(document_id=doc_id)
                   .select_related("unit", "agency", "agency__parent").order_by("pk"), doc_id=int)
_RELEASED = Read(lambda doc_id: Recipient.objects.filter(document_id=doc_id)
                 .select_related("unit", "agency", "document").order_by("pk"), doc_id=int)
_MAIN_FILE = Read(lambda doc_id: Attachment.objects.filter(document_id=doc_id, kind=Attachment.Kind.MAIN)
                  .values_list("pk")[:1], doc_id=int)


def check_acknowledge(user, document: Document) -> Recipient:
    row = None
    if user.unit_id and user.has_role(Role.UNIT_HEAD, document.agency_id):
        row = Recipient.objects.filter(document=document, unit_id=user.unit_id, state=DeliveryState.DELIVERED).first()
    _need(row is not None, "Chỉ lãnh đạo đơn vị nhận xác nhận đã nhận văn bản.")
    return row


def acknowledge(user, document: Document) -> Recipient:
    with transaction.atomic():
        row = check_acknowledge(user, document)
        delivery.move(user, row, DeliveryState.ACCEPTED, action="document.acknowledge",
                      detail={"unit": row.display_name})
    return row


def check_after_release(user, document: Document, *roles) -> None:
    _need(any(_has(user, r, document.agency_id) for r in roles),
          "Thao tác này chỉ dành cho: " + ", ".join(vietnamese(Role(r).label) for r in roles) + ".")
    _state(document, [State.RELEASED], "Chỉ áp dụng cho văn bản đã phát hành.")


def recall(user, document: Document, reason: str) -> Document:
    """Thu hồi: the document stops having effect; internal recipients see it recalled."""
    reason = _reason(reason, "Cần ghi rõ lý do thu hồi.")
    with transaction.atomic():
        locked = _lock(document)
        check_after_release(user, locked, Role.CLERK, Role.LEADER)
        units = list(Recipient.objects.filter(document=locked, kind=RecipientKind.UNIT))
        now = timezone.now()
        for r in units:
            delivery.move(user, r, DeliveryState.RECALLED, action="document.recall_unit", at=now,
                          detail={"reason": reason})
        records.set_state(locked, State.RECALLED, user, "document.recall", {"reason": reason})
        for r in units:
            notify(unit_heads(r.unit), locked, "recalled", f"Văn bản đã bị thu hồi: {_label(locked)}")
    document.refresh_from_db()
    return document


def replace(user, document: Document, reason: str, replacement: Document | None = None) -> Document:
    """Thay thế: a new document replaces this released one (the content was wrong)."""
    reason = _reason(reason, "Cần ghi rõ lý do thay thế.")
    if replacement is not None and (replacement.agency_id != document.agency_id or replacement.pk == document.pk):
        raise InvalidInput("Văn bản thay thế phải là văn bản khác của cơ quan.", code="BAD_REPLACEMENT")
    with transaction.atomic():
        locked = _lock(document)
        check_after_release(user, locked, Role.CLERK, Role.LEADER)
        records.set_state(locked, State.REPLACED, user, "document.replace", {
            "reason": reason, "replacement": replacement.pk if replacement else None,
            "replacement_code": (replacement.code or replacement.subject) if replacement else ""})
    document.refresh_from_db()
    return document


UPDATABLE_AFTER_RELEASE = {"subject", "page_count", "copies", "note", "signer_competence"}


def update_released(user, document: Document, reason: str, data: dict) -> Document:
    """Cập nhật (đính chính thông tin): corrects metadata of a released document, with the reason."""
    reason = _reason(reason, "Cần ghi rõ lý do cập nhật.")
    bad = set(data) - UPDATABLE_AFTER_RELEASE
    if bad:
        raise InvalidInput("Chỉ cập nhật được: trích yếu, số trang, số bản, ghi chú, thẩm quyền ký.",
                           code="NOT_UPDATABLE", detail=str(sorted(bad)))
    with transaction.atomic():
        locked = _lock(document)
        check_after_release(user, locked, Role.CLERK)
        records.update_metadata(user, locked, data)
        records.set_state(locked, State.RELEASED, user, "document.update_released",
                          {"reason": reason, "fields": sorted(data)})
    document.refresh_from_db()
    return document

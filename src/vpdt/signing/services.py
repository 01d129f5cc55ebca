"""The Django side of digital signatures: keys per person and agency, the trust store,
signing in the release chain, and verification of every PDF an agency receives.

- `sign_as_person` (the signer approves): the last draft, if a PDF, gets two empty number and
  date fields (`fill.prepare`) and the signer's PAdES signature, image between title and name;
  the result is a new draft version.
- `sign_as_agency` (the clerk issues the number): number and date are filled into those fields
  (`fill.fill`, form filling keeps the signer's signature valid), the agency signs with the seal
  over the left third of the signer's image; the result is the document's main attachment.
  PDF appendices get `pdf.sign_attachment` (top right of page 1, "số, ký hiệu" and time).
- A missing key lets the step go on unsigned with a warning, unless the agency's
  `SigningPolicy.require_signatures` is on. A .docx draft stays unsigned with a note.
- `verify_attachment` stores a `SignatureCheck`; `can_register` refuses failing signatures
  (modified, invalid, revoked, expired) unless the clerk overrides with a reason (audited).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.records.models import Attachment, Document, DraftVersion
from vpdt.signing.errors import SigningError
from vpdt.signing.models import SignatureCheck, SigningKey, SigningPolicy, TrustAnchor

PDF_TYPES = {"application/pdf", "application/x-pdf"}
MAX_VERIFY_BYTES = 200 * 1024 * 1024  # larger files are reported, not loaded whole


@dataclass
class SigningOutcome:
    """What a signing step did: the file it produced, and a warning for the person if it could not sign."""

    signed: bool = False
    warnings: list[str] = field(default_factory=list)
    version: DraftVersion | None = None
    attachment: Attachment | None = None


# --- secrets at rest ------------------------------------------------------------------


def _encrypt(data: bytes) -> bytes:
    from vpdt.signing.keys import seal_secret

    return seal_secret(data)


def _decrypt(token) -> bytes:
    from vpdt.signing.keys import open_secret

    return open_secret(token)


def _owner(user=None, agency=None) -> dict:
    if (user is None) == (agency is None):
        raise InvalidInput("Khóa ký thuộc một cán bộ hoặc một cơ quan.", code="KEY_OWNER")
    return {"user": user} if user is not None else {"agency": agency}


def _replace_active(owner: dict, key: SigningKey) -> SigningKey:
    with transaction.atomic():
        SigningKey.objects.filter(active=True, purpose=SigningKey.Purpose.DOCUMENTS, **owner).update(active=False)
        key.save()
        audit.record("signing.key_set", key, user=None, agency_code=_agency_code(key),
                     detail={"kind": key.kind, "subject": key.subject, "owner": str(owner)})
    return key


def _agency_code(key: SigningKey) -> str:
    agency = key.agency if key.agency_id else (key.user.agency if key.user_id else None)
    return agency.code if agency else ""


def store_software_key(*, user=None, agency=None, pkcs12: bytes, password: str, keep_password: bool = True,
                       image: bytes = b"", label: str = "") -> SigningKey:
    """Keep a PKCS#12 file, encrypted; its password too when `keep_password` (else asked at signing)."""
    from vpdt.signing.keys import SoftwareKey

    owner = _owner(user, agency)
    opened = SoftwareKey.from_pkcs12(pkcs12, password)  # refuse a wrong password now, not at signing
    key = SigningKey(kind=SigningKey.Kind.SOFTWARE, label=label, subject=opened.subject[:500], image=image,
                     pkcs12_encrypted=_encrypt(pkcs12),
                     password_encrypted=_encrypt(password.encode()) if keep_password else b"", **owner)
    return _replace_active(owner, key)


def store_pkcs11_key(*, user=None, agency=None, lib: str, token_label: str, key_label: str, image: bytes = b"",
                     label: str = "") -> SigningKey:
    owner = _owner(user, agency)
    key = SigningKey(kind=SigningKey.Kind.PKCS11, label=label, pkcs11_lib=lib, token_label=token_label,
                     key_label=key_label, image=image, **owner)
    return _replace_active(owner, key)


def store_remote_key(*, user=None, agency=None, url: str, key_id: str, api_key: str, image: bytes = b"",
                     label: str = "") -> SigningKey:
    owner = _owner(user, agency)
    key = SigningKey(kind=SigningKey.Kind.REMOTE, label=label, remote_url=url, remote_key_id=key_id,
                     remote_api_key_encrypted=_encrypt(api_key.encode()), image=image, **owner)
    return _replace_active(owner, key)


def key_of(*, user=None, agency=None) -> SigningKey | None:
    return SigningKey.objects.filter(active=True, purpose=SigningKey.Purpose.DOCUMENTS, **_owner(user, agency)).first()


def open_signer(key: SigningKey, pin: str | None = None):
    """The `keys` signer for a stored key; `pin` is the token PIN or the PKCS#12 password when not kept."""
    from vpdt.signing import keys

    if key.kind == SigningKey.Kind.SOFTWARE:
        password = _decrypt(key.password_encrypted).decode() if key.password_encrypted else (pin or "")
        return keys.SoftwareKey.from_pkcs12(_decrypt(key.pkcs12_encrypted), password)
    if key.kind == SigningKey.Kind.PKCS11:
        if not pin:
            raise SigningError("KEY_PIN_REQUIRED", "Cần nhập mã PIN của thiết bị ký số.", f"key {key.pk}")
        return keys.Pkcs11Key(key.pkcs11_lib, key.token_label, key.key_label, pin)
    return keys.RemoteSigner(key.remote_url, key.remote_key_id, _decrypt(key.remote_api_key_encrypted).decode())


def _close(signer) -> None:
    close = getattr(signer, "close", None)
    if close:
        close()


def signatures_required(agency) -> bool:
    policy = SigningPolicy.objects.filter(agency=agency).first()
    return bool(policy and policy.require_signatures)


# --- trust store ----------------------------------------------------------------------


def describe_pem(pem: str) -> tuple[str, str, dt.datetime]:
    """(subject, SHA-256 fingerprint, not_after) of the first certificate of a PEM text."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    return cert.subject.rfc4514_string()[:500], cert.fingerprint(hashes.SHA256()).hex(), cert.not_valid_after_utc


def _is_platform_admin(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or getattr(user, "is_platform_admin", False)))


def add_trust_anchor(user, name: str, pem: str) -> TrustAnchor:
    """Trust a root or intermediate CA: the platform admin only (agencies share one trust store)."""
    if not _is_platform_admin(user):
        raise PermissionDenied("Chỉ quản trị hệ thống cấp tỉnh quản lý chứng thư gốc tin cậy.")
    try:
        subject, fingerprint, _ = describe_pem(pem)
    except ValueError as exc:
        raise InvalidInput("Không đọc được chứng thư PEM.", code="BAD_CERTIFICATE", detail=str(exc)) from exc
    anchor, created = TrustAnchor.objects.get_or_create(fingerprint=fingerprint, defaults={"name": name, "pem": pem})
    if not created and not anchor.active:
        anchor.active = True
        anchor.save(update_fields=["active"])
    audit.record("signing.trust_anchor_add", anchor, user=user, detail={"subject": subject, "sha256": fingerprint})
    return anchor


def trust_roots() -> list:
    """The certificates of the active trust anchors (cryptography objects)."""
    from cryptography import x509

    return [x509.load_pem_x509_certificate(a.pem.encode()) for a in TrustAnchor.objects.filter(active=True)]


def _revocation_kwargs() -> dict:
    """CRL files named by VPDT_SIGNING_CRLS (colon separated); fetching CRL/OCSP when VPDT_SIGNING_FETCH=1."""
    paths = [p for p in os.environ.get("VPDT_SIGNING_CRLS", "").split(os.pathsep) if p and os.path.exists(p)]
    return {"crls": paths, "allow_fetching": os.environ.get("VPDT_SIGNING_FETCH") == "1"}


# --- verification ---------------------------------------------------------------------


def is_pdf(name: str, content_type: str = "") -> bool:
    return (content_type or "").split(";")[0].strip().lower() in PDF_TYPES or (name or "").lower().endswith(".pdf")


def _read(blob) -> bytes:
    with blobs.open_blob(blob) as fh:
        return fh.read()


def verify_bytes(data: bytes) -> tuple[str, list[dict], str]:
    from vpdt.signing import pdf

    try:
        reports = pdf.verify_pdf(data, trust_roots=trust_roots(), **_revocation_kwargs())
    except SigningError as exc:
        return SignatureCheck.Overall.UNREADABLE, [], f"{exc.code}: {exc.detail or exc.message}"
    return pdf.overall(reports), [r.as_dict() for r in reports], ""


def verify_attachment(attachment: Attachment) -> SignatureCheck:
    """Verify one PDF file and store the verdict (one row per attachment, replaced on re-check)."""
    if attachment.blob.size > MAX_VERIFY_BYTES:
        overall, signatures, detail = SignatureCheck.Overall.UNREADABLE, [], "file too large to verify"
    else:
        overall, signatures, detail = verify_bytes(_read(attachment.blob))
    check, _ = SignatureCheck.objects.update_or_create(
        attachment=attachment,
        defaults={"document_id": attachment.document_id, "overall": overall, "signatures": signatures,
                  "detail": detail, "checked_at": timezone.now()})
    # Logged against the check, not the document: verifying is not a change of the document.
    audit.record("signing.verify", check, user=None, agency_code=attachment.document.agency.code, detail={
        "document": attachment.document_id, "attachment": attachment.pk, "name": attachment.name, "overall": overall,
        "signers": [s.get("signer_subject", "") for s in signatures]})
    return check


def checks_for(document: Document) -> list[SignatureCheck]:
    return list(SignatureCheck.objects.filter(document=document).select_related("attachment").order_by("attachment_id"))


def can_register(document: Document) -> tuple[bool, str]:
    """An incoming document whose received signatures fail may not be registered without an override."""
    failing = [c for c in checks_for(document) if c.failed]
    if not failing:
        return True, ""
    names = "; ".join(f"{c.attachment.name}: {c.get_overall_display().lower()}" for c in failing)
    return False, (f"Chữ ký số của văn bản không hợp lệ ({names}). Chỉ vào sổ khi đã xác minh với nơi gửi "
                   "và ghi rõ lý do.")


def record_override(user, document: Document, reason: str) -> None:
    """The clerk registers despite failing signatures: the reason goes to the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Cần ghi rõ lý do vẫn vào sổ văn bản có chữ ký số không hợp lệ.", code="REASON_REQUIRED")
    audit.record("signing.override", document, user=user, detail={
        "reason": reason,
        "checks": [{"attachment": c.attachment_id, "name": c.attachment.name, "overall": c.overall}
                   for c in checks_for(document) if c.failed]})


# --- signing in the release chain -----------------------------------------------------


def _title(document: Document, user=None) -> str:
    competence = (document.signer_competence or "").strip()
    position = (document.signer_position or getattr(user, "position", "") or "").strip().upper()
    return "\n".join(p for p in (competence, position) if p) or position


def _no_key(document: Document, who: str, outcome: SigningOutcome) -> SigningOutcome:
    if signatures_required(document.agency):
        raise InvalidState(f"{who} chưa có khóa ký số; cơ quan bắt buộc ký số nên chưa thực hiện được.",
                           code="SIGNING_KEY_MISSING")
    outcome.warnings.append(f"{who} chưa có khóa ký số: văn bản chưa được ký số.")
    return outcome


def sign_as_person(user, document: Document, attachment_or_version, *, pin: str | None = None) -> SigningOutcome:
    """The signer's signature on the approved PDF; a new draft version holds the signed file."""
    outcome = SigningOutcome()
    source = attachment_or_version
    if source is None:
        outcome.warnings.append("Chưa có tệp dự thảo để ký số.")
        return outcome
    if not is_pdf(source.name, source.content_type):
        outcome.warnings.append("Dự thảo là tệp .docx: chưa ký số được. Hãy tải lên bản PDF rồi ký lại.")
        return outcome
    key = key_of(user=user)
    if key is None:
        return _no_key(document, f"Người ký {user.get_full_name() or user.username}", outcome)
    from vpdt.signing import fill, pdf

    data = _read(source.blob)
    try:
        data, _fields = fill.prepare(data)
    except Exception as exc:  # an odd PDF the field writer cannot update: sign it as it is
        outcome.warnings.append("Không tạo được ô điền số và ngày trong tệp PDF; văn bản vẫn được ký.")
        audit.record("signing.prepare_failed", document, user=user, detail={"error": f"{type(exc).__name__}: {exc}"})
    signer = open_signer(key, pin)
    try:
        out = io.BytesIO()
        pdf.sign_as_signer(data, out, signer, signer_name=document.signer_name or user.get_full_name(),
                           title=_title(document, user), image=bytes(key.image) or None,
                           reason="Duyệt ký văn bản", location=document.place or "")
    finally:
        _close(signer)
    stem = os.path.splitext(source.name)[0]
    from vpdt.records import services as records

    outcome.version = records.add_draft_version(
        user, document, io.BytesIO(out.getvalue()), f"{stem}-da-ky.pdf"[:255], content_type="application/pdf",
        note=f"Bản đã ký số của {user.get_full_name() or user.username}")
    outcome.signed = True
    audit.record("signing.sign_person", document, user=user, detail={
        "version": outcome.version.number, "subject": signer.subject, "sha256": outcome.version.blob_id})
    return outcome


def _date_line(document: Document) -> str:
    d = document.issued_date
    return f"{document.place or document.agency.place or ''}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}".lstrip(", ")


def sign_as_agency(user, document: Document, *, pin: str | None = None) -> SigningOutcome:
    """At numbering: fill number and date, the agency's signature (seal), attachments signed too."""
    outcome = SigningOutcome()
    if document.number is None:
        raise InvalidState("Cần cấp số trước khi ký số của cơ quan.", code="NOT_NUMBERED")
    source = document.versions.order_by("-number").first()
    if source is None or not is_pdf(source.name, source.content_type):
        if source is not None:
            outcome.warnings.append("Văn bản là tệp .docx: chưa ký số của cơ quan; số và ngày chưa điền vào tệp.")
        return outcome
    from vpdt.signing import fill, pdf

    data = _read(source.blob)
    try:
        data, filled = fill.fill(data, {
            fill.NUMBER_FIELD: f"Số: {document.code}", fill.DATE_FIELD: _date_line(document)})
    except Exception as exc:
        filled = []
        audit.record("signing.fill_failed", document, user=user, detail={"error": f"{type(exc).__name__}: {exc}"})
    if not filled:
        outcome.warnings.append("Không tìm thấy ô “Số:” và ngày trong tệp PDF: số và ngày chưa được điền vào tệp.")
    key = key_of(agency=document.agency)
    appendices = [a for a in document.attachments.filter(kind=Attachment.Kind.APPENDIX) if is_pdf(a.name, a.content_type)]
    signer = None
    if key is None:
        _no_key(document, f"Cơ quan {document.agency.name}", outcome)
    else:
        signer = open_signer(key, pin)
    try:
        if signer is not None:
            has_signer_signature = bool(pdf.signature_fields(data))
            out = io.BytesIO()
            if has_signer_signature:
                pdf.sign_as_agency(data, out, signer, seal_image=bytes(key.image) or None,
                                   reason="Ban hành văn bản", location=document.place or "")
            else:  # the signer's own signature is missing (no key then): the agency signs like a copy
                pdf.sign_attachment(data, out, signer, code=document.code)
                outcome.warnings.append("Văn bản chưa có chữ ký số của người ký: cơ quan ký ở góc trên bên phải.")
            data = out.getvalue()
            for att in appendices:
                signed = io.BytesIO()
                pdf.sign_attachment(_read(att.blob), signed, signer, code=document.code)
                att.blob = blobs.store_stream(io.BytesIO(signed.getvalue()), max_bytes=1 << 40)
                att.save(update_fields=["blob"])
                verify_attachment(att)
            outcome.signed = True
    finally:
        if signer is not None:
            _close(signer)
    blob = blobs.store_stream(io.BytesIO(data), max_bytes=1 << 40)
    name = f"{document.code.replace('/', '-')}.pdf" if document.code else source.name
    outcome.attachment = Attachment.objects.create(document=document, blob=blob, name=name[:255],
                                                   content_type="application/pdf", kind=Attachment.Kind.MAIN,
                                                   created_by=user)
    audit.record("signing.sign_agency" if outcome.signed else "document.attach", document, user=user, detail={
        "attachment": outcome.attachment.pk, "name": name, "sha256": blob.sha256, "filled": filled,
        "signed": outcome.signed, "appendices_signed": [a.name for a in appendices] if outcome.signed else []})
    verify_attachment(outcome.attachment)
    return outcome


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

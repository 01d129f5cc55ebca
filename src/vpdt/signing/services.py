"""The Django side of digital signatures: keys per person and agency, the trust store,
signing in the release chain, and verification of every PDF an agency receives.

- `sign_as_person` (the signer approves): the last draft, if a PDF, gets two empty number and
  date fields (`fill.prepare`) and the signer's PAdES signature, image between title and name;
  the result is a new draft version. A .docx/.odt draft is signed on its PDF rendition
  (records.renditions, made by LibreOffice); a signer with a key is refused until that rendition
  is ready (without a key the step goes on unsigned, as below).
- `sign_as_agency` (the clerk issues the number): number and date are filled into those fields
  (`fill.fill`, form filling keeps the signer's signature valid), the agency signs with the seal
  over the left third of the signer's image; the result is the document's main attachment.
  PDF appendices get `pdf.sign_attachment` (top right of page 1, "số, ký hiệu" and time).
- Both sign OUTSIDE any transaction (seconds on a token or a remote service) and store the
  signed file as a blob; `record_person_signature` / `record_agency_signature` then write
  the rows inside the caller's short transaction, after checking nothing changed meanwhile.
- A missing key lets the step go on unsigned with a warning, unless the agency's
  `SigningPolicy.require_signatures` is on.
- `verify_received` is the seam from a stored received file to its verification, called
  explicitly after the commit by each path that stores one; `verify_attachment` streams the
  file and stores a `SignatureCheck`; `can_register` refuses failing signatures (modified,
  invalid, revoked, expired) unless the clerk overrides with a reason (audited).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.core.models import Blob
from vpdt.core.prepared import Read, ReferenceRead, attach, known_rows
from vpdt.records.choices import Direction
from vpdt.records.models import Attachment, Document, DraftVersion
from vpdt.signing.errors import SigningError
from vpdt.signing.models import SignatureCheck, SigningKey, SigningPolicy, TrustAnchor

PDF_TYPES = {"application/pdf", "application/x-pdf"}
log = logging.getLogger(__name__)


@dataclass
class SigningOutcome:
    """What a signing step did: the file it produced, and a warning for the person if it could not sign.

    Between the two steps (sign outside the transaction, record inside) it also carries what
    was signed (`source`, `appendix_sources`) and what was produced (`blob`, `appendices`).
    """

    signed: bool = False
    warnings: list[str] = field(default_factory=list)
    version: DraftVersion | None = None
    attachment: Attachment | None = None
    source: tuple | None = None  # (draft version id, blob sha256) that was signed
    appendix_sources: dict = field(default_factory=dict)  # appendix id -> blob sha256 signed
    blob: Blob | None = None  # the signed (or filled) file, stored
    appendices: dict = field(default_factory=dict)  # appendix id -> its signed Blob
    name: str = ""
    subject: str = ""
    filled: list[str] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # audit entries written with the rows
    to_verify: list[Attachment] = field(default_factory=list)
    rendition_of: tuple | None = None  # (version number, name, PDF sha256) when a .docx's rendition was signed


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
    from vpdt.signing import stored_keys
    from vpdt.signing.keys import SoftwareKey

    owner = _owner(user, agency)
    key_cert_chain = stored_keys.load_pkcs12(pkcs12, password)  # refuse a wrong password now, not at signing
    opened = SoftwareKey.from_opened(*key_cert_chain)
    key = SigningKey(kind=SigningKey.Kind.SOFTWARE, label=label, subject=opened.subject[:500], image=image,
                     pkcs12_encrypted=_encrypt(pkcs12),
                     password_encrypted=_encrypt(password.encode()) if keep_password else b"", **owner)
    if keep_password:  # checked just now: the server opens it from its ready form from the start
        pyca_key, cert, others = key_cert_chain
        key.ready_encrypted = stored_keys.seal_ready(pyca_key, [cert, *others], pkcs12)
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


def keys_managed_by(actor):
    """The signing keys an administrator may see: their agency's seal and their people's keys."""
    qs = SigningKey.objects.select_related("user", "agency").order_by("-active", "-created_at")
    if actor.is_superuser or actor.is_platform_admin:
        return qs
    agencies = actor.admin_agency_ids()
    return qs.filter(Q(agency_id__in=agencies) | Q(user__agency_id__in=agencies))


def deactivate_key(actor, key: SigningKey) -> SigningKey:
    """The agency admin (or platform admin) takes a key out of use (lost token, person gone)."""
    if not keys_managed_by(actor).filter(pk=key.pk).exists():
        raise PermissionDenied("Chỉ quản trị cơ quan sở hữu khóa mới được ngừng dùng khóa này.")
    if key.active:
        SigningKey.objects.filter(pk=key.pk).update(active=False)
        key.active = False
        audit.record("signing.key_deactivate", key, user=actor, agency_code=_agency_code(key),
                     detail={"kind": key.kind, "subject": key.subject, "before": {"active": True},
                             "after": {"active": False}})
    return key


def key_of(*, user=None, agency=None) -> SigningKey | None:
    return SigningKey.objects.filter(active=True, purpose=SigningKey.Purpose.DOCUMENTS, **_owner(user, agency)).first()


def open_signer(key: SigningKey, pin: str | None = None):
    """The `keys` signer for a stored key; `pin` is the token PIN or the PKCS#12 password when not kept."""
    from vpdt.signing import keys, stored_keys

    if key.kind == SigningKey.Kind.SOFTWARE:  # from its ready form when the server may use it alone
        return keys.SoftwareKey.from_opened(*stored_keys.open_software(key, pin))
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
    return [_certificate(pem) for (pem,) in _ACTIVE_ANCHORS.rows()]


@functools.lru_cache(maxsize=256)
def _certificate(pem: str):
    """An anchor's certificate, parsed once per process (the PEM is its key: an anchor whose
    certificate changed is another entry). Certificates are immutable objects."""
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.encode())


# Every received file's check reads them (vpdt.core.prepared: the SQL written once; reference
# data, read once per run of the inbox's poll).
_ACTIVE_ANCHORS = ReferenceRead(lambda: TrustAnchor.objects.filter(active=True).values_list("pem"))


def _revocation_kwargs() -> dict:
    """CRL files named by VPDT_SIGNING_CRLS (colon separated); fetching CRL/OCSP when VPDT_SIGNING_FETCH=1."""
    paths = [p for p in os.environ.get("VPDT_SIGNING_CRLS", "").split(os.pathsep) if p and os.path.exists(p)]
    return {"crls": paths, "allow_fetching": os.environ.get("VPDT_SIGNING_FETCH") == "1"}


# --- verification ---------------------------------------------------------------------


def is_pdf(name: str, content_type: str = "") -> bool:
    return (content_type or "").split(";")[0].strip().lower() in PDF_TYPES or (name or "").lower().endswith(".pdf")


def _read(blob) -> bytes:
    """A small blob's bytes (tests, the demo); the services below stream instead."""
    with blobs.open_blob(blob) as fh:
        return fh.read()


@contextlib.contextmanager
def _blob_file(blob) -> Iterator[BinaryIO]:
    """The blob as a seekable file on the local disk, for pyHanko and pypdf to read where they need.

    The local blob store gives the file itself; another backend (S3) is copied in chunks into
    a temporary file first. Never read whole into memory.
    """
    path = blobs.local_path(blob)
    if path is not None:
        with open(path, "rb") as fh:
            yield fh
        return
    with tempfile.TemporaryFile(prefix="vpdt-sign-") as tmp, blobs.open_blob(blob) as src:
        shutil.copyfileobj(src, tmp, blobs.CHUNK)
        tmp.seek(0)
        yield tmp


def verify_file(fh: BinaryIO) -> tuple[str, list[dict], str]:
    """(overall, one dict per signature, detail) of an open PDF file, read by streaming."""
    from vpdt.signing import pdf

    try:
        reports = pdf.verify_pdf(fh, trust_roots=trust_roots(), **_revocation_kwargs())
    except SigningError as exc:
        return SignatureCheck.Overall.UNREADABLE, [], f"{exc.code}: {exc.detail or exc.message}"
    return pdf.overall(reports), [r.as_dict() for r in reports], ""


def verify_bytes(data: bytes) -> tuple[str, list[dict], str]:
    return verify_file(io.BytesIO(data))


def verify_attachment(attachment: Attachment, verdict: tuple[str, list[dict], str] | None = None) -> SignatureCheck:
    """Verify one PDF file and store the verdict (one row per attachment, replaced on re-check).

    Slow for a large file (every byte is hashed): call it after the transaction that stored
    the attachment has committed, never inside it. The file is streamed, never held whole.
    `verdict`: what `verdicts()` found for its bytes before the transaction (only stored here).
    """
    if verdict is None:
        with _blob_file(attachment.blob) as fh:
            verdict = verify_file(fh)
    overall, signatures, detail = verdict
    # One statement, new or replaced (update_or_create: a SELECT, then a savepoint, the INSERT and
    # its release); the row's id comes back with it on both backends.
    check = SignatureCheck(attachment=attachment, document_id=attachment.document_id, overall=overall,
                           signatures=signatures, detail=detail, checked_at=timezone.now())
    SignatureCheck.objects.bulk_create([check], update_conflicts=True, unique_fields=["attachment"],
                                       update_fields=["document", "overall", "signatures", "detail", "checked_at"])
    # Logged against the check, not the document: verifying is not a change of the document.
    audit.record("signing.verify", check, user=None, agency_code=attachment.document.agency.code, detail={
        "document": attachment.document_id, "attachment": attachment.pk, "name": attachment.name, "overall": overall,
        "signers": [s.get("signer_subject", "") for s in signatures]})
    return check


def verify_received(document: Document) -> list[SignatureCheck]:
    """THE seam from a stored received file to its verification: verify each PDF of an incoming
    document that has no verdict yet (an opinion's file is the agency's own, not received).

    Called explicitly, after their transaction has committed, by every path that stores a
    received file: the clerk's upload (workflow.receive_paper) and the interconnection inbox
    (exchange.inbox.ingest_file, also for a reconciled paper registration or an update).
    Until it has run the document page shows "chưa kiểm tra". Idempotent, so a retry or a
    second caller costs nothing; a failure is logged and never loses the received document.
    """
    if document.direction != Direction.INCOMING:
        return []
    checks = []
    for attachment in _UNCHECKED.instances(doc_id=document.pk):
        if not is_pdf(attachment.name, attachment.content_type):
            continue
        try:
            checks.append(verify_attachment(attachment))
        except Exception:  # the page shows "chưa kiểm tra"; the clerk still has the document
            log.exception("signature verification failed for attachment %s", attachment.pk)
    return checks


def verdicts(files: Iterable[tuple[Blob, str, str]]) -> dict[str, tuple[str, list[dict], str]]:
    """Before the transaction that will attach them (blob, declared name, declared type): the
    verdict on each file `verify_received` would check, by blob, so that the transaction only
    records them (`record_received`). A file is read when declared a PDF or when its bytes begin
    as one; one that cannot be read is left out (and verified after the commit, as before)."""
    found: dict[str, tuple[str, list[dict], str]] = {}
    for blob, name, content_type in files:
        if blob.pk in found:
            continue
        try:
            with _blob_file(blob) as fh:
                if is_pdf(name, content_type) or b"%PDF-" in fh.read(1024):
                    fh.seek(0)
                    found[blob.pk] = verify_file(fh)
        except Exception:  # noqa: BLE001 - verified after the commit instead
            log.exception("signature verification of blob %s failed", blob.pk)
    return found


def record_received(document: Document, found: dict[str, tuple[str, list[dict], str]]) -> bool:
    """Inside the transaction that attached a received document's files: store the verdicts
    `verdicts()` found for them (the rows and audit entries commit with the document, no file is
    read). False when a PDF without a verdict is left: `verify_received` after the commit."""
    if document.direction != Direction.INCOMING:
        return True
    complete = True
    for attachment in _unchecked(document):
        if not is_pdf(attachment.name, attachment.content_type):
            continue
        verdict = found.get(attachment.blob_id)
        if verdict is None:
            complete = False
            continue
        verify_attachment(attachment, verdict)
    return complete


def _unchecked(document: Document) -> list[Attachment]:
    """The document's files without a verdict, but an opinion's: read, or, for a document made in
    this very work whose files are known (a new arrival: `records.services` keeps them on it),
    those of them that have none yet."""
    files = known_rows(document, "attachments")
    if files is None:
        return _UNCHECKED.instances(doc_id=document.pk)
    return [a for a in files if a.kind != Attachment.Kind.OPINION and not _has_check(a)]


def _has_check(attachment: Attachment) -> bool:
    """Whether a verdict was made on this object (`verify_attachment`), without a query: a file
    made in this work has no other."""
    rel = Attachment._meta.get_field("signature_check")
    return rel.is_cached(attachment) and rel.get_cached_value(attachment) is not None


# every received document asks it (written out once: vpdt.core.prepared)
_UNCHECKED = Read(lambda doc_id: Attachment.objects.filter(document_id=doc_id).exclude(kind=Attachment.Kind.OPINION)
                  .filter(signature_check__isnull=True).select_related("blob", "document__agency").order_by("id"),
                  doc_id=int)
_CHECKS = Read(lambda doc_id: SignatureCheck.objects.filter(document_id=doc_id).select_related("attachment")
               .order_by("attachment_id"), doc_id=int)  # on every document page (vpdt.core.prepared)


def checks_for(document: Document) -> list[SignatureCheck]:
    return attach(_CHECKS.instances(doc_id=document.pk), document=document)


def can_register(document: Document) -> tuple[bool, str]:
    """An incoming document whose received signatures fail may not be registered without an override."""
    failing = [c for c in checks_for(document) if _blocks(c)]
    if not failing:
        return True, ""
    names = "; ".join(f"{c.attachment.name}: {c.get_overall_display().lower()}" for c in failing)
    if all(c.overall == SignatureCheck.Overall.UNREADABLE for c in failing):
        return False, (f"Không đọc được tệp PDF của văn bản để kiểm tra chữ ký số ({names}). Chỉ vào sổ khi đã "
                       "xác minh với nơi gửi và ghi rõ lý do.")
    return False, (f"Chữ ký số của văn bản không hợp lệ ({names}). Chỉ vào sổ khi đã xác minh với nơi gửi "
                   "và ghi rõ lý do.")


def _blocks(check: SignatureCheck) -> bool:
    """A failing signature blocks registration; so does a PDF no reader could open (it proves
    nothing and may be a file disguised as a PDF): the clerk overrides only with a reason."""
    return check.failed or check.overall == SignatureCheck.Overall.UNREADABLE


def record_override(user, document: Document, reason: str) -> None:
    """The clerk registers despite failing signatures: the reason goes to the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Cần ghi rõ lý do vẫn vào sổ văn bản có chữ ký số không hợp lệ.", code="REASON_REQUIRED")
    audit.record("signing.override", document, user=user, detail={
        "reason": reason,
        "checks": [{"attachment": c.attachment_id, "name": c.attachment.name, "overall": c.overall}
                   for c in checks_for(document) if _blocks(c)]})


# --- signing in the release chain -----------------------------------------------------
#
# A signature takes seconds (a token, a remote service, a timestamp server), so it never
# runs inside a transaction, where it would hold SQLite's write lock for every other writer
# of the agency. Two steps:
# 1. `sign_as_person` / `sign_as_agency`, outside any transaction: the file is streamed from
#    its blob to temporary files, signed, and the signed file stored as a new blob;
# 2. `record_person_signature` / `record_agency_signature`, inside the caller's short
#    transaction: check that what was signed is still the document's current file, then
#    write the rows. If it changed meanwhile: CHANGED_WHILE_SIGNING and nothing is written;
#    the unused blob is harmless (content-addressed, like an upload whose transaction
#    rolled back).
# Then, after the commit, `verify_signed` stores the verdict on each signed file.

CHANGED_WHILE_SIGNING = ("Văn bản đã thay đổi trong lúc ký số (có người vừa sửa hoặc xử lý văn bản này). "
                         "Chưa có gì được lưu: hãy tải lại trang và thực hiện lại.")


def _outside_transactions(what: str) -> None:
    """Refuse to sign inside a transaction (a test case's own wrapping block does not count)."""
    blocks = transaction.get_connection().atomic_blocks
    if any(not getattr(block, "_from_testcase", False) for block in blocks):
        raise RuntimeError(f"{what} must run outside transaction.atomic(): signing would hold the write lock")


def _last_version(document: Document) -> DraftVersion | None:
    return document.versions.order_by("-number").first()


def _source_of(version) -> tuple | None:
    return (version.pk, version.blob_id) if version is not None else None


def signable(version):
    """What is signed for a draft version: the version itself when it is a PDF; for a .docx/.odt
    its PDF rendition (records.renditions), refused while that is not ready; None otherwise."""
    if version is None:
        return None
    if is_pdf(version.name, version.content_type):
        return version
    from vpdt.records import renditions

    if renditions.convertible(version):
        return renditions.for_signing(version)  # InvalidState RENDITION_NOT_READY / RENDITION_FAILED
    return None


def signed_from_rendition(version) -> bool:
    """True when signing `version` signs its PDF rendition (the page says so)."""
    from vpdt.records import renditions

    return version is not None and not is_pdf(version.name, version.content_type) and renditions.convertible(version)


def _pdf_appendices(document: Document) -> list[Attachment]:
    return [a for a in document.attachments.filter(kind=Attachment.Kind.APPENDIX).order_by("id")
            if is_pdf(a.name, a.content_type)]


def _changed(document: Document, outcome: SigningOutcome) -> InvalidState:
    return InvalidState(CHANGED_WHILE_SIGNING, code="CHANGED_WHILE_SIGNING",
                        detail=f"document {document.pk}: signed {outcome.source}, now {_source_of(_last_version(document))}")


def _title(document: Document, user=None) -> str:
    competence = (document.signer_competence or "").strip()
    position = (document.signer_position or getattr(user, "position", "") or "").strip().upper()
    if competence.upper().startswith("Q. "):  # an acting head's title is the competence line itself
        return competence
    return "\n".join(p for p in (competence, position) if p) or position


def title_lines(document: Document, user=None) -> list[str]:
    """The lines of the title block the signature will sit under (competence, position)."""
    return _title(document, user).splitlines()


# --- the signer's competence (vpdt.signing.competence) ----------------------------------


def competence_choices(user, agency) -> list[tuple[str, str]]:
    from vpdt.signing import competence

    return competence.choices(user, agency)


def check_competence(user, agency, value: str | None) -> str:
    """The competence normalized if it fits `user`'s position, else SIGNER_COMPETENCE_MISMATCH."""
    from vpdt.signing import competence

    return competence.check(user, agency, value)


# --- unlocking a person's key for one act of signing ----------------------------------


def unlock_needs(key: SigningKey | None) -> str:
    """What the signer types to sign with `key`: "pin" (a token's PIN, or the password of a
    PKCS#12 file not kept), "otp" (a one-time code: a kept PKCS#12 password or a remote
    service is used only after it), or "" (no key)."""
    if key is None:
        return ""
    return "pin" if key.needs_pin else "otp"


def _unlock(user, document: Document, key: SigningKey, pin: str | None, otp: str | None):
    """The signer for ONE act: a one-time code verified first where the server holds the secret
    (the kept password, the remote API key), the PIN tried on the token or the file otherwise.
    A wrong code or PIN is audited against the document and refused; nothing is signed."""
    from vpdt.directory import mfa

    if unlock_needs(key) == "otp":
        mfa.check_code(user, otp, purpose="signing", target=document)  # audits a failure itself
        return open_signer(key)
    if not pin:
        raise InvalidInput("Nhập mã PIN của thiết bị ký số (hoặc mật khẩu tệp khóa).", code="PIN_REQUIRED")
    try:
        return open_signer(key, pin)
    except SigningError as exc:
        if exc.code not in {"KEY_BAD_PIN", "KEY_BAD_PASSWORD", "KEY_PIN_REQUIRED"}:
            raise
        audit.record("signing.unlock_failed", document, user=user, detail={"key": key.pk, "kind": key.kind,
                                                                           "code": exc.code})
        raise InvalidInput(exc.message, code="PIN_INVALID", detail=exc.detail) from exc


def _no_key(document: Document, who: str, outcome: SigningOutcome) -> SigningOutcome:
    if signatures_required(document.agency):
        raise InvalidState(f"{who} chưa có khóa ký số; cơ quan bắt buộc ký số nên chưa thực hiện được.",
                           code="SIGNING_KEY_MISSING")
    outcome.warnings.append(f"{who} chưa có khóa ký số: văn bản chưa được ký số.")
    return outcome


def _store(fh: BinaryIO):
    fh.seek(0)
    return blobs.store_stream(fh, max_bytes=1 << 40)


def sign_as_person(user, document: Document, attachment_or_version, *, pin: str | None = None,
                   otp: str | None = None) -> SigningOutcome:
    """Step 1 of the signer's approval, outside any transaction: the signer's signature on the
    approved PDF draft, stored as a blob. `record_person_signature` makes it the next draft version.

    Signing is a deliberate act: the key is unlocked for this call only (`_unlock`): `pin` for a
    token or a PKCS#12 file whose password is not kept, `otp` (a one-time code from the signer's
    second factor) before a kept password or a remote service's key is used. The decrypted key
    lives in this call and is dropped after it."""
    _outside_transactions("sign_as_person")
    outcome = SigningOutcome()
    source = attachment_or_version
    if source is None:
        outcome.warnings.append("Chưa có tệp dự thảo để ký số.")
        return outcome
    key = key_of(user=user)
    if key is None:
        return _no_key(document, f"Người ký {user.get_full_name() or user.username}", outcome)
    signed_file = signable(source)  # a .docx is signed on its PDF rendition; refused until it is ready
    if signed_file is None:
        outcome.warnings.append("Dự thảo không phải tệp PDF hay .docx: chưa ký số được. Hãy tải lên bản PDF rồi ký lại.")
        return outcome
    from vpdt.signing import fill, pdf

    outcome.source = _source_of(source)
    signer = _unlock(user, document, key, pin, otp)
    try:
        with (_blob_file(signed_file.blob) as original, tempfile.TemporaryFile() as prepared,
              tempfile.TemporaryFile() as signed):
            data = original
            try:
                if fill.prepare_file(original, prepared):
                    data = prepared
            except Exception as exc:  # an odd PDF the field writer cannot update: sign it as it is
                outcome.warnings.append("Không tạo được ô điền số và ngày trong tệp PDF; văn bản vẫn được ký.")
                outcome.notes.append(("signing.prepare_failed", {"error": f"{type(exc).__name__}: {exc}"}))
            pdf.sign_as_signer(data, signed, signer, signer_name=document.signer_name or user.get_full_name(),
                               title=_title(document, user), image=bytes(key.image) or None,
                               reason="Duyệt ký văn bản", location=document.place or "")
            outcome.blob = _store(signed)
        outcome.subject = signer.subject
    finally:
        _close(signer)
        del signer  # never kept unlocked beyond the act
    outcome.name = f"{os.path.splitext(source.name)[0]}-da-ky.pdf"[:255]
    outcome.signed = True
    if signed_file is not source:
        outcome.rendition_of = (source.number, source.name, signed_file.blob_id)
    return outcome


def record_person_signature(user, document: Document, outcome: SigningOutcome) -> SigningOutcome:
    """Step 2, inside the caller's transaction with the document locked: the signed file becomes
    the next draft version, if the draft that was signed is still the last one."""
    if outcome.blob is None:
        return outcome
    if _source_of(_last_version(document)) != outcome.source:
        raise _changed(document, outcome)
    for action, detail in outcome.notes:
        audit.record(action, document, user=user, detail=detail)
    from vpdt.records import services as records

    note = f"Bản đã ký số của {user.get_full_name() or user.username}"
    detail = {}
    if outcome.rendition_of is not None:
        number, name, rendition_sha = outcome.rendition_of
        note += f", ký trên bản PDF chuyển đổi từ tệp {name} (phiên bản {number})"
        detail = {"rendition_of": {"version": number, "name": name, "sha256": rendition_sha}}
    outcome.version = records.add_draft_version(
        user, document, outcome.blob, outcome.name, content_type="application/pdf", note=note)
    audit.record("signing.sign_person", document, user=user, detail={
        "version": outcome.version.number, "subject": outcome.subject, "sha256": outcome.version.blob_id, **detail})
    return outcome


def _date_line(document: Document, issued: dt.date) -> str:
    d = issued
    return f"{document.place or document.agency.place or ''}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}".lstrip(", ")


def sign_as_agency(user, document: Document, *, code: str | None = None, issued: dt.date | None = None,
                   pin: str | None = None) -> SigningOutcome:
    """Step 1 of numbering, outside any transaction: the number `code` and the date `issued` filled
    into the last draft, the agency's signature (seal), PDF appendices signed too; all stored as blobs.

    The caller passes the number it is about to take (records.numbering.planned_number) and
    compares inside its transaction; a document already numbered signs with its own.
    `record_agency_signature` writes the rows.
    """
    if code is None or issued is None:
        if document.number is None:
            raise InvalidState("Cần cấp số trước khi ký số của cơ quan.", code="NOT_NUMBERED")
        code, issued = document.code, document.issued_date
    outcome = SigningOutcome()
    source = _last_version(document)
    outcome.source = _source_of(source)
    try:
        signed_file = signable(source)  # a .docx approved unsigned (no key): its PDF rendition
    except InvalidState as exc:
        signed_file = None
        outcome.warnings.append(exc.message)
    if signed_file is None:
        if source is not None:
            outcome.warnings.append("Văn bản chưa có bản PDF: chưa ký số của cơ quan; số và ngày chưa điền vào tệp.")
        return outcome
    _outside_transactions("sign_as_agency")  # from here on: files, the token, the TSA (seconds)
    from vpdt.signing import fill, pdf

    key = key_of(agency=document.agency)
    appendices = _pdf_appendices(document)
    outcome.appendix_sources = {a.pk: a.blob_id for a in appendices}
    signer = None
    if key is None:
        _no_key(document, f"Cơ quan {document.agency.name}", outcome)
    else:
        signer = open_signer(key, pin)
    try:
        with (_blob_file(signed_file.blob) as original, tempfile.TemporaryFile() as filled_file,
              tempfile.TemporaryFile() as signed):
            data = original
            try:
                outcome.filled = fill.fill_file(original, filled_file, {
                    fill.NUMBER_FIELD: f"Số: {code}", fill.DATE_FIELD: _date_line(document, issued)})
                if outcome.filled:
                    data = filled_file
            except Exception as exc:
                outcome.filled = []
                outcome.notes.append(("signing.fill_failed", {"error": f"{type(exc).__name__}: {exc}"}))
            if not outcome.filled:
                outcome.warnings.append("Không tìm thấy ô “Số:” và ngày trong tệp PDF: số và ngày chưa được điền vào tệp.")
            if signer is not None:
                if pdf.signature_fields(data):
                    pdf.sign_as_agency(data, signed, signer, seal_image=bytes(key.image) or None,
                                       reason="Ban hành văn bản", location=document.place or "")
                else:  # the signer's own signature is missing (no key then): the agency signs like a copy
                    pdf.sign_attachment(data, signed, signer, code=code)
                    outcome.warnings.append("Văn bản chưa có chữ ký số của người ký: cơ quan ký ở góc trên bên phải.")
                data = signed
                for att in appendices:
                    with _blob_file(att.blob) as appendix, tempfile.TemporaryFile() as signed_appendix:
                        pdf.sign_attachment(appendix, signed_appendix, signer, code=code)
                        outcome.appendices[att.pk] = _store(signed_appendix)
                outcome.signed = True
            outcome.blob = _store(data)
    finally:
        if signer is not None:
            _close(signer)
    outcome.name = (f"{code.replace('/', '-')}.pdf" if code else signed_file.name)[:255]
    return outcome


def record_agency_signature(user, document: Document, outcome: SigningOutcome) -> SigningOutcome:
    """Step 2, inside the caller's transaction with the document numbered and locked: if the draft
    and the appendices signed are still the document's, the signed file becomes its main
    attachment and the appendices take their signed files."""
    if outcome.blob is None:
        return outcome
    if (_source_of(_last_version(document)) != outcome.source
            or {a.pk: a.blob_id for a in _pdf_appendices(document)} != outcome.appendix_sources):
        raise _changed(document, outcome)
    for action, detail in outcome.notes:
        audit.record(action, document, user=user, detail=detail)
    # records' rows change only through records' services (one writer per table)
    from vpdt.records import services as records

    appendices = list(Attachment.objects.filter(pk__in=outcome.appendices).order_by("id"))
    for att in appendices:
        records.replace_attachment_file(user, att, outcome.appendices[att.pk], action="signing.sign_appendix")
    outcome.attachment = records.attach_stored(
        user, document, outcome.blob, outcome.name, content_type="application/pdf", kind=Attachment.Kind.MAIN,
        action="signing.sign_agency" if outcome.signed else "document.attach",
        detail={"filled": outcome.filled, "signed": outcome.signed,
                "appendices_signed": [a.name for a in appendices] if outcome.signed else []})
    outcome.to_verify = [*appendices, outcome.attachment]
    return outcome


def verify_signed(outcome: SigningOutcome | None) -> list[SignatureCheck]:
    """After the commit: the verdict on each file the agency's signing produced (the page shows it)."""
    return [verify_attachment(att) for att in (outcome.to_verify if outcome else [])]


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- closed registers (records.registers.close_register through records.seams) -----------


def seal_register_book(user, agency, src: BinaryIO, dst: BinaryIO, *, label: str, pin: str | None = None) -> str:
    """The agency's seal (the same key that seals documents at numbering) on a closed register's PDF,
    outside any transaction: no image, the text "<label> <time>" at the top right of page 1, as on
    an electronic copy. Returns the signer's certificate subject. No seal, no closing."""
    return seal_agency_pdf(user, agency, src, dst, label=label, pin=pin, field_name="KhoaSo",
                           reason="Khóa sổ đăng ký văn bản", missing_code="REGISTER_SEAL_MISSING",
                           missing="chưa khóa sổ được")


def seal_agency_pdf(user, agency, src: BinaryIO, dst: BinaryIO, *, label: str, field_name: str, reason: str,
                    missing_code: str, missing: str, pin: str | None = None) -> str:
    """The agency's seal on a PDF the system printed (a closed register, an archive transfer
    record), outside any transaction: no image, "<label> <time>" at the top right of page 1.
    Returns the signer's certificate subject. Without the agency's key: InvalidState
    `missing_code`, the message ending with `missing` (what cannot be done)."""
    _outside_transactions("seal_agency_pdf")
    key = key_of(agency=agency)
    if key is None:
        raise InvalidState(f"Cơ quan {agency.name} chưa có khóa ký số (con dấu điện tử) nên {missing}.",
                           code=missing_code)
    from vpdt.signing import pdf

    try:
        signer = open_signer(key, pin)
    except SigningError as exc:
        if exc.code in {"KEY_BAD_PIN", "KEY_BAD_PASSWORD", "KEY_PIN_REQUIRED"}:
            raise InvalidInput(exc.message, code="PIN_INVALID", detail=exc.detail) from exc
        raise InvalidState(exc.message, code=exc.code, detail=exc.detail) from exc
    try:
        pdf.sign_attachment(src, dst, signer, code=label, field_name=field_name, reason=reason,
                            location=agency.place or "")
        return signer.subject
    except SigningError as exc:
        raise InvalidState(exc.message, code=exc.code, detail=exc.detail) from exc
    finally:
        _close(signer)

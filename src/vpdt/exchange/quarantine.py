"""Quarantine of received packages that cannot be taken in (issue 11).

A package whose intake fails for any reason (a zip bomb or another bound crossed while
reading, unreadable XML, a file over the agency's limit, an unexpected error) is recorded
as an InboxItem in state QUARANTINED with its reason; the raw package is kept in the blob
store when within EXCHANGE_QUARANTINE_KEEP_MB (else its first 64 KiB and its SHA-256).
The inbox then acknowledges it `fail` (the hub stops offering it; the sender's sent list
shows the failure) and goes on with the next package.

The agency's administrator (page "Gói tin bị cách ly") and the platform staff (Django
admin) see the list and either retry (the intake runs again from the kept package: on
success the document arrives as any other, status 01 goes back to the sender) or discard.
Both are audited.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vpdt import edxml
from vpdt.core import audit, blobs
from vpdt.core.errors import InvalidState, PermissionDenied, VpdtError
from vpdt.directory.roles import Role
from vpdt.exchange.models import HubConnection, InboxItem
from vpdt.records.actors import interconnection
from vpdt.vxp.client import VxpRemoteError

log = logging.getLogger("vpdt.exchange")
HEAD_BYTES = 64 * 1024
INTAKE_FAILED = "EXCHANGE_INTAKE_FAILED"


def _keep_limit() -> int:
    return int(getattr(settings, "EXCHANGE_QUARANTINE_KEEP_MB", 1024)) * 1024 * 1024


def reason_of(exc: BaseException) -> tuple[str, str]:
    """(code, text) of why a package could not be taken in: Vietnamese first, then the detail."""
    if isinstance(exc, edxml.EdxmlError):
        where = f" ({exc.path})" if exc.path else ""
        return exc.code, f"{exc.message}{where}. {exc.detail}".strip()
    if isinstance(exc, VpdtError):
        return exc.code, f"{exc.message} {exc.detail}".strip()
    if isinstance(exc, VxpRemoteError):
        return f"VXP_{exc.code}", f"Trục liên thông không trả được gói tin: {exc.description}"
    return INTAKE_FAILED, f"Lỗi không lường trước khi tiếp nhận gói tin. {type(exc).__name__}: {exc}"


def _keep(path: str) -> tuple[object | None, object | None, str, int | None]:
    """(whole package blob or None, head blob or None, sha256, size) of the fetched file."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None, None, "", None
    if size <= _keep_limit():
        blob = blobs.store_path(path, max_bytes=_keep_limit())
        return blob, None, blob.sha256, size
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        digest.update(head)
        while chunk := fh.read(blobs.CHUNK):
            digest.update(chunk)
    return None, blobs.store_stream(io.BytesIO(head), max_bytes=HEAD_BYTES), digest.hexdigest(), size


def record(connection: HubConnection, hub_doc_id: str, path: str, exc: BaseException, *, to_code: str = "",
           from_code: str = "", message_type: str = "edoc", agency=None, item: InboxItem | None = None,
           keep: bool = True) -> InboxItem:
    """Quarantine one package (a new InboxItem, or `item` again after a failed retry).

    `keep=False` when there is nothing to keep (the hub could not hand the package over)."""
    code, text = reason_of(exc)
    try:
        package, head, sha, size = _keep(path) if keep else (None, None, "", None)
    except Exception:  # noqa: BLE001 - keeping a copy must not make the quarantine fail
        log.exception("exchange: could not keep quarantined package %s", hub_doc_id)
        package, head, sha, size = None, None, "", None
    fields = {"outcome": InboxItem.QUARANTINED, "reason_code": code[:60], "detail": text[:4000],
              "package_sha256": sha, "package_size": size, "resolved_at": None, "resolved_by": None}
    if package is not None:
        fields["package"] = package
    if head is not None:
        fields["package_head"] = head
    with transaction.atomic():
        if item is not None:
            for name, value in fields.items():
                setattr(item, name, value)
            item.document = None
            item.attempts += 1
            item.save()
        else:
            item, created = InboxItem.objects.get_or_create(
                connection=connection, hub_doc_id=hub_doc_id,
                defaults={**fields, "agency": agency, "message_type": message_type or "edoc",
                          "from_code": (from_code or "").strip('"')[:40]})
            if not created:
                return item  # recorded meanwhile by another worker
        audit.record("exchange.quarantined", item, user=interconnection(agency) if agency else None,
                     agency_code=agency.code if agency else "",
                     detail={"hub_doc_id": hub_doc_id, "reason": code, "detail": text[:500],
                             "sha256": sha, "size": size, "attempt": item.attempts})
    log.warning("exchange: package %s quarantined: %s %s", hub_doc_id, code, text[:300])
    return item


def visible_to(user):
    """The quarantined packages `user` may see and act on: the agency admin's agency's;
    the platform staff see all (also through the Django admin)."""
    items = InboxItem.objects.filter(outcome=InboxItem.QUARANTINED).select_related("agency")
    if getattr(user, "is_staff", False):
        return items
    if user.agency_id and user.has_role(Role.AGENCY_ADMIN, user.agency_id):
        return items.filter(agency_id=user.agency_id)
    return items.none()


def _check(user, item: InboxItem) -> None:
    if not visible_to(user).filter(pk=item.pk).exists():
        if item.outcome != InboxItem.QUARANTINED:
            raise InvalidState("Gói tin này không còn trong danh sách cách ly.",
                               code="EXCHANGE_NOT_QUARANTINED", detail=f"inbox item {item.pk}: {item.outcome}")
        raise PermissionDenied("Bạn không có quyền xử lý gói tin bị cách ly này.",
                               detail=f"inbox item {item.pk}")


def retry(user, item: InboxItem) -> InboxItem:
    """Run the intake again from the kept package; the item leaves quarantine on success."""
    from vpdt.exchange import inbox, outbox

    _check(user, item)
    if item.package_id is None:
        raise InvalidState("Gói tin quá lớn nên không được giữ lại, không thể tiếp nhận lại; hãy bỏ gói tin "
                           "và đề nghị nơi gửi gửi lại.", code="EXCHANGE_QUARANTINE_NOT_KEPT",
                           detail=f"inbox item {item.pk}: only the head and sha256 {item.package_sha256} kept")
    reason = item.reason_code
    with outbox.package_path(item.package) as kept:
        # The intake may unlink nothing of ours: it reads a copy in the spool.
        fd, path = tempfile.mkstemp(dir=inbox._spool_dir(), prefix="in-retry-", suffix=".edxml")
        try:
            with os.fdopen(fd, "wb") as dst, open(kept, "rb") as src:
                while chunk := src.read(blobs.CHUNK):
                    dst.write(chunk)
            result = inbox.ingest_file(item.connection, item.hub_doc_id, path, to_code=item.agency.code
                                       if item.agency else "", message_type=item.message_type,
                                       from_code=item.from_code, retry_of=item)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    if result.outcome != InboxItem.QUARANTINED:
        InboxItem.objects.filter(pk=result.pk).update(resolved_at=timezone.now(), resolved_by=user)
    result.refresh_from_db()
    audit.record("exchange.quarantine_retried", result, user=user,
                 detail={"hub_doc_id": result.hub_doc_id, "previous_reason": reason, "outcome": result.outcome,
                         "reason": result.reason_code, "document": result.document_id})
    return result


def discard(user, item: InboxItem) -> InboxItem:
    """Give up on a quarantined package: it stays recorded (reason, sender, copy) as discarded."""
    _check(user, item)
    with transaction.atomic():
        updated = InboxItem.objects.filter(pk=item.pk, outcome=InboxItem.QUARANTINED).update(
            outcome=InboxItem.DISCARDED, resolved_at=timezone.now(), resolved_by=user)
        if not updated:
            raise InvalidState("Gói tin này không còn trong danh sách cách ly.", code="EXCHANGE_NOT_QUARANTINED",
                               detail=f"inbox item {item.pk}")
        item.refresh_from_db()
        audit.record("exchange.quarantine_discarded", item, user=user,
                     detail={"hub_doc_id": item.hub_doc_id, "reason": item.reason_code, "from": item.from_code,
                             "sha256": item.package_sha256})
    return item

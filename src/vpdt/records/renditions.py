"""The PDF rendition of a .docx/.odt draft version: made by LibreOffice (core.office) in the
background job `records.convert`, shown in the page's viewer, signed in place of the .docx.

- `queue(version)`: inside `add_draft_version`'s transaction, a convertible clean version gets
  its Rendition row (waiting); the job is woken when the transaction commits.
- `convert_next()`: the job's one step. It leases the oldest due row (waiting, or converting
  whose lease ran out: a killed worker), converts OUTSIDE any transaction (seconds), stores the
  PDF as a blob (hashed, content-addressed; the original version is never touched), judged by
  its bytes like any file, then marks the row ready or failed in a short transaction.
- `for_signing(version)`: the rendition a signature goes on, or a clear refusal while it is
  not ready.

Versions stored before renditions existed get their row from the job too (`_backfill`), for
documents still being drafted.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpdt.core import audit, blobs, filetypes, office, tasks
from vpdt.core.errors import InvalidState, PermissionDenied
from vpdt.records.models import DraftVersion, Rendition
from vpdt.records.permissions import can_view

log = logging.getLogger(__name__)

JOB = "records.convert"
MAX_ATTEMPTS = 3
# What a person reads for each failure (the code stays for systems and the admin).
REASONS = {
    "CONVERT_TIMEOUT": _("Chuyển sang PDF quá thời gian cho phép: tệp quá lớn hoặc quá phức tạp."),
    "CONVERT_UNREADABLE": _("LibreOffice không đọc được tệp này (tệp hỏng hoặc không đúng định dạng "
                            "Word/OpenDocument)."),
    "CONVERT_UNAVAILABLE": _("Máy chủ chưa cài LibreOffice nên chưa chuyển được tệp sang PDF."),
    "CONVERT_NOT_PDF": _("Bản chuyển đổi không phải tệp PDF hợp lệ."),
    "CONVERT_ABANDONED": _("Chuyển đổi bị gián đoạn nhiều lần."),
}


def convertible(version: DraftVersion) -> bool:
    return version.file_kind in office.CONVERTIBLE_KINDS and not version.flag


def queue(version: DraftVersion) -> Rendition | None:
    """Called by records.services.add_draft_version in its transaction: a waiting rendition."""
    if not convertible(version):
        return None
    rendition, _created = Rendition.objects.get_or_create(version=version)
    transaction.on_commit(lambda: tasks.wake(JOB))
    return rendition


def reason(rendition: Rendition | None) -> str:
    """The Vietnamese reason of a failed rendition, for the page."""
    if rendition is None or rendition.state != Rendition.State.FAILED:
        return ""
    return str(REASONS.get(rendition.error_code, REASONS["CONVERT_UNREADABLE"]))


def _backfill(limit: int = 20) -> int:
    """Convertible versions of documents still in drafting that have no rendition row yet."""
    from vpdt.records.choices import State

    missing = (DraftVersion.objects.filter(file_kind__in=office.CONVERTIBLE_KINDS, flag="", rendition__isnull=True,
                                           document__number__isnull=True,
                                           document__state__in=[State.DRAFT, State.SENT_BACK, State.IN_REVIEW])
               .order_by("pk")[:limit])
    made = 0
    for version in missing:
        _row, created = Rendition.objects.get_or_create(version=version)
        made += created
    return made


def _lease() -> Rendition | None:
    """Take the oldest due row: waiting, or converting with its lease run out. None when idle."""
    now = timezone.now()
    lease = dt.timedelta(seconds=office.timeout_seconds() + 60)
    for due in (Rendition.objects.filter(state__in=[Rendition.State.WAITING, Rendition.State.CONVERTING])
                .exclude(state=Rendition.State.CONVERTING, lease_until__gt=now).order_by("pk")[:5]):
        # Taken only if nobody took it meanwhile (the same state and attempt count): one worker wins.
        taken = Rendition.objects.filter(pk=due.pk, state=due.state, attempts=due.attempts).update(
            state=Rendition.State.CONVERTING, lease_until=now + lease, attempts=due.attempts + 1)
        if taken:
            due.state, due.lease_until, due.attempts = Rendition.State.CONVERTING, now + lease, due.attempts + 1
            return due
    return None


def _finish(rendition: Rendition, *, blob=None, code: str = "", detail: str = "",
            seconds: float | None = None) -> Rendition | None:
    with transaction.atomic():
        locked = Rendition.objects.select_for_update().select_related("version__document__agency").filter(
            pk=rendition.pk).first()
        if locked is None:  # the draft went away meanwhile: nothing to record (the blob is harmless)
            return None
        if locked.state != Rendition.State.CONVERTING or locked.attempts != rendition.attempts:
            return locked  # another worker took it over after our lease ran out: its result stands
        locked.state = Rendition.State.READY if blob is not None else Rendition.State.FAILED
        locked.blob, locked.error_code, locked.error_detail = blob, code, detail[:2000]
        locked.seconds, locked.finished_at, locked.lease_until = seconds, timezone.now(), None
        locked.save(update_fields=["state", "blob", "error_code", "error_detail", "seconds", "finished_at",
                                   "lease_until"])
        document = locked.version.document
        # Logged against the rendition, not the document: the document did not change.
        audit.record("records.rendition", locked, user=None, agency_code=document.agency.code, detail={
            "document": document.pk, "version": locked.version.number, "state": locked.state,
            "sha256": blob.sha256 if blob is not None else "", "code": code,
            "seconds": round(seconds, 2) if seconds is not None else None})
    return locked


def convert(rendition: Rendition) -> Rendition | None:
    """Convert one leased rendition (outside any transaction) and record the outcome."""
    version = DraftVersion.objects.select_related("blob").filter(pk=rendition.version_id).first()
    if version is None:
        return None
    if rendition.attempts > MAX_ATTEMPTS:
        return _finish(rendition, code="CONVERT_ABANDONED", detail=f"{rendition.attempts - 1} attempts interrupted")
    with tempfile.TemporaryDirectory(prefix="vpdt-convert-") as work:
        try:
            with filetypes.local_copy(version.blob) as source:
                done = office.to_pdf(source, work, kind=version.file_kind)
            decided = filetypes.identify(done.path)
            if decided.kind != "pdf" or decided.active_content:
                return _finish(rendition, code="CONVERT_NOT_PDF", detail=f"{decided.kind}: {decided.detail}"[:500])
            with open(done.path, "rb") as fh:
                blob = blobs.store_stream(fh, max_bytes=1 << 40)
        except office.ConversionFailed as exc:
            log.info("conversion of draft version %s failed: %s %s", version.pk, exc.code, exc.detail)
            return _finish(rendition, code=exc.code, detail=exc.detail)
        except filetypes.FileRefused as exc:
            return _finish(rendition, code="CONVERT_NOT_PDF", detail=f"{exc.code}: {exc.detail}"[:500])
    return _finish(rendition, blob=blob, seconds=done.seconds)


def convert_next() -> int:
    """The job's step: 1 when a rendition was handled (run again at once), 0 when idle."""
    _backfill()
    rendition = _lease()
    if rendition is None:
        return 0
    convert(rendition)
    return 1


def retry(user, version: DraftVersion) -> Rendition:
    """A failed rendition is tried again (LibreOffice installed since, a transient failure)."""
    if not can_view(user, version.document):
        raise PermissionDenied("Bạn không có quyền với dự thảo này.")
    with transaction.atomic():
        rendition = Rendition.objects.select_for_update().filter(version=version).first()
        if rendition is None or rendition.state != Rendition.State.FAILED:
            raise InvalidState("Chỉ chuyển đổi lại bản PDF chưa chuyển được.", code="RENDITION_NOT_FAILED")
        rendition.state, rendition.attempts, rendition.error_code, rendition.error_detail = (
            Rendition.State.WAITING, 0, "", "")
        rendition.save(update_fields=["state", "attempts", "error_code", "error_detail"])
        audit.record("records.rendition_retry", rendition, user=user, agency_code=version.document.agency.code,
                     detail={"document": version.document_id, "version": version.number})
        transaction.on_commit(lambda: tasks.wake(JOB))
    return rendition


NOT_READY = _("Bản PDF chuyển đổi từ tệp %(kind)s chưa sẵn sàng (%(state)s): chưa ký được. Hãy chờ ít phút "
              "rồi thực hiện lại.")
FAILED = _("Không chuyển được tệp %(kind)s sang PDF (%(reason)s): chưa ký được. Hãy tải lên bản dự thảo đã "
           "sửa hoặc bản PDF.")


def for_signing(version: DraftVersion) -> Rendition:
    """The ready rendition of a .docx/.odt version; InvalidState RENDITION_NOT_READY otherwise."""
    rendition = Rendition.objects.filter(version=version).select_related("blob").first()
    kind = f".{version.file_kind}"
    if rendition is not None and rendition.viewable:
        return rendition
    if rendition is not None and rendition.state == Rendition.State.FAILED:
        raise InvalidState(str(FAILED) % {"kind": kind, "reason": reason(rendition).rstrip(".")},
                           code="RENDITION_FAILED", detail=rendition.error_code)
    state = rendition.get_state_display() if rendition is not None else Rendition.State.WAITING.label
    raise InvalidState(str(NOT_READY) % {"kind": kind, "state": str(state)}, code="RENDITION_NOT_READY")

"""The search's services: rebuild and check the index (`vpdt manage rebuild_search_index`), and
the text of files (`queue_text`, the job `search.text`, `text_status`)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from vpdt.core import audit, tasks
from vpdt.core.prepared import Insert, Read, Update
from vpdt.core.text import fold
from vpdt.search import extract as extraction
from vpdt.search import schema
from vpdt.search.models import FileText

CHUNK = 5000


# A file's text row, written with every new file: its INSERT written once (vpdt.core.prepared.Insert).
_NEW_TEXT = Insert(FileText)


def refold(using: str = "default") -> int:
    """Recompute subject_folded where it differs from fold(subject) (a queryset.update()
    that changed the subject skips Document.save); returns how many rows were fixed.
    records writes the column (records.services.refold_subjects)."""
    from vpdt.records.services import refold_subjects

    return refold_subjects(using, chunk=CHUNK)


def stale_folds(using: str = "default", limit: int = 20) -> list[int]:
    """Ids whose subject_folded is not fold(subject) (a full pass over the table)."""
    from vpdt.records.models import Document

    found: list[int] = []
    last = 0
    while len(found) < limit:
        rows = list(Document.objects.using(using).filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "subject", "subject_folded")[:CHUNK])
        if not rows:
            break
        found += [pk for pk, subject, folded in rows if fold(subject) != folded]
        last = rows[-1][0]
    return found[:limit]


def rebuild_index(using: str = "default", *, refold_subjects: bool = False) -> dict:
    connection = connections[using]
    fixed = refold(using) if refold_subjects else 0
    with transaction.atomic(using=using):
        repaired = schema.ensure(connection)
        schema.rebuild(connection)
    texts = rebuild_document_texts(using)
    return {"refolded": fixed, "repaired": repaired, "document_texts": texts, "problems": schema.problems(connection)}


def rebuild_document_texts(using: str = "default") -> int:
    """search.DocumentText made again from what every document holds now (its summary, note,
    recipients, opinions: a bulk write or a restore that bypassed the signals leaves it stale),
    then its index rebuilt (SQLite FTS5). Chunk by chunk, each in its own transaction; returns how
    many rows were written, changed or removed."""
    from vpdt.records.models import Document
    from vpdt.search.models import DocumentText

    changed = 0
    last = 0
    while True:
        ids = list(Document.objects.using(using).filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        last = ids[-1]
        wanted = {pk: fold("\n".join(texts)) for pk, texts in words_of(ids, using).items()}
        wanted = {pk: folded for pk, folded in wanted.items() if folded}
        with transaction.atomic(using=using):
            have = dict(DocumentText.objects.using(using).filter(document_id__in=ids)
                        .values_list("document_id", "text_folded"))
            gone = [pk for pk in have if pk not in wanted]
            DocumentText.objects.using(using).filter(document_id__in=gone).delete()
            stale = [DocumentText(document_id=pk, text_folded=folded) for pk, folded in wanted.items()
                     if pk in have and have[pk] != folded]
            DocumentText.objects.using(using).bulk_update(stale, ["text_folded"], batch_size=1000)
            new = [DocumentText(document_id=pk, text_folded=folded) for pk, folded in wanted.items() if pk not in have]
            DocumentText.objects.using(using).bulk_create(new, batch_size=1000)
        changed += len(gone) + len(stale) + len(new)
    connection = connections[using]
    if connection.vendor == "sqlite":
        with transaction.atomic(using=using):
            schema.install_document_text_index(connection)  # the table, its triggers, and 'rebuild'
    return changed


def check_index(using: str = "default", *, deep: bool = False) -> list[str]:
    """Empty when the index matches records_document; `deep` also re-folds every subject."""
    problems = schema.problems(connections[using])
    if deep:
        stale = stale_folds(using)
        if stale:
            problems.append(f"subject_folded is stale for documents {stale}: run with --refold")
    return problems


# --- the text of files (issue 15) -----------------------------------------------------------
#
# `queue_text(file)` is the one entry point: records' attachments and draft versions call it
# through a post_save signal (apps.py), the importer may call it directly, and rows written by
# bulk SQL are found by `backfill` (the text job past the newest file with a row, the hourly
# job search.backfill through all of them). The job `search.text` takes one due row at a time
# (leased: a killed worker's row becomes due again), extracts OUTSIDE any transaction, then
# records the outcome in a short one. The file is only read.

log = logging.getLogger(__name__)

JOB = "search.text"
MAX_ATTEMPTS = 3
BACKFILL = 200


def _owner(file) -> dict:
    from vpdt.records.models import Attachment

    return {"attachment": file} if isinstance(file, Attachment) else {"version": file}


def queue_text(file, *, new: bool = False) -> FileText:
    """An Attachment or a DraftVersion gets its text extracted in the background: its FileText row
    is made pending (or made pending again if the file's bytes changed), and the job is woken when
    the current transaction commits. Safe to call twice. `new`: the file's row was inserted just now
    (its post_save), so it has no FileText yet: one INSERT, without get_or_create's look first and
    savepoint around it."""
    if new:
        same = _TEXT_OF.instance(sha=file.blob_id) if _seen_before(file) else None
        if same is not None:
            return _copied_at_once(file, same)
        row = _NEW_TEXT.create(**_owner(file), document_id=file.document_id, blob_id=file.blob_id,
                               file_kind=file.file_kind or "")
        transaction.on_commit(lambda: tasks.wake(JOB))
        return row
    row, created = FileText.objects.get_or_create(
        **_owner(file), defaults={"document_id": file.document_id, "blob_id": file.blob_id,
                                  "file_kind": file.file_kind or ""})
    if not created and row.blob_id != file.blob_id:
        row.blob_id, row.file_kind, row.document_id = file.blob_id, file.file_kind or "", file.document_id
        row.state, row.attempts, row.text, row.text_folded, row.method = FileText.State.PENDING, 0, "", "", ""
        row.error_code = row.error_detail = ""
        row.save()
    transaction.on_commit(lambda: tasks.wake(JOB))
    return row


def _seen_before(file) -> bool:
    """Whether the file's bytes may have been read before: not when its blob was stored just now
    as bytes the store did not hold (core.blobs marks it), so that a new file costs no look."""
    blob = type(file).blob.field.get_cached_value(file, None)
    return getattr(blob, "seen_before", True)


def _copied_at_once(file, same: FileText) -> FileText:
    """A new file whose bytes were read already (the same file received by several agencies of
    this e-office, or attached again): its row is written done, with that text, in the file's own
    transaction, as the job would have copied it later (audited as the job audits its outcome)."""
    row = _NEW_TEXT.create(
        **_owner(file), document_id=file.document_id, blob_id=file.blob_id, file_kind=file.file_kind or "",
        state=FileText.State.DONE, seconds=0.0, finished_at=timezone.now(),
        **{name: getattr(same, name) for name in _COPIED})
    _audit_outcome(row, _agency_code(file))
    return row


# What a copy of a text already read takes from it.
_COPIED = ("method", "pages", "ocr_pages", "truncated", "text", "text_folded")


def _audit_outcome(row: FileText, agency_code: str, code: str = "") -> None:
    """A text row's outcome, audited against the row: the document and its file did not change."""
    audit.record("search.file_text", row, user=None, agency_code=agency_code, detail={
        "document": row.document_id, "attachment": row.attachment_id, "version": row.version_id,
        "sha256": row.blob_id, "state": row.state, "method": row.method, "pages": row.pages,
        "ocr_pages": row.ocr_pages, "code": code})


def _agency_code(file) -> str:
    """The code of the agency whose document the file is in (the objects in hand, else one read)."""
    document = type(file).document.field.get_cached_value(file, None)
    agency = type(document).agency.field.get_cached_value(document, None) if document is not None else None
    if agency is not None:
        return agency.code
    return _AGENCY_CODE.scalar(pk=file.document_id) or ""


# What a new file asks when its bytes were stored before (vpdt.core.prepared: the SQL written once).
_TEXT_OF = Read(lambda sha: FileText.objects.filter(blob_id=sha, state=FileText.State.DONE).order_by("pk")[:1],
                sha=str)


def _agency_code_of(pk):
    from vpdt.records.models import Document

    return Document.objects.filter(pk=pk).values_list("agency__code")[:1]


_AGENCY_CODE = Read(_agency_code_of, pk=int)


def backfill(limit: int = BACKFILL, *, sweep: bool = False) -> int:
    """Files written without the signal (bulk SQL) get their pending row; returns how many.

    The text job's idle step looks only past the newest file that has a row: an index range
    (the primary key past a bound read from the unique index of FileText's file), whatever the
    tables' size. Looking through the whole tables (an anti-join over every file: 0.45 s with a
    million attachments, at the end of every drain of the job) is `sweep=True`, the hourly job
    `search.backfill`'s: files older than the newest with a row (written before the search
    existed, or by bulk SQL while other files were attached)."""
    from vpdt.records.models import Attachment, DraftVersion

    made = 0
    for model, field in ((Attachment, "attachment_id"), (DraftVersion, "version_id")):
        if sweep:
            files = model.objects.filter(file_text__isnull=True).order_by("pk")[:limit]
        else:
            # Read first, as a value: with the bound as a subquery the planner cannot tell how
            # many files lie past it and hash-joins every row of both tables (0.28 s at a million).
            newest = _NEWEST[field].scalar()
            newest = -1 if newest is None else newest  # no row yet: every file (ids are positive)
            files = _PAST[field].instances(newest=newest) if limit == BACKFILL else \
                model.objects.filter(file_text__isnull=True, pk__gt=newest).order_by("pk")[:limit]
        rows = [_row_for(f) for f in files]
        if rows:
            made += len(FileText.objects.bulk_create(rows, ignore_conflicts=True))
    return made


def _row_for(file) -> FileText:
    return FileText(**_owner(file), document_id=file.document_id, blob_id=file.blob_id, file_kind=file.file_kind or "")


def _newest(field: str) -> Read:
    # MAX(field) as the newest row in the field's order (NULLs left out): the same answer, from
    # the field's unique index on both backends, and a shape a prepared read takes.
    return Read(lambda: FileText.objects.filter(**{f"{field}__isnull": False}).order_by(f"-{field}")
                .values_list(field)[:1])


def _past(model_name: str) -> Read:
    def build(newest):
        from vpdt.records import models

        return getattr(models, model_name).objects.filter(file_text__isnull=True, pk__gt=newest).order_by("pk")[
            :BACKFILL]
    return Read(build, newest=int)


# The text job's idle step, at the end of every drain (vpdt.core.prepared: the SQL written once).
_NEWEST = {"attachment_id": _newest("attachment_id"), "version_id": _newest("version_id")}
_PAST = {"attachment_id": _past("Attachment"), "version_id": _past("DraftVersion")}


def sweep(limit: int = BACKFILL) -> int:
    """The job `search.backfill`: files without a row anywhere in the tables get one (up to
    `limit` of each kind per run); the text job is woken for them."""
    made = backfill(limit, sweep=True)
    if made:
        transaction.on_commit(lambda: tasks.wake(JOB))
    return made


def _lease() -> FileText | None:
    """The oldest due row, leased to this worker (a killed worker's row is due again when its
    lease runs out), read with its blob: two statements. The UPDATE takes it only as it was read
    (state, attempts, bytes): a row queued again or taken by another worker meanwhile is left."""
    now = timezone.now()
    lease = dt.timedelta(seconds=extraction.limit("VPDT_OCR_TIMEOUT", 120) * 4 + 60)
    for due in _DUE.instances(now=now):
        leased = {"state": FileText.State.WORKING, "lease_until": now + lease, "attempts": due.attempts + 1}
        if _LEASE.run(pk=due.pk, state=due.state, attempts=due.attempts, sha=due.blob_id, until=now + lease):
            for name, value in leased.items():
                setattr(due, name, value)
            return due
    return None


# What every file's extraction reads (vpdt.core.prepared: the SQL written once).
_DUE = Read(lambda now: FileText.objects.filter(state__in=[FileText.State.PENDING, FileText.State.WORKING])
            .exclude(state=FileText.State.WORKING, lease_until__gt=now).order_by("state", "pk")
            .select_related("blob").defer("text", "text_folded")[:5], now=dt.datetime)
_LEASE = Update(lambda pk, state, attempts, sha, until: (
    FileText.objects.filter(pk=pk, state=state, attempts=attempts, blob_id=sha),
    {"state": FileText.State.WORKING, "lease_until": until, "attempts": F("attempts") + 1}),
    pk=int, state=str, attempts=int, sha=str, until=dt.datetime)
# the document's agency (the entry names it) read with the row
_LOCKED = Read(lambda pk: FileText.objects.select_for_update(of=("self",)).filter(pk=pk)
               .annotate(agency_code=F("document__agency__code")).order_by("pk")[:1], pk=int)
_SAME = Read(lambda sha, pk: FileText.objects.filter(blob_id=sha, state=FileText.State.DONE).exclude(pk=pk)
             .order_by("pk")[:1], sha=str, pk=int)


def _finish(row: FileText, *, result: extraction.Extracted | None = None, copied: FileText | None = None,
            code: str = "", detail: str = "", seconds: float | None = None) -> FileText | None:
    with transaction.atomic():
        locked = _LOCKED.instance(pk=row.pk)
        if locked is None or locked.state != FileText.State.WORKING or locked.attempts != row.attempts \
                or locked.blob_id != row.blob_id:
            return locked  # gone, taken over after our lease ran out, or the file changed meanwhile
        if copied is not None:
            for name in _COPIED:
                setattr(locked, name, getattr(copied, name))
            locked.state, locked.error_code, locked.error_detail = FileText.State.DONE, "", ""
        elif result is not None:
            locked.state, locked.method = FileText.State.DONE, result.method
            locked.pages, locked.ocr_pages, locked.truncated = result.pages, result.ocr_pages, result.truncated
            locked.text = result.text
            locked.text_folded = fold(locked.text)
            locked.error_code = locked.error_detail = ""
        else:
            locked.state, locked.error_code, locked.error_detail = FileText.State.FAILED, code, detail[:2000]
        locked.seconds, locked.finished_at, locked.lease_until = seconds, timezone.now(), None
        locked.save()
        _audit_outcome(locked, locked.agency_code or "", code)
    return locked


def extract_one(row: FileText) -> FileText | None:
    """Extract one leased row (outside any transaction) and record the outcome."""
    from vpdt.core import filetypes

    if row.attempts > MAX_ATTEMPTS:
        return _finish(row, code="TEXT_ABANDONED", detail=f"{row.attempts - 1} attempts interrupted")
    same = _SAME.instance(sha=row.blob_id, pk=row.pk)
    if same is not None:  # the same bytes attached elsewhere: their text is this file's text
        return _finish(row, copied=same, seconds=0.0)
    if not extraction.extractable(row.file_kind):
        return _finish(row, result=extraction.Extracted(method="skipped"), seconds=0.0)
    started = time.monotonic()
    try:
        with filetypes.local_copy(row.blob) as path:
            result = extraction.extract(path, row.file_kind)
    except extraction.ExtractFailed as exc:
        log.info("text of blob %s failed: %s %s", row.blob_id, exc.code, exc.detail)
        return _finish(row, code=exc.code, detail=exc.detail, seconds=time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - a library's surprise on a hostile file: failed, not retried forever
        log.warning("text of blob %s failed", row.blob_id, exc_info=True)
        return _finish(row, code="TEXT_UNREADABLE", detail=f"{type(exc).__name__}: {exc}"[:500],
                       seconds=time.monotonic() - started)
    return _finish(row, result=result, seconds=time.monotonic() - started)


def _lease_or_backfill(*, sweep: bool = False) -> FileText | None:
    """The next due row; only when none is due, the files written without the signal get their
    rows (`backfill`: past the newest file with a row, or with `sweep` all of them)."""
    row = _lease()
    if row is None and backfill(sweep=sweep):
        row = _lease()
    return row


def extract_next() -> int:
    """The job's step: 1 when a file was handled (run again at once), 0 when idle."""
    row = _lease_or_backfill()
    if row is None:
        return 0
    extract_one(row)
    return 1


def drain(limit: int | None = None) -> int:
    """Extract every due file now (tests, `vpdt manage search_text --drain`); returns how many."""
    done = 0
    while limit is None or done < limit:
        row = _lease_or_backfill(sweep=True)
        if row is None:
            break
        extract_one(row)
        done += 1
    return done


def text_status() -> dict:
    """How many files are pending, being read, done, failed; and how many were OCR'd."""
    from django.db.models import Count

    counts = {state: 0 for state in FileText.State.values}
    for row in FileText.objects.values("state").annotate(n=Count("pk")).order_by():
        counts[row["state"]] = row["n"]
    counts["ocr"] = FileText.objects.filter(state=FileText.State.DONE, ocr_pages__gt=0).count()
    return counts


def retry_failed() -> int:
    """Failed files are tried again (tesseract installed since, a transient failure)."""
    return FileText.objects.filter(state=FileText.State.FAILED).update(
        state=FileText.State.PENDING, attempts=0, error_code="", error_detail="")


# --- the rest of a document's words (summary, note, recipients, opinions) --------------------

# Layers above records add their own texts (workflow: the opinions) without search importing them:
# each source maps document ids to {id: [texts]}, and calls refresh_document_text on its changes.
WORD_SOURCES: list = []


def add_word_source(source) -> None:
    if source not in WORD_SOURCES:
        WORD_SOURCES.append(source)


def words_of(ids: list[int], using: str = "default") -> dict[int, list[str]]:
    """The texts search.DocumentText folds, per document, as people wrote them (also read for
    the snippet): the summary, the note, the typed recipients, each recipient's name, then each
    source's (the opinions). A few queries for any number of documents."""
    from vpdt.records.models import Document, Recipient

    out: dict[int, list[str]] = {}
    for pk, *texts in (Document.objects.using(using).filter(pk__in=ids)
                       .values_list("pk", "content", "note", "recipients_text")):
        out[pk] = [t for t in texts if t]
    for pk, name in (Recipient.objects.using(using).filter(document_id__in=list(out)).exclude(name="")
                     .order_by("pk").values_list("document_id", "name")):
        out[pk].append(name)
    for source in WORD_SOURCES:
        for pk, texts in source(list(out), using).items():
            out[pk] += [t for t in texts if t]
    return out


def document_words(document_id: int, using: str = "default") -> list[str]:
    return words_of([document_id], using).get(document_id, [])


def refresh_document_text(document_id: int, using: str = "default", *, create: bool = True) -> None:
    """Write (or remove) the document's search.DocumentText row from what it holds now; `create`
    False (a recipient or an opinion deleted, maybe with its document) only updates a row there."""
    from vpdt.search.models import DocumentText

    texts = words_of([document_id], using)
    folded = fold("\n".join(texts.get(document_id, [])))
    if not folded or document_id not in texts:
        DocumentText.objects.using(using).filter(document_id=document_id).delete()
        return
    updated = DocumentText.objects.using(using).filter(document_id=document_id).update(text_folded=folded)
    if not updated and create:
        DocumentText.objects.using(using).create(document_id=document_id, text_folded=folded)


def index_new_texts(documents, using: str = "default") -> int:
    """search.DocumentText for documents just written by bulk SQL (the import: Document.save and
    its signal are bypassed), from (document id, summary, note, typed recipients) tuples: a new
    document has no recipient rows nor opinions yet. One insert per batch; returns the rows written."""
    from vpdt.search.models import DocumentText

    rows = []
    for pk, content, note, recipients_text in documents:
        folded = fold("\n".join(t for t in (content, note, recipients_text) if t))
        if folded:
            rows.append(DocumentText(document_id=pk, text_folded=folded))
    if rows:
        DocumentText.objects.using(using).bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)

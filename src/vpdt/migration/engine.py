"""The import loop: rows in batches, each batch one transaction, each batch idempotent.

A batch is BATCH rows of the source in source order. Rows whose (source, legacy id) is already
in LegacyRecord are skipped (a rerun changes nothing; a record the old system changed since
is counted as skipped and named in the report, never applied: its register is closed). The
others are normalised (normalize.py), their files stored in the blob store (content-addressed:
the same bytes are one blob, stored outside the transaction: a crash leaves at worst a file no
row names yet, which the rerun adopts), then one transaction writes the documents
(records.bulk.import_batch), their attachments, one audit entry and the LegacyRecord rows.
A `kill -9` at any point leaves only whole batches; the rerun skips them and goes on, so it ends
with what one run gives (tests/migration/test_kill.py compares the tables row by row).

`--dry-run` does everything but the writing: reads, decodes, validates, matches issuers, checks
numbers against the database and each other, checks the files exist and their type; the report
says what a real run would do.

Reasons, the report's headers and the `where` of rows are in the active language (`vpdt --lang`),
in the reading thread too; register names are data and stay as they are (Vietnamese).
"""

from __future__ import annotations

import contextlib
import csv
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from vpdt.core import blobs
from vpdt.directory.models import Agency
from vpdt.migration import seams
from vpdt.migration.models import LegacyRecord
from vpdt.migration.normalize import UNKNOWN_GROUP, Candidate, Normalizer, Rejected, Row, group_of
from vpdt.records import bulk
from vpdt.records.actors import IMPORT, system_actor
from vpdt.records.choices import Direction
from vpdt.records.models import Document, Register
from vpdt.records.services import decide_type

BATCH = 1000
AHEAD = 2  # batches read and normalised ahead of the one being written
_END = object()


@dataclass
class Tally:
    read: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    changed: int = 0
    reasons: Counter = field(default_factory=Counter)


@dataclass
class Report:
    source: str
    dry_run: bool
    groups: dict = field(default_factory=lambda: defaultdict(Tally))
    rejections: list = field(default_factory=list)  # (where, legacy id, register, year, code, reason)
    unmatched_issuers: Counter = field(default_factory=Counter)
    changed: list = field(default_factory=list)
    seconds: float = 0.0
    files_stored: int = 0

    @property
    def total(self) -> Tally:
        t = Tally()
        for g in self.groups.values():
            t.read += g.read
            t.imported += g.imported
            t.skipped += g.skipped
            t.rejected += g.rejected
            t.changed += g.changed
        return t

    def reject(self, where: str, legacy_id: str, group, code: str, reason: str) -> None:
        tally = self.groups[group]
        tally.rejected += 1
        tally.reasons[reason if code != "IMPORT_NUMBER_TAKEN" else _("Trùng số trong sổ")] += 1
        self.rejections.append((where, legacy_id, group[0], group[1] or "", code, reason))

    @staticmethod
    def register_label(name: str) -> str:
        """A register's name as the report shows it: as stored (data), UNKNOWN_GROUP's translated."""
        return _(name) if name == UNKNOWN_GROUP[0] else name

    def write_csv(self, path: Path) -> tuple[Path, Path]:
        """The report per register and year (`path`) and the rejected rows (`<stem>-tu-choi.csv`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([_("Sổ"), _("Năm"), _("Đã đọc"), _("Đã nhập"), _("Bỏ qua (đã có)"), pgettext("import", "Từ chối"),
                        pgettext("import", "Lý do từ chối")])
            for (name, year), t in sorted(self.groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
                reasons = "; ".join(f"{r} ({n})" for r, n in t.reasons.most_common())
                imported = _("%(count)s (thử)") % {"count": t.imported} if self.dry_run else t.imported
                w.writerow([self.register_label(name), year or "", t.read, imported, t.skipped, t.rejected, reasons])
            for issuer, n in self.unmatched_issuers.most_common():
                w.writerow([_("Cơ quan ban hành không có trong danh bạ"), "", n, "", "", "", issuer])
        rejected = path.with_name(f"{path.stem}-tu-choi.csv")
        with rejected.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([_("Vị trí"), _("Mã bản ghi cũ"), _("Sổ"), _("Năm"), _("Mã lỗi"), _("Lý do")])
            w.writerows((where, lid, self.register_label(name), year, code, reason)
                        for where, lid, name, year, code, reason in self.rejections)
        return path, rejected


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Importer:
    def __init__(self, agency: Agency, source: str, normalizer: Normalizer, *, dry_run: bool = False,
                 batch: int = BATCH, progress: Callable[[int], None] | None = None):
        self.agency, self.source, self.norm = agency, source, normalizer
        self.dry_run, self.batch = dry_run, batch
        self.progress = progress or (lambda n: None)
        self.report = Report(source=source, dry_run=dry_run)
        self.actor = system_actor(agency, IMPORT)
        self.seen: set[str] = set()
        self.dry_numbers: dict[tuple[str, str, int], set[int]] = {}
        self.registers: dict = {}  # records.bulk's cache of historical registers, kept between batches

    def run(self, rows: Iterable[Row]) -> Report:
        started = time.monotonic()
        with contextlib.closing(self._prepared(rows)) as batches:
            for index, (chunk, verdicts) in enumerate(batches):
                self._batch(index, chunk, verdicts)
                self.progress(len(chunk))
        self.report.seconds = time.monotonic() - started
        return self.report

    def _prepared(self, rows: Iterable[Row]) -> Iterator[tuple[list[Row], list]]:
        """The batches with each row's verdict (a Candidate or the Rejected), in source order.

        A thread reads and normalises up to AHEAD batches ahead of the one being written (no
        database in it: the normaliser has its directory and types in memory), so the source's
        decoding and the normalising go on while the server takes the previous batch. What it
        raises (e.g. a byte the encoding cannot read) is raised here, in order: the batches
        before it are written first, exactly as without the thread. The thread words its
        reasons in this one's language (a thread starts in the default one)."""
        out: queue.Queue = queue.Queue(maxsize=AHEAD)
        stop = threading.Event()
        language = translation.get_language()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def work() -> None:
            try:
                with translation.override(language):
                    for chunk in _chunks(rows, self.batch):
                        if not put((chunk, [self._verdict(row) for row in chunk])):
                            return
                put(_END)
            except BaseException as exc:  # noqa: BLE001 - handed to the writing thread, raised there
                put(exc)

        reader = threading.Thread(target=work, name="vpdt-import-reader", daemon=True)
        reader.start()
        try:
            while (item := out.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            reader.join(timeout=5)

    def _verdict(self, row: Row) -> Candidate | Rejected:
        try:
            return self.norm.candidate(row)
        except Rejected as exc:
            return exc

    # --- one batch ---------------------------------------------------------------------
    def _batch(self, index: int, chunk: list[Row], verdicts: list) -> None:
        rep = self.report
        keys = [str(r.values.get("legacy_id") or "").strip() for r in chunk]
        known = dict(bulk.select_in(LegacyRecord, ["legacy_id", "digest"], {"legacy_id": [k for k in keys if k]},
                                    equal={"source": self.source}))
        todo: list[tuple[Row, Candidate]] = []
        for row, cand in zip(chunk, verdicts, strict=True):
            if isinstance(cand, Rejected):
                exc = cand
                rep.groups[exc.group].read += 1
                if exc.legacy_id and exc.legacy_id in known:
                    rep.groups[exc.group].skipped += 1
                    continue
                rep.reject(row.where, exc.legacy_id, exc.group, exc.code, exc.reason)
                continue
            tally = rep.groups[cand.group]
            tally.read += 1
            if cand.legacy_id in known:
                tally.skipped += 1
                self.seen.add(cand.legacy_id)
                if known[cand.legacy_id] != cand.digest:
                    tally.changed += 1
                    rep.changed.append(cand.legacy_id)
                continue
            if cand.legacy_id in self.seen:
                rep.reject(row.where, cand.legacy_id, cand.group, "IMPORT_DUPLICATE_ID",
                           _("Mã bản ghi cũ «%(id)s» lặp lại trong dữ liệu nguồn (đã gặp trước đó).")
                           % {"id": cand.legacy_id})
                continue
            self.seen.add(cand.legacy_id)
            try:
                self._files(cand)
            except Rejected as exc:
                rep.reject(row.where, cand.legacy_id, cand.group, exc.code, exc.reason)
                continue
            todo.append((row, cand))
        if not todo:
            return
        if self.dry_run:
            self._dry_numbers(todo)
            return
        self._write(index, todo)

    def _files(self, cand: Candidate) -> None:
        """Store (or, in a dry run, check) each file; the blobs go on the candidate's document."""
        for path, name, sha in cand.files:
            if not path.is_file():
                raise Rejected("IMPORT_FILE_MISSING", _("Không thấy tệp «%(name)s» (%(path)s).") % {
                    "name": name, "path": path})
            if self.dry_run:
                decide_type(str(path), self.agency, untrusted=True)
                continue
            with path.open("rb") as fh:
                blob, (decided, flag) = blobs.store_checked(
                    fh, max_bytes=self.agency.upload_limit_bytes(),
                    check=lambda p: decide_type(p, self.agency, untrusted=True))
            if sha and blob.sha256 != sha:
                raise Rejected("IMPORT_FILE_HASH",
                               _("Tệp «%(name)s» không khớp mã băm SHA-256 đã khai.") % {"name": name})
            self.report.files_stored += 1
            cand.doc.files.append(bulk.HistoricalFile(blob=blob, name=name, content_type=decided.content_type,
                                                      file_kind=decided.kind, flag=flag))

    def _dry_numbers(self, todo: list[tuple[Row, Candidate]]) -> None:
        rep = self.report
        for row, cand in todo:
            doc = cand.doc
            n = doc.number if doc.direction == Direction.OUTGOING else doc.incoming_number
            k = (doc.direction, doc.book, doc.year)
            if k not in self.dry_numbers:
                register = Register.objects.filter(agency=self.agency, direction=doc.direction,
                                                   series=bulk.historical_series(doc.book), year=doc.year).first()
                field_ = "register" if doc.direction == Direction.OUTGOING else "incoming_register"
                num = "number" if doc.direction == Direction.OUTGOING else "incoming_number"
                self.dry_numbers[k] = set(Document.objects.filter(**{field_: register}).exclude(
                    **{f"{num}__isnull": True}).values_list(num, flat=True)) if register else set()
            if n is not None and n in self.dry_numbers[k]:
                rep.reject(row.where, cand.legacy_id, cand.group, "IMPORT_NUMBER_TAKEN",
                           _("Trùng số %(number)s trong sổ năm %(year)s: không đánh lại số văn bản cũ.")
                           % {"number": f"{n:02d}", "year": doc.year})
                continue
            if n is not None:
                self.dry_numbers[k].add(n)
            rep.groups[cand.group].imported += 1
            if cand.issuer_unmatched:
                rep.unmatched_issuers[cand.issuer_unmatched] += 1

    def _write(self, index: int, todo: list[tuple[Row, Candidate]]) -> None:
        rep = self.report
        by_doc = {id(c.doc): (row, c) for row, c in todo}
        with transaction.atomic():
            created, rejected = bulk.import_batch(self.actor, self.agency, [c.doc for _r, c in todo],
                                                  detail={"source": self.source, "batch": index},
                                                  cache=self.registers)
            bulk.insert_values(LegacyRecord, [
                {"source": self.source, "legacy_id": by_doc[id(h)][1].legacy_id, "document_id": d.pk,
                 "digest": by_doc[id(h)][1].digest} for h, d in created])
            attachments = [a for _h, d in created for a in d.attachments]
            if attachments:
                transaction.on_commit(lambda: [seams.queue_text(a) for a in attachments])
        for h, _d in created:
            _row, cand = by_doc[id(h)]
            rep.groups[cand.group].imported += 1
            if cand.issuer_unmatched:
                rep.unmatched_issuers[cand.issuer_unmatched] += 1
        for h, code, reason in rejected:
            row, cand = by_doc[id(h)]
            self.seen.discard(cand.legacy_id)
            rep.reject(row.where, cand.legacy_id, cand.group, code, reason)


__all__ = ["Importer", "Report", "group_of"]

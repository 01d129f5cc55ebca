"""One legacy row (field → raw value, as a source read it) to a records.bulk.HistoricalDocument,
or a rejection with a code and a reason for people (Vietnamese, English under `vpdt --lang en`).

Text is NFC (legacy encodings were converted by the source); dates follow the mapping's
format, and an ambiguous or impossible one is a rejection, never a guess; types, urgency,
secrecy, states and directions go through the mapping's value maps; issuers are matched to the
directory by code, then by folded name, and an unmatched one keeps its legacy name with no
code (reported, never invented).

A reason is worded (gettext) when a row is rejected, never for a row that goes in: the field
labels a row passes are the constants below, marked for translation and translated by `_label`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from vpdt.core.text import fold, unstorable
from vpdt.directory.models import Agency
from vpdt.records.bulk import HistoricalDocument
from vpdt.records.choices import INCOMING_STATES, OUTGOING_STATES, Direction
from vpdt.records.models import DocumentType

# The report's key for rows rejected before their register is known (never a register's name:
# the report shows it translated, Report.register_label).
UNKNOWN_GROUP = (gettext_noop("(không xác định)"), 0)
MEMO_LIMIT = 50_000  # values remembered per kind (dates...), then forgotten and worked out again
_INT = re.compile(r"^\s*0*(\d{1,9})\s*$")
_DATE_PARTS = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T].*)?\s*$")
_DIRECTIONS = {"incoming": Direction.INCOMING, "den": Direction.INCOMING, "vb den": Direction.INCOMING,
               "van ban den": Direction.INCOMING, "outgoing": Direction.OUTGOING, "di": Direction.OUTGOING,
               "vb di": Direction.OUTGOING, "van ban di": Direction.OUTGOING}
_URGENCY = {"thuong": 0, "binh thuong": 0, "khan": 1, "thuong khan": 2, "hoa toc": 3, "hoa toc hen gio": 4}
_SECRECY = {"thuong": 0, "mat": 1, "toi mat": 2, "tuyet mat": 3}

# The fields as a reason names them (`what`).
LEGACY_ID, BOOK, NUMBER, NOTATION = (gettext_noop("mã bản ghi cũ"), gettext_noop("sổ"), gettext_noop("số"),
                                     gettext_noop("ký hiệu"))
CODE, ISSUED, RECEIVED, SUBJECT = (gettext_noop("số, ký hiệu"), gettext_noop("ngày văn bản"),
                                   gettext_noop("ngày đến"), gettext_noop("trích yếu"))
INCOMING_NUMBER, ISSUER_CODE, ISSUER = gettext_noop("số đến"), gettext_noop("mã cơ quan"), gettext_noop("cơ quan")
URGENCY, SECRECY = gettext_noop("Độ khẩn"), gettext_noop("Độ mật")
SIGNER, SIGNER_POSITION = gettext_noop("người ký"), gettext_noop("chức vụ người ký")
RECIPIENTS, DUE, NOTE, CONTENT = (gettext_noop("nơi nhận"), gettext_noop("hạn xử lý"), gettext_noop("ghi chú"),
                                  gettext_noop("nội dung"))
PLACE, PAGES, COPIES = gettext_noop("địa danh"), gettext_noop("số trang"), gettext_noop("số bản")
EDXML_ID = gettext_noop("mã liên thông")


def _label(what: str) -> str:
    """A field label in the active language ("" stays "": gettext("") is the catalogue's header)."""
    return _(what) if what else what


class Rejected(Exception):  # noqa: N818 - a row's verdict, not a program error
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason
        self.group: tuple[str, int] = UNKNOWN_GROUP
        self.legacy_id = ""


@dataclass
class Row:
    """What a source yields: mapped fields with raw values, where it came from, its files."""

    values: dict
    where: str  # "dòng 12", "tệp x.edxml" (in the language of the run)
    files: list[tuple[Path, str, str]] = field(default_factory=list)  # (path, name, expected sha256 or "")
    problem: tuple[str, str] | None = None  # a rejection the source already made (code, reason)


@dataclass
class Candidate:
    legacy_id: str
    doc: HistoricalDocument | None
    group: tuple[str, int]
    digest: str = ""
    issuer_unmatched: str = ""
    files: list[tuple[Path, str, str]] = field(default_factory=list)


def group_of(direction: str, book: str, year: int) -> tuple[str, int]:
    kind = "Sổ văn bản đi" if direction == Direction.OUTGOING else "Sổ văn bản đến"
    return (f"{kind} (dữ liệu cũ: {book or 'chung'})", year)


class Normalizer:
    def __init__(self, agency: Agency, *, date_format: str = "dd/mm/yyyy", values: dict | None = None,
                 direction: str | None = None, book: str = "chung"):
        self.agency = agency
        self.date_format = date_format
        self.values = values or {}
        self.direction = direction
        self.book = book or "chung"
        self.types = self._types()
        self._dates: dict[str, dt.date] = {}
        self._received: dict[str, dt.datetime] = {}
        self.cong_van = DocumentType.objects.filter(code="CV").first() or DocumentType.objects.order_by("order").first()
        self.by_code: dict[str, tuple[str, str]] = {}
        self.by_name: dict[str, tuple[str, str]] = {}
        for code, qd20, name in Agency.objects.values_list("code", "code_qd20", "name"):
            self.by_code[code.upper()] = (code, name)
            if qd20:
                self.by_code[qd20.upper()] = (code, name)
            self.by_name.setdefault(fold(name), (code, name))

    @staticmethod
    def _types() -> dict[str, DocumentType]:
        found: dict[str, DocumentType] = {}
        for t in DocumentType.objects.all():
            for key in (t.code, t.abbreviation, t.name):
                if key:
                    found.setdefault(fold(key), t)
        return found

    # --- values ------------------------------------------------------------------------------
    @staticmethod
    def text(value, limit: int | None = None, what: str = "") -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = unicodedata.normalize("NFC", str(value)).strip()
        if unstorable(text):
            raise Rejected("IMPORT_TEXT_UNSTORABLE",
                           _("«%(what)s» có ký tự không lưu được (NUL hoặc mã lỗi).") % {"what": _label(what)})
        if limit is not None and len(text) > limit:
            raise Rejected("IMPORT_TEXT_TOO_LONG", _("«%(what)s» dài quá %(limit)s ký tự (%(length)s).") % {
                "what": _label(what), "limit": limit, "length": len(text)})
        return text

    def _mapped(self, kind: str, raw):
        table = self.values.get(kind) or {}
        text = self.text(raw, what=kind)
        if text in table:
            return table[text]
        folded = fold(text)
        for key, value in table.items():
            if fold(key) == folded:
                return value
        return None

    def integer(self, raw, what: str) -> int | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            raise Rejected("IMPORT_BAD_NUMBER", _("«%(what)s» không phải là số: %(value)s.") % {
                "what": _label(what), "value": repr(raw)})
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        m = _INT.match(str(raw))
        if not m:
            raise Rejected("IMPORT_BAD_NUMBER", _("«%(what)s» không phải là số: «%(value)s».") % {
                "what": _label(what), "value": raw})
        return int(m.group(1))

    def date(self, raw, what: str) -> dt.date | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if type(raw) is str:  # an export repeats its dates on row after row
            found = self._dates.get(raw)
            if found is None:
                if len(self._dates) >= MEMO_LIMIT:
                    self._dates.clear()
                found = self._dates[raw] = self._date(raw, what)
            return found
        return self._date(raw, what)

    def _date(self, raw, what: str) -> dt.date:
        text = str(raw).strip()
        m = _DATE_PARTS.match(text)
        if not m:
            raise Rejected("IMPORT_BAD_DATE", _("«%(what)s» không phải ngày tháng: «%(value)s» (cần %(format)s).") % {
                "what": _label(what), "value": text, "format": self.date_format})
        a, b, c = m.groups()
        fmt = self.date_format
        if len(a) == 4:
            fmt, (y, mo, d) = "yyyy-mm-dd", (a, b, c)
        elif len(c) != 4:
            raise Rejected("IMPORT_AMBIGUOUS_DATE", _(
                "«%(what)s» «%(value)s»: năm phải đủ 4 chữ số (năm 2 chữ số không rõ thế kỷ).") % {
                "what": _label(what), "value": text})
        elif fmt == "mm/dd/yyyy":
            mo, d, y = a, b, c
        else:
            d, mo, y = a, b, c
        if fmt == "auto" and int(a) <= 12 and int(b) <= 12 and a != b:
            raise Rejected("IMPORT_AMBIGUOUS_DATE", _(
                "«%(what)s» «%(value)s» có thể là ngày %(a)s tháng %(b)s hoặc ngày %(b)s tháng %(a)s: "
                "ghi rõ date_format trong tệp ánh xạ.") % {"what": _label(what), "value": text, "a": a, "b": b})
        try:
            found = dt.date(int(y), int(mo), int(d))
        except ValueError:
            swapped = None
            if len(a) != 4:
                try:
                    swapped = dt.date(int(y), int(d), int(mo))
                except ValueError:
                    swapped = None
            if swapped is not None and fmt != "auto":
                raise Rejected("IMPORT_AMBIGUOUS_DATE", _(
                    "«%(what)s» «%(value)s» không đúng dạng %(format)s (có thể đã đảo ngày và tháng: %(swapped)s?).")
                    % {"what": _label(what), "value": text, "format": self.date_format,
                       "swapped": f"{swapped:%d/%m/%Y}"}) from None
            if swapped is not None:
                found = swapped
            else:
                raise Rejected("IMPORT_BAD_DATE",
                               _("«%(what)s» «%(value)s» không phải ngày có thật.") % {
                                   "what": _label(what), "value": text}) from None
        if not (1945 <= found.year <= dt.date.today().year + 1):
            raise Rejected("IMPORT_BAD_DATE", _("«%(what)s» «%(value)s»: năm %(year)s ngoài khoảng hợp lý.") % {
                "what": _label(what), "value": text, "year": found.year})
        return found

    def received(self, raw) -> dt.datetime | None:
        if raw is None or raw == "":
            return None
        if type(raw) is str:
            found = self._received.get(raw)
            if found is None:
                if len(self._received) >= MEMO_LIMIT:
                    self._received.clear()
                found = self._received[raw] = self._received_at(raw)
            return found
        return self._received_at(raw)

    def _received_at(self, raw) -> dt.datetime:
        if isinstance(raw, dt.datetime):
            value = raw
        else:
            text = str(raw).strip()
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                value = dt.datetime.combine(self.date(text, RECEIVED), dt.time(8, 0))
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
        return value

    def _direction(self, raw) -> str:
        if raw in (None, ""):
            if self.direction:
                return self.direction
            raise Rejected("IMPORT_NO_DIRECTION", _("Không rõ văn bản đi hay đến (thêm cột hoặc «direction»)."))
        mapped = self._mapped("direction", raw)
        if mapped:
            return mapped
        found = _DIRECTIONS.get(fold(str(raw)))
        if not found:
            raise Rejected("IMPORT_BAD_DIRECTION",
                           _("Chiều văn bản «%(value)s» không rõ (cần «đi» hoặc «đến»).") % {"value": raw})
        return found

    def _type(self, raw) -> DocumentType:
        if raw in (None, ""):
            return self.cong_van
        mapped = self._mapped("document_type", raw)
        key = fold(mapped if mapped else str(raw))
        found = self.types.get(key)
        if found is None:
            raise Rejected("IMPORT_UNKNOWN_TYPE", _(
                "Loại văn bản «%(value)s» không có trong danh mục: thêm vào values.document_type của tệp ánh xạ.")
                % {"value": raw})
        return found

    def _level(self, kind: str, raw, table: dict, top: int, label: str) -> int:
        if raw in (None, ""):
            return 0
        mapped = self._mapped(kind, raw)
        if mapped is not None:
            return int(mapped)
        if isinstance(raw, int) or _INT.match(str(raw)):
            n = self.integer(raw, label)
            if 0 <= n <= top:
                return n
        found = table.get(fold(str(raw)))
        if found is None:
            raise Rejected(f"IMPORT_BAD_{kind.upper()}", _("%(what)s «%(value)s» không rõ: thêm vào values.%(kind)s.")
                           % {"what": _label(label), "value": raw, "kind": kind})
        return found

    def _state(self, raw, direction: str) -> str:
        if raw in (None, ""):
            return ""
        mapped = self._mapped("state", raw)
        state = mapped or self.text(raw)
        allowed = OUTGOING_STATES if direction == Direction.OUTGOING else INCOMING_STATES
        if state not in [s.value for s in allowed]:
            if direction == Direction.OUTGOING:
                message = _("Trạng thái «%(value)s» không rõ với văn bản đi: thêm vào values.state.")
            else:
                message = _("Trạng thái «%(value)s» không rõ với văn bản đến: thêm vào values.state.")
            raise Rejected("IMPORT_BAD_STATE", message % {"value": raw})
        return state

    def issuer(self, code: str, name: str) -> tuple[str, str, bool]:
        """(code, name, matched) of the issuer in the directory: by code, then by folded name."""
        if code and code.upper() in self.by_code:
            c, n = self.by_code[code.upper()]
            return c, name or n, True
        if name and fold(name) in self.by_name:
            c, n = self.by_name[fold(name)]
            return c, name, True
        return "", name, False

    # --- the row ---------------------------------------------------------------------------
    def candidate(self, row: Row) -> Candidate:
        v = row.values
        group, legacy_id = UNKNOWN_GROUP, ""
        try:
            legacy_id = self.text(v.get("legacy_id"), 200, LEGACY_ID)
            if row.problem:
                raise Rejected(*row.problem)
            if not legacy_id:
                raise Rejected("IMPORT_NO_LEGACY_ID", _("Thiếu mã bản ghi cũ (legacy_id)."))
            direction = self._direction(v.get("direction"))
            book = self.text(v.get("book"), 26, BOOK) or self.book
            number, notation = self.integer(v.get("number"), NUMBER), self.text(v.get("notation"), 60, NOTATION)
            code = self.text(v.get("code"), 80, CODE)
            if code and number is None and not notation:
                head, _sep, tail = code.partition("/")
                if _INT.match(head):
                    number, notation = int(head), tail.strip()[:60]
                else:
                    notation = code[:60]
            issued = self.date(v.get("issued_date"), ISSUED)
            received = self.received(v.get("received_date"))
            year_of = (received.date() if received else issued) if direction == Direction.INCOMING else issued
            if year_of is None:
                raise Rejected("IMPORT_NO_DATE", _("Thiếu ngày văn bản (văn bản đi) hoặc ngày đến (văn bản đến): "
                                                   "không biết vào sổ năm nào."))
            group = group_of(direction, book, year_of.year)
            subject = self.text(v.get("subject"), None, SUBJECT)
            if not subject:
                raise Rejected("IMPORT_NO_SUBJECT", _("Trích yếu để trống."))
            incoming_number = self.integer(v.get("incoming_number"), INCOMING_NUMBER)
            unmatched = ""
            if direction == Direction.INCOMING:
                issuer_code, issuer_name, matched = self.issuer(self.text(v.get("issuer_code"), 40, ISSUER_CODE),
                                                                self.text(v.get("issuer_name"), 255, ISSUER))
                if not matched and (issuer_name or v.get("issuer_code")):
                    unmatched = issuer_name or self.text(v.get("issuer_code"))
            else:
                issuer_code, issuer_name = self.agency.code, self.agency.name
            doc = HistoricalDocument(
                key=legacy_id, direction=direction, book=book, year=year_of.year, document_type=self._type(
                    v.get("document_type")), subject=subject, number=number, notation=notation, issued_date=issued,
                incoming_number=incoming_number if direction == Direction.INCOMING else None,
                received_at=received, state=self._state(v.get("state"), direction),
                urgency=self._level("urgency", v.get("urgency"), _URGENCY, 4, URGENCY),
                secrecy=self._level("secrecy", v.get("secrecy"), _SECRECY, 3, SECRECY),
                signer_name=self.text(v.get("signer_name"), 150, SIGNER),
                signer_position=self.text(v.get("signer_position"), 150, SIGNER_POSITION),
                issuer_code=issuer_code, issuer_name=issuer_name,
                recipients_text=self.text(v.get("recipients_text"), None, RECIPIENTS),
                due_date=self.date(v.get("due_date"), DUE), note=self.text(v.get("note"), None, NOTE),
                content=self.text(v.get("content"), None, CONTENT), place=self.text(v.get("place"), 100, PLACE),
                page_count=self.integer(v.get("page_count"), PAGES), copies=self.integer(v.get("copies"), COPIES),
                edxml_document_id=self.text(v.get("edxml_document_id"), 255, EDXML_ID),
            )
        except Rejected as exc:
            exc.group, exc.legacy_id = group, legacy_id
            raise
        cand = Candidate(legacy_id, doc, group, issuer_unmatched=unmatched, files=row.files)
        cand.digest = digest(doc, row.files)
        return cand


# The HistoricalDocument fields that hold a date or a time (all the others are text and numbers).
_DATED = ("issued_date", "received_at", "due_date", "completed_at")


def digest(doc: HistoricalDocument, files) -> str:
    """SHA-256 of the normalised record (files by name and declared hash): what a rerun compares.

    Its form is fixed: a rerun compares it with the digests earlier versions stored (a change of
    form would report every record as changed in the old system). tests/migration/test_rows.py
    checks it against the form as first written."""
    fields = doc.__dict__.copy()
    del fields["files"]
    for k in _DATED:
        v = fields[k]
        if v is not None:
            fields[k] = v.isoformat()
    fields["document_type"] = doc.document_type.code
    fields["files"] = [(name, sha) for _p, name, sha in files]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()

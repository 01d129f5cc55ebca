"""The four sources, each a stream of normalize.Row (never a whole file in memory):

- `csv_rows`: a CSV export in any legacy encoding (core.legacy_text.read_lines, line by line);
- `xlsx_rows`: an XLSX export through openpyxl's read-only mode (rows streamed from the zip);
  text cells written in a legacy font's encoding (TCVN3, VNI shown as Latin letters) are
  converted when the mapping names that encoding;
- `edxml_rows`: a folder of edXML packages, each read by the project's hardened streaming
  reader (vpdt.edxml), attachments decoded to a temporary folder piece by piece;
- `bundle_rows`: a JSON Lines bundle (docs/import-bundle.schema.json), each line validated.

`Mapping` is the mapping file of CSV and XLSX, validated by its JSON Schema; a bad one raises
MappingError with every problem in Vietnamese (English under `vpdt --lang en`), before anything
is read or written. A source words the `where` of its rows once ("dòng %(line)s"), not per row.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

from vpdt.core import legacy_text
from vpdt.core.errors import InvalidInput
from vpdt.migration import validation
from vpdt.migration.normalize import Row


class MappingError(InvalidInput):
    code = "IMPORT_BAD_MAPPING"


class SourceError(InvalidInput):
    code = "IMPORT_BAD_SOURCE"


@dataclass
class Mapping:
    raw: dict

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise MappingError(_("Không thấy tệp ánh xạ «%(path)s».") % {"path": path}) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MappingError(_("Tệp ánh xạ «%(path)s» không phải JSON hợp lệ (UTF-8): %(error)s.")
                               % {"path": path, "error": exc}) from None
        found = validation.problems("mapping", raw)
        if found:
            raise MappingError(_("Tệp ánh xạ không hợp lệ: %(problems)s.") % {"problems": "; ".join(found)})
        fields = list(raw["columns"].values())
        for required in ("legacy_id", "subject"):
            if required not in fields:
                raise MappingError(_("Tệp ánh xạ không hợp lệ: chưa có cột nào ánh xạ vào «%(field)s».")
                                   % {"field": required})
        dup = {f for f in fields if fields.count(f) > 1 and f != "ignore"}
        if dup:
            raise MappingError(_("Tệp ánh xạ không hợp lệ: nhiều cột cùng ánh xạ vào %(fields)s.")
                               % {"fields": ", ".join(sorted(dup))})
        if raw.get("encoding") not in (None, "", "auto"):
            legacy_text._canonical(raw["encoding"])  # LEGACY_ENCODING_UNKNOWN, in the run's language
        return cls(raw)

    @property
    def source(self) -> str:
        return self.raw["source"]

    @property
    def encoding(self) -> str | None:
        enc = self.raw.get("encoding")
        return None if enc in (None, "", "auto") else enc

    def header_index(self, header: list[str]) -> dict[str, int]:
        """Field → column index; every mapped column must be in the file's header."""
        names = [legacy_text._nfc(str(h or "")).strip() for h in header]
        missing = [c for c in self.raw["columns"] if c.strip() not in names]
        if missing:
            raise MappingError(_("Tệp ánh xạ nêu cột không có trong tệp dữ liệu: %(missing)s. Các cột có: %(columns)s.")
                               % {"missing": ", ".join(f"«{m}»" for m in missing),
                                  "columns": ", ".join(f"«{n}»" for n in names if n)})
        return {f: names.index(c.strip()) for c, f in self.raw["columns"].items() if f != "ignore"}

    def row(self, cells: list, index: dict[str, int], where: str, files_dir: Path | None) -> Row:
        values = {f: (cells[i] if i < len(cells) else None) for f, i in index.items()}
        files_cell = values.pop("files", None)
        row = Row(values=values, where=where)
        if files_cell:
            sep = self.raw.get("files_separator", ";")
            for name in (n.strip() for n in str(files_cell).split(sep)):
                if not name:
                    continue
                if files_dir is None:
                    row.problem = ("IMPORT_NO_FILES_DIR", _("Dòng có tệp nhưng lệnh thiếu --files THƯ_MỤC."))
                    break
                path = _inside(files_dir, name)
                if path is None:
                    row.problem = ("IMPORT_FILE_OUTSIDE",
                                   _("Tên tệp «%(name)s» trỏ ra ngoài thư mục tệp.") % {"name": name})
                    break
                row.files.append((path, Path(name).name, ""))
        return row


def _inside(root: Path, name: str) -> Path | None:
    path = (root / name.replace("\\", "/")).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    return path


def _around(template: str, name: str) -> tuple[str, str]:
    """A translated `where` ("dòng %(line)s") split around its placeholder, worded once per
    source: each row's is then an f-string, no dearer than before the import spoke English."""
    head, _sep, tail = template.partition(f"%({name})s")
    return head, tail


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


# --- CSV ---------------------------------------------------------------------------------------
def csv_rows(path: Path, mapping: Mapping, files_dir: Path | None) -> tuple[str, Iterator[Row]]:
    """(encoding used, rows). The header row is read (and the mapping checked against it) now."""
    fh = path.open("rb")
    try:
        encoding, lines = legacy_text.read_lines(fh, mapping.encoding)
        reader = csv.reader(lines, delimiter=mapping.raw.get("delimiter", ","))
        header = next(reader, None)
        if header is None:
            raise SourceError(_("Tệp «%(name)s» trống.") % {"name": path.name})
        index = mapping.header_index(header)
    except BaseException:
        fh.close()
        raise

    def rows() -> Iterator[Row]:
        head, tail = _around(_("dòng %(line)s"), "line")
        with fh:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield mapping.row(cells, index, f"{head}{reader.line_num}{tail}", files_dir)

    return encoding, rows()


# --- XLSX --------------------------------------------------------------------------------------
def xlsx_rows(path: Path, mapping: Mapping, files_dir: Path | None) -> tuple[int, Iterator[Row]]:
    """(rows announced by the sheet, rows). openpyxl read-only: rows come from the zip as read."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer for a person
        raise SourceError(_("Không đọc được tệp Excel «%(name)s»: %(error)s.")
                          % {"name": path.name, "error": exc.__class__.__name__}) from None
    sheet = mapping.raw.get("sheet")
    if sheet and sheet not in wb.sheetnames:
        wb.close()
        raise MappingError(_("Không có trang tính «%(sheet)s» (có: %(sheets)s).")
                           % {"sheet": sheet, "sheets": ", ".join(wb.sheetnames)})
    ws = wb[sheet] if sheet else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    if header is None:
        wb.close()
        raise SourceError(_("Tệp «%(name)s» trống.") % {"name": path.name})
    index = mapping.header_index(list(header))
    enc = mapping.encoding

    def convert(value):
        """A cell in a legacy font's encoding (its bytes shown as Latin letters) to Unicode; a cell
        already in Vietnamese Unicode (a sheet often mixes both) is kept, NFC."""
        if not isinstance(value, str):
            return value
        if enc:
            try:
                return legacy_text.to_unicode(value, enc)[0]
            except legacy_text.LegacyTextError as exc:
                if exc.code != "LEGACY_TEXT_NOT_LATIN":
                    raise
        return legacy_text._nfc(value)

    def rows() -> Iterator[Row]:
        head, tail = _around(_("dòng %(line)s"), "line")
        try:
            for n, cells in enumerate(it, start=2):
                if not any(c not in (None, "") for c in cells):
                    continue
                try:
                    converted = [convert(c) for c in cells]
                except legacy_text.LegacyTextError as exc:
                    yield Row(values={"legacy_id": cells[index["legacy_id"]] if index["legacy_id"] < len(cells)
                                      else ""}, where=f"{head}{n}{tail}", problem=(exc.code, str(exc)))
                    continue
                yield mapping.row(converted, index, f"{head}{n}{tail}", files_dir)
        finally:
            wb.close()

    return max((ws.max_row or 1) - 1, 0), rows()


# --- edXML folder ------------------------------------------------------------------------------
def edxml_rows(folder: Path, agency_codes: set[str], book: str, workdir: Path) -> tuple[int, Iterator[Row]]:
    """One row per package (*.edxml, *.xml) of `folder` and its subfolders, in name order. A
    package from one of `agency_codes` is an outgoing document of the agency, any other one an
    incoming document. Status packages and unreadable ones are rejected with the reader's code.
    Attachments are decoded into `workdir` (the caller removes it after the run)."""
    from vpdt.edxml import EdxmlError, read_package
    from vpdt.edxml.model import StatusPackage
    from vpdt.edxml.sinks import DirectorySink

    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".edxml", ".xml") and p.is_file())

    def rows() -> Iterator[Row]:
        head, tail = _around(_("tệp %(path)s"), "path")
        for path in paths:
            rel = str(path.relative_to(folder))
            where = f"{head}{rel}{tail}"
            tmp = Path(tempfile.mkdtemp(prefix="pkg-", dir=workdir))
            try:
                try:
                    pkg = read_package(str(path), attachment_sink=DirectorySink(tmp))
                except EdxmlError as exc:
                    yield Row(values={"legacy_id": rel}, where=where,
                              problem=("IMPORT_EDXML_" + str(exc.code).upper().replace(".", "_")[:40],
                                       _("Gói edXML không đọc được: %(message)s (%(code)s).")
                                       % {"message": _edxml_message(exc), "code": exc.code}))
                    continue
                if isinstance(pkg, StatusPackage):
                    yield Row(values={"legacy_id": rel}, where=where,
                              problem=("IMPORT_EDXML_STATUS", _("Gói trạng thái, không phải văn bản: bỏ qua.")))
                    continue
                yield _edxml_row(pkg, rel, agency_codes, book, where)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise

    return len(paths), rows()


def _edxml_message(exc) -> str:
    """What the edXML reader says is wrong, in the run's language. The reader (vpdt.edxml, no
    Django) writes its messages in Vietnamese (edxml.errors.MESSAGES); their English is in the
    catalogue (tests/migration/test_english.py checks each); a message it does not know, in
    another language, gives way to the reader's detail (English)."""
    translated = translation.gettext(exc.message)
    vietnamese = (translation.get_language() or "vi").startswith("vi")
    return translated if vietnamese or translated != exc.message or not exc.detail else exc.detail


def _edxml_row(pkg, rel: str, agency_codes: set[str], book: str, where: str) -> Row:
    h = pkg.header
    sender = (h.from_.organ_id or "").strip()
    outgoing = sender.upper() in agency_codes
    number = (h.code.number or "").strip() if h.code else ""
    notation = (h.code.notation or "").strip() if h.code else ""
    other, signer = h.other_info, h.signer
    values = {
        "legacy_id": h.document_id or rel, "direction": "outgoing" if outgoing else "incoming", "book": book,
        "code": f"{number}/{notation}" if number else notation,
        "issued_date": h.promulgation.date if h.promulgation else None,
        "place": (h.promulgation.place or "") if h.promulgation else "",
        "subject": h.subject, "content": h.content or "",
        "document_type": (h.document_type.type_name or "") if h.document_type else "",
        "urgency": other.priority if other and other.priority in (0, 1, 2, 3, 4) else 0,
        "signer_name": (signer.full_name or "") if signer else "",
        "signer_position": (signer.position or "") if signer else "",
        "issuer_code": sender, "issuer_name": h.from_.organ_name or "",
        "recipients_text": "; ".join(o.organ_name or o.organ_id for o in h.to),
        "due_date": h.due_date, "edxml_document_id": h.document_id or "",
        "page_count": other.page_amount if other and other.page_amount else None,
        "copies": other.promulgation_amount if other and other.promulgation_amount else None,
        # Received: the package's file time is all an archive keeps (no registration date in edXML).
        "received_date": h.promulgation.date if (h.promulgation and not outgoing) else None,
    }
    row = Row(values=values, where=where)
    for att in pkg.attachments:
        if att.stored is not None:
            row.files.append((Path(str(att.stored)), att.name or Path(str(att.stored)).name, att.sha256))
    return row


# --- JSON Lines bundle -------------------------------------------------------------------------
BUNDLE_FILE = "bundle.jsonl"


def bundle_paths(target: Path) -> tuple[Path, Path]:
    """(the .jsonl file, the folder its file paths are relative to)."""
    if target.is_dir():
        return target / BUNDLE_FILE, target
    return target, target.parent


def bundle_rows(target: Path) -> tuple[dict, int, Iterator[Row]]:
    """(the header, lines announced, rows). The header (first line) is checked now."""
    path, root = bundle_paths(target)
    if not path.is_file():
        raise SourceError(_("Không thấy tệp gói «%(path)s».") % {"path": path})
    fh = path.open("rb")
    first = fh.readline()
    try:
        header = json.loads(first.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fh.close()
        raise SourceError(_("Dòng 1 của gói không phải JSON (UTF-8): %(error)s.") % {"error": exc}) from None
    found = validation.problems("bundle", header, "header")
    if found:
        fh.close()
        raise SourceError(_("Dòng đầu của gói phải là phần mô tả {\"bundle\": …}: %(problems)s.")
                          % {"problems": "; ".join(found)})

    def rows() -> Iterator[Row]:
        head, tail = _around(_("dòng %(line)s"), "line")
        with fh:
            for n, raw in enumerate(fh, start=2):
                if not raw.strip():
                    continue
                where = f"{head}{n}{tail}"
                try:
                    record = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    yield Row(values={}, where=where,
                              problem=("IMPORT_BAD_JSON", _("Không phải JSON (UTF-8): %(error)s.") % {"error": exc}))
                    continue
                lid = record.get("legacy_id") if isinstance(record, dict) else None
                problems = validation.problems("bundle", record, "document")
                if problems:
                    yield Row(values={"legacy_id": lid if isinstance(lid, str) else ""}, where=where,
                              problem=("IMPORT_BUNDLE_INVALID",
                                       _("Bản ghi không đúng lược đồ: %(problems)s") % {"problems": "; ".join(problems)}))
                    continue
                yield _bundle_row(record, where, root)

    return header["bundle"], max(count_lines(path) - 1, 0), rows()


def _bundle_row(record: dict, where: str, root: Path) -> Row:
    values = {k: v for k, v in record.items() if k not in ("issuer", "files", "received_at")}
    issuer = record.get("issuer") or {}
    values["issuer_code"], values["issuer_name"] = issuer.get("code", ""), issuer.get("name", "")
    values["received_date"] = record.get("received_at")
    row = Row(values=values, where=where)
    for f in record.get("files", []):
        path = _inside(root, f["path"])
        if path is None:
            row.problem = ("IMPORT_FILE_OUTSIDE",
                           _("Đường dẫn tệp «%(path)s» trỏ ra ngoài thư mục gói.") % {"path": f["path"]})
            break
        row.files.append((path, f.get("name") or Path(f["path"]).name, f.get("sha256", "")))
    return row

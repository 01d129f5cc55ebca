"""Import a list of agencies into the directory, in either code scheme.

The lists a province gets: the national axis's directory answers (getAgenciesList: `code`
is the QCVN 102 code; getAgenciesListQD20: `code` is the QĐ 20/2020 code and `code102` the
QCVN 102 one; getSynchronizeUnit: `code`, and vpdt's hub adds `codeQD20`), as JSON (the
whole answer or its `data` list), or a CSV file with the same column names. Each row names
an agency by either code; the directory keeps the QCVN 102 code as `code` and the QĐ 20
code as `code_qd20`. All or nothing: a list with one bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from vpdt.core.errors import InvalidInput
from vpdt.directory import codes
from vpdt.directory.models import Agency


@dataclass
class Row:
    line: int
    code102: str
    code_qd20: str
    name: str
    email: str
    abbreviation: str


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_rows(path: str | Path) -> list[dict]:
    """The rows of a JSON answer (object with `data`, or a list) or of a CSV file."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"Tệp danh sách không phải JSON hợp lệ: {exc}", code="AGENCY_LIST_NOT_JSON") from None
        if isinstance(payload, dict):
            payload = payload.get("data")
        if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
            raise InvalidInput("Tệp JSON phải là một danh sách cơ quan hoặc có trường data là danh sách đó.",
                               code="AGENCY_LIST_SHAPE")
        return payload
    return list(csv.DictReader(io.StringIO(text)))


def _text(row: dict, *keys: str) -> str:
    for key in keys:
        value = row.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def resolve(rows: list[dict]) -> tuple[list[Row], list[str]]:
    """Each row's QCVN 102 and QĐ 20 codes, and the problems (Vietnamese, one per bad row)."""
    out: list[Row] = []
    problems: list[str] = []
    seen_qd20: dict[str, str] = {}
    for n, row in enumerate(rows, start=1):
        if str(row.get("deleted", "")).strip().lower() in ("true", "1"):
            continue  # getSynchronizeUnit lists removed units too: they are not imported
        code = _text(row, "code", "ma", "maDinhDanh")
        code102 = _text(row, "code102")
        code_qd20 = _text(row, "codeQD20", "code_qd20")
        scheme = codes.scheme(code)
        if scheme == "qcvn102":
            if code102 and code102 != code:
                problems.append(f"Dòng {n}: mã {code} và code102 {code102} khác nhau.")
                continue
            code102 = code
        elif scheme == "qd20":
            if code_qd20 and code_qd20 != code:
                problems.append(f"Dòng {n}: mã {code} và codeQD20 {code_qd20} khác nhau.")
                continue
            code_qd20 = code
            if not code102 or code102 == code:
                known = Agency.objects.filter(code_qd20=code).values_list("code", flat=True).first()
                if known is None:
                    problems.append(f"Dòng {n}: cơ quan mã {code} (QĐ 20/2020) chưa có trong danh mục và "
                                    "dòng không ghi mã QCVN 102 (code102).")
                    continue
                code102 = known
        else:
            problems.append(f"Dòng {n}: mã “{code}” không theo QCVN 102:2016 (000.00.13.H53) "
                            "hay QĐ 20/2020/QĐ-TTg (H53.13).")
            continue
        if not codes.is_valid_code(code102):
            problems.append(f"Dòng {n}: code102 “{code102}” không đúng định dạng QCVN 102:2016.")
            continue
        if code_qd20 and not codes.is_valid_qd20_code(code_qd20):
            problems.append(f"Dòng {n}: mã “{code_qd20}” không đúng định dạng QĐ 20/2020/QĐ-TTg.")
            continue
        if code_qd20:
            if seen_qd20.get(code_qd20, code102) != code102:
                problems.append(f"Dòng {n}: mã {code_qd20} đã dùng cho {seen_qd20[code_qd20]} ở dòng trước.")
                continue
            holder = Agency.objects.filter(code_qd20=code_qd20).exclude(code=code102).values_list(
                "code", flat=True).first()
            if holder:
                problems.append(f"Dòng {n}: mã {code_qd20} đang là mã của cơ quan {holder}.")
                continue
            seen_qd20[code_qd20] = code102
        out.append(Row(n, code102, code_qd20, _text(row, "name", "ten"), _text(row, "mail", "email"),
                       _text(row, "abbreviation", "viet_tat")))
    return out, problems


def import_agencies(rows: list[dict], *, dry_run: bool = False) -> ImportResult:
    """Create or update the agencies of `rows`; raises InvalidInput (nothing written) when a
    row is bad. Each change is audited by the directory's model hooks (agency.create/update)."""
    resolved, problems = resolve(rows)
    if problems:
        raise InvalidInput("Danh sách cơ quan có dòng sai, chưa nhập gì: " + " ".join(problems),
                           code="AGENCY_LIST_INVALID")
    result = ImportResult()
    with transaction.atomic():
        for row in resolved:
            agency = Agency.objects.filter(code=row.code102).first()
            if agency is None:
                if not row.name:
                    raise InvalidInput(f"Dòng {row.line}: cơ quan mới {row.code102} chưa có tên.",
                                       code="AGENCY_LIST_INVALID")
                Agency.objects.create(code=row.code102, code_qd20=row.code_qd20, name=row.name[:255],
                                      email=row.email[:254], abbreviation=row.abbreviation[:30])
                result.created.append(row.code102)
                continue
            changes = {}
            if row.code_qd20 and agency.code_qd20 != row.code_qd20:
                changes["code_qd20"] = row.code_qd20
            if row.name and agency.name != row.name[:255]:
                changes["name"] = row.name[:255]
            if row.email and agency.email != row.email[:254]:
                changes["email"] = row.email[:254]
            if not changes:
                result.unchanged.append(row.code102)
                continue
            for key, value in changes.items():
                setattr(agency, key, value)
            agency.save()
            result.updated.append(row.code102)
        if dry_run:
            transaction.set_rollback(True)
    return result

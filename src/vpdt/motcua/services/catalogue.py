"""The province-wide catalogue of administrative procedures: create and edit a procedure with its
papers and internal steps, activate it per agency, and import or export the catalogue as JSON or
XLSX (an import is all or nothing: one bad line and nothing changes, with the line named).

JSON: {"format": "vpdt.motcua.catalogue", "version": 1, "procedures": [{"code", "name", "field",
"level", "resolving_bodies", "legal_days", "fee_amount", "fee_note", "result_type", "result_name",
"description", "legal_basis", "online", "active", "papers": [{"name", "form", "count", "kind",
"required", "note"}], "steps": [{"name", "kind", "body", "working_hours"}]}]}.
XLSX: three sheets (Thủ tục, Thành phần hồ sơ, Quy trình) keyed by the procedure's code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from django.db import transaction

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, PermissionDenied
from vpdt.directory.models import Agency, Unit
from vpdt.motcua.models import (
    Level,
    PaperForm,
    PaperKind,
    Procedure,
    ProcedureActivation,
    ProcedurePaper,
    ProcedureStep,
    ResultType,
    StepKind,
)
from vpdt.motcua.services.access import can_activate, is_catalogue_admin, is_system

FORMAT = "vpdt.motcua.catalogue"
VERSION = 1
PROCEDURE_FIELDS = ["code", "name", "field", "level", "resolving_bodies", "legal_days", "fee_amount", "fee_note",
                    "result_type", "result_name", "description", "legal_basis", "online", "active"]
PAPER_FIELDS = ["name", "form", "count", "kind", "required", "note"]
STEP_FIELDS = ["name", "kind", "body", "working_hours"]
MAX_PROCEDURES = 5000


def require_admin(user) -> None:
    if not (is_catalogue_admin(user) or is_system(user)):
        raise PermissionDenied("Chỉ quản trị một cửa được sửa danh mục thủ tục.", code="MOTCUA_NOT_ADMIN")


def _text(value, limit: int, what: str, *, required: bool = False) -> str:
    text = " ".join(str(value if value is not None else "").split()) if limit <= 500 else str(value or "").strip()
    if required and not text:
        raise InvalidInput(f"Thiếu {what}.", code="MOTCUA_CATALOGUE_FIELD", detail=what)
    if len(text) > limit:
        raise InvalidInput(f"{what.capitalize()} dài quá {limit} ký tự.", code="MOTCUA_CATALOGUE_FIELD", detail=what)
    return text


def _int(value, what: str, *, low: int = 0, high: int = 10**12) -> int:
    try:
        number = int(value if value not in (None, "") else 0)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what.capitalize()} phải là số.", code="MOTCUA_CATALOGUE_FIELD", detail=what) from exc
    if not low <= number <= high:
        raise InvalidInput(f"{what.capitalize()} ngoài khoảng cho phép.", code="MOTCUA_CATALOGUE_FIELD", detail=what)
    return number


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "x", "có", "co", "yes", "on")
    return bool(value)


def _choice(value, choices, what: str, default: str) -> str:
    value = (str(value).strip() if value not in (None, "") else default)
    if value in choices.values:
        return value
    by_label = {str(label).lower(): key for key, label in choices.choices}
    if value.lower() in by_label:
        return by_label[value.lower()]
    raise InvalidInput(f"{what.capitalize()} không hợp lệ: {value}.", code="MOTCUA_CATALOGUE_FIELD", detail=what)


def clean_procedure(data: dict) -> dict:
    return {
        "code": _text(data.get("code"), 40, "mã thủ tục", required=True),
        "name": _text(data.get("name"), 500, "tên thủ tục", required=True),
        "field": _text(data.get("field"), 200, "lĩnh vực", required=True),
        "level": _choice(data.get("level"), Level, "cấp thực hiện", Level.COMMUNE),
        "resolving_bodies": _text(data.get("resolving_bodies"), 500, "cơ quan giải quyết"),
        "legal_days": _int(data.get("legal_days"), "thời hạn giải quyết", high=3650),
        "fee_amount": _int(data.get("fee_amount"), "phí, lệ phí"),
        "fee_note": _text(data.get("fee_note"), 500, "ghi chú phí"),
        "result_type": _choice(data.get("result_type"), ResultType, "loại kết quả", ResultType.OTHER),
        "result_name": _text(data.get("result_name"), 300, "kết quả"),
        "description": _text(data.get("description"), 20000, "trình tự thực hiện"),
        "legal_basis": _text(data.get("legal_basis"), 20000, "căn cứ pháp lý"),
        "online": _bool(data.get("online", True)),
        "active": _bool(data.get("active", True)),
    }


def clean_paper(data: dict) -> dict:
    return {
        "name": _text(data.get("name"), 500, "tên giấy tờ", required=True),
        "form": _choice(data.get("form"), PaperForm, "bản chính/bản sao", PaperForm.ORIGINAL),
        "count": _int(data.get("count", 1), "số lượng", low=1, high=100),
        "kind": _choice(data.get("kind"), PaperKind, "hình thức", PaperKind.FILE),
        "required": _bool(data.get("required", True)),
        "note": _text(data.get("note"), 500, "ghi chú"),
    }


def clean_step(data: dict) -> dict:
    return {
        "name": _text(data.get("name"), 300, "tên bước", required=True),
        "kind": _choice(data.get("kind"), StepKind, "bộ phận thực hiện", StepKind.PROCESSING),
        "body": _text(data.get("body"), 300, "cơ quan, đơn vị thực hiện"),
        "working_hours": _int(data.get("working_hours", 8), "thời gian (giờ làm việc)", high=8 * 3650),
    }


def _replace_lines(procedure: Procedure, papers: list[dict], steps: list[dict]) -> None:
    # Papers keep their rows where the id is given (dossiers point at them); others are new.
    kept = []
    for order, data in enumerate(papers, start=1):
        pk = data.get("id")
        fields = {**clean_paper(data), "order": order}
        row = procedure.papers.filter(pk=pk).first() if pk else None
        if row is None:
            row = ProcedurePaper.objects.create(procedure=procedure, **fields)
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.save()
        kept.append(row.pk)
    procedure.papers.exclude(pk__in=kept).delete()
    kept = []
    for order, data in enumerate(steps, start=1):
        pk = data.get("id")
        fields = {**clean_step(data), "order": order}
        row = procedure.steps.filter(pk=pk).first() if pk else None
        if row is None:
            row = ProcedureStep.objects.create(procedure=procedure, **fields)
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.save()
        kept.append(row.pk)
    procedure.steps.exclude(pk__in=kept).delete()


def save_procedure(user, procedure: Procedure | None, data: dict, papers: list[dict],
                   steps: list[dict]) -> Procedure:
    """Create (procedure None) or edit a procedure with its papers and steps, in order."""
    require_admin(user)
    fields = clean_procedure(data)
    with transaction.atomic():
        clash = Procedure.objects.filter(code=fields["code"])
        if procedure is not None:
            clash = clash.exclude(pk=procedure.pk)
        if clash.exists():
            raise InvalidInput(f"Đã có thủ tục mã {fields['code']}.", code="MOTCUA_CODE_TAKEN", detail=fields["code"])
        created = procedure is None
        if created:
            procedure = Procedure.objects.create(**fields)
        else:
            for key, value in fields.items():
                setattr(procedure, key, value)
            procedure.save()
        _replace_lines(procedure, papers, steps)
        audit.record("motcua.procedure_create" if created else "motcua.procedure_update", procedure, user=user,
                     detail={"code": procedure.code, "papers": len(papers), "steps": len(steps)})
    return procedure


def set_activation(user, procedure: Procedure, agency: Agency, *, active: bool = True,
                   resolving_agency: Agency | None = None, processing_unit: Unit | None = None) -> ProcedureActivation:
    """The agency receives (or no longer receives) the procedure at its counter."""
    if not (can_activate(user, agency) or (is_system(user) and user.acts_for(agency.pk))):
        raise PermissionDenied("Bạn không có quyền áp dụng thủ tục cho cơ quan này.", code="MOTCUA_NOT_ADMIN")
    target = resolving_agency or agency
    if processing_unit is not None and processing_unit.agency_id != target.pk:
        raise InvalidInput("Phòng xử lý phải thuộc cơ quan giải quyết.", code="MOTCUA_BAD_UNIT")
    with transaction.atomic():
        row, _ = ProcedureActivation.objects.update_or_create(
            procedure=procedure, agency=agency,
            defaults={"active": active, "resolving_agency": resolving_agency if resolving_agency != agency else None,
                      "processing_unit": processing_unit})
        audit.record("motcua.activation", row, user=user, agency_code=agency.code, detail={
            "procedure": procedure.code, "active": active,
            "resolving_agency": target.code, "unit": processing_unit.name if processing_unit else ""})
    return row


# --------------------------------------------------------------------------- import, export
def export_data(procedures: Iterable[Procedure] | None = None) -> dict:
    rows = procedures if procedures is not None else Procedure.objects.all()
    out = []
    for p in rows:
        item = {name: getattr(p, name) for name in PROCEDURE_FIELDS}
        item["papers"] = [{name: getattr(x, name) for name in PAPER_FIELDS} for x in p.papers.all()]
        item["steps"] = [{name: getattr(x, name) for name in STEP_FIELDS} for x in p.steps.all()]
        out.append(item)
    return {"format": FORMAT, "version": VERSION, "procedures": out}


def import_data(user, data: dict) -> dict[str, int]:
    """Create or update (by code) every procedure of `data`; all or nothing."""
    require_admin(user)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("procedures"), list):
        raise InvalidInput("Tệp không phải danh mục thủ tục của vpdt.", code="MOTCUA_CATALOGUE_FORMAT")
    if data.get("version") != VERSION:
        raise InvalidInput("Phiên bản danh mục không được hỗ trợ.", code="MOTCUA_CATALOGUE_VERSION",
                           detail=str(data.get("version")))
    items = data["procedures"]
    if len(items) > MAX_PROCEDURES:
        raise InvalidInput("Danh mục quá lớn.", code="MOTCUA_CATALOGUE_TOO_LARGE")
    counts = {"created": 0, "updated": 0}
    seen = set()
    with transaction.atomic():
        for number, item in enumerate(items, start=1):
            try:
                if not isinstance(item, dict):
                    raise InvalidInput("Dòng không hợp lệ.", code="MOTCUA_CATALOGUE_FORMAT")
                fields = clean_procedure(item)
                if fields["code"] in seen:
                    raise InvalidInput(f"Mã {fields['code']} lặp lại.", code="MOTCUA_CODE_TAKEN")
                seen.add(fields["code"])
                papers = item.get("papers") or []
                steps = item.get("steps") or []
                if not isinstance(papers, list) or not isinstance(steps, list) or not all(
                        isinstance(x, dict) for x in [*papers, *steps]):
                    raise InvalidInput("Thành phần hồ sơ, quy trình phải là danh sách.",
                                       code="MOTCUA_CATALOGUE_FORMAT")
                existing = Procedure.objects.filter(code=fields["code"]).first()
                if existing is None:
                    procedure = Procedure.objects.create(**fields)
                    counts["created"] += 1
                else:
                    for key, value in fields.items():
                        setattr(existing, key, value)
                    existing.save()
                    procedure = existing
                    counts["updated"] += 1
                # Lines of an imported procedure are replaced (matched by order, so dossiers keep theirs).
                old_papers = list(procedure.papers.values_list("pk", flat=True))
                old_steps = list(procedure.steps.values_list("pk", flat=True))
                _replace_lines(procedure,
                               [{**x, "id": old_papers[i] if i < len(old_papers) else None}
                                for i, x in enumerate(papers)],
                               [{**x, "id": old_steps[i] if i < len(old_steps) else None}
                                for i, x in enumerate(steps)])
            except InvalidInput as exc:
                raise InvalidInput(f"Thủ tục thứ {number}: {exc.message}", code=exc.code,
                                   detail=f"item={number}; {exc.detail}") from exc
        audit.record("motcua.catalogue_import", None, user=user, detail=counts)
    return counts


XLSX_SHEETS = ("Thủ tục", "Thành phần hồ sơ", "Quy trình")


def export_xlsx(out: BinaryIO, procedures: Iterable[Procedure] | None = None) -> None:
    from openpyxl import Workbook

    data = export_data(procedures)
    book = Workbook(write_only=True)
    main, papers, steps = (book.create_sheet(name) for name in XLSX_SHEETS)
    main.append(PROCEDURE_FIELDS)
    papers.append(["procedure", *PAPER_FIELDS])
    steps.append(["procedure", *STEP_FIELDS])
    for item in data["procedures"]:
        main.append([item[name] for name in PROCEDURE_FIELDS])
        for paper in item["papers"]:
            papers.append([item["code"], *(paper[name] for name in PAPER_FIELDS)])
        for step in item["steps"]:
            steps.append([item["code"], *(step[name] for name in STEP_FIELDS)])
    book.save(out)


def read_xlsx(stream: BinaryIO) -> dict:
    """The catalogue of an XLSX file in the JSON shape (for import_data)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput("Tệp không phải bảng tính XLSX đọc được.", code="MOTCUA_CATALOGUE_FORMAT",
                           detail=str(exc)[:200]) from exc
    if any(name not in book.sheetnames for name in XLSX_SHEETS):
        raise InvalidInput("Bảng tính thiếu trang Thủ tục, Thành phần hồ sơ hoặc Quy trình.",
                           code="MOTCUA_CATALOGUE_FORMAT")

    def rows(name):
        it = book[name].iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it, [])]
        for count, row in enumerate(it, start=1):
            if count > MAX_PROCEDURES * 50:
                raise InvalidInput("Bảng tính quá lớn.", code="MOTCUA_CATALOGUE_TOO_LARGE")
            if any(v not in (None, "") for v in row):
                yield dict(zip(header, row, strict=False))

    procedures = {}
    for row in rows(XLSX_SHEETS[0]):
        procedures[str(row.get("code") or "").strip()] = {**row, "papers": [], "steps": []}
    for key, sheet in (("papers", XLSX_SHEETS[1]), ("steps", XLSX_SHEETS[2])):
        for row in rows(sheet):
            code = str(row.pop("procedure", "") or "").strip()
            if code not in procedures:
                raise InvalidInput(f"Trang {sheet}: mã thủ tục {code} không có trong trang Thủ tục.",
                                   code="MOTCUA_CATALOGUE_FORMAT")
            procedures[code][key].append(row)
    book.close()
    return {"format": FORMAT, "version": VERSION, "procedures": list(procedures.values())}

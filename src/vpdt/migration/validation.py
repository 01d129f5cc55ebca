"""JSON Schema validation (the `jsonschema` library) with Vietnamese messages for people.

The mapping file and every record of a bundle are checked against their schema
(`schemas/mapping.schema.json`, `schemas/bundle.schema.json`, the latter the same file as
docs/import-bundle.schema.json). jsonschema's own messages are English; `explain` says the
same in Vietnamese, naming where in the document the problem is.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent / "schemas"
_TYPES = {"string": "chuỗi", "integer": "số nguyên", "object": "đối tượng", "array": "danh sách",
          "boolean": "đúng/sai", "number": "số", "null": "rỗng"}


@cache
def validator(name: str, part: str | None = None) -> Draft202012Validator:
    """The validator of schema `name`; `part` one of its $defs (e.g. the bundle's `document`),
    so a bad line gets the messages of what it should have been, not of a failed oneOf."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    if part is not None:
        schema = {k: v for k, v in schema.items() if k not in ("oneOf", "examples")}
        schema["$ref"] = f"#/$defs/{part}"
    return Draft202012Validator(schema)


def _where(error) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return f"«{path}»" if path else "gốc"


def explain(error) -> str:
    """One jsonschema ValidationError in Vietnamese."""
    v, where = error.validator, _where(error)
    if v == "required":
        missing = [m for m in error.validator_value if isinstance(error.instance, dict) and m not in error.instance]
        return f"tại {where}: thiếu mục {', '.join(f'«{m}»' for m in missing)}"
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"tại {where}: mục không được biết {', '.join(f'«{m}»' for m in extra)}"
    if v == "enum":
        allowed = ", ".join(str(x) for x in error.validator_value)
        return f"tại {where}: giá trị «{error.instance}» không hợp lệ (chọn một trong: {allowed})"
    if v == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"tại {where}: phải là {' hoặc '.join(_TYPES.get(t, t) for t in expected)}"
    if v in ("minLength", "minItems", "minProperties"):
        return f"tại {where}: không được để trống"
    if v == "maxLength":
        return f"tại {where}: dài quá {error.validator_value} ký tự"
    if v in ("minimum", "maximum"):
        return f"tại {where}: giá trị {error.instance} ngoài khoảng cho phép"
    if v == "pattern":
        return f"tại {where}: «{error.instance}» không đúng dạng"
    if v == "format":
        return f"tại {where}: «{error.instance}» không đúng định dạng {error.validator_value}"
    return f"tại {where}: không hợp lệ ({error.message})"


def problems(name: str, instance, part: str | None = None) -> list[str]:
    """Every problem of `instance` against the schema `name` (its $defs `part`), in Vietnamese."""
    errors = sorted(validator(name, part).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [explain(e) for e in errors]

"""JSON Schema validation (the `jsonschema` library) with messages for people (Vietnamese, or
English under `vpdt --lang en`).

The mapping file and every record of a bundle are checked against their schema
(`schemas/mapping.schema.json`, `schemas/bundle.schema.json`, the latter the same file as
docs/import-bundle.schema.json). jsonschema's own messages are English and technical; `explain`
says the same in the active language, naming where in the document the problem is.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent / "schemas"
_TYPES = {"string": gettext_noop("chuỗi"), "integer": gettext_noop("số nguyên"), "object": gettext_noop("đối tượng"),
          "array": gettext_noop("danh sách"), "boolean": gettext_noop("đúng/sai"), "number": gettext_noop("số"),
          "null": gettext_noop("rỗng")}


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
    return f"«{path}»" if path else _("gốc")


def _items(names) -> str:
    return ", ".join(f"«{m}»" for m in names)


def explain(error) -> str:
    """One jsonschema ValidationError in the active language."""
    v, where = error.validator, _where(error)
    if v == "required":
        missing = [m for m in error.validator_value if isinstance(error.instance, dict) and m not in error.instance]
        return _("tại %(where)s: thiếu mục %(items)s") % {"where": where, "items": _items(missing)}
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return _("tại %(where)s: mục không được biết %(items)s") % {"where": where, "items": _items(extra)}
    if v == "enum":
        allowed = ", ".join(str(x) for x in error.validator_value)
        return _("tại %(where)s: giá trị «%(value)s» không hợp lệ (chọn một trong: %(allowed)s)") % {
            "where": where, "value": error.instance, "allowed": allowed}
    if v == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        or_ = _("hoặc")
        types = f" {or_} ".join(_(_TYPES[t]) if t in _TYPES else t for t in expected)
        return _("tại %(where)s: phải là %(types)s") % {"where": where, "types": types}
    if v in ("minLength", "minItems", "minProperties"):
        return _("tại %(where)s: không được để trống") % {"where": where}
    if v == "maxLength":
        return _("tại %(where)s: dài quá %(limit)s ký tự") % {"where": where, "limit": error.validator_value}
    if v in ("minimum", "maximum"):
        return _("tại %(where)s: giá trị %(value)s ngoài khoảng cho phép") % {"where": where, "value": error.instance}
    if v == "pattern":
        return _("tại %(where)s: «%(value)s» không đúng dạng") % {"where": where, "value": error.instance}
    if v == "format":
        return _("tại %(where)s: «%(value)s» không đúng định dạng %(format)s") % {
            "where": where, "value": error.instance, "format": error.validator_value}
    return _("tại %(where)s: không hợp lệ (%(message)s)") % {"where": where, "message": error.message}


def problems(name: str, instance, part: str | None = None) -> list[str]:
    """Every problem of `instance` against the schema `name` (its $defs `part`), in the active language."""
    errors = sorted(validator(name, part).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [explain(e) for e in errors]

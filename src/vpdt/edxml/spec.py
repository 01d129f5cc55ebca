"""Models from a JSON spec (used by `vpdt edxml build`): the same keys as `show` prints.

Unknown keys are an error, so a typo does not silently drop a field. The DocumentId is
derived when absent: ``<from organ_id>,<yyyy/MM/dd promulgation date>,<number>/<notation>``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

from .header_xml import format_date, parse_datetime
from .model import (
    Business,
    BusinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
)


class SpecError(ValueError):
    pass


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return parse_datetime(str(value)).date()
    except ValueError as exc:
        raise SpecError(str(exc)) from None


def _build(cls, data: dict | None, where: str, convert: dict | None = None):
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: expected an object")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)}; allowed {sorted(names)}")
    kwargs = dict(data)
    for key, fn in (convert or {}).items():
        if key in kwargs:
            kwargs[key] = fn(kwargs[key])
    return cls(**kwargs)


def _org(data, where) -> Organization:
    if not isinstance(data, dict) or not data.get("organ_id"):
        raise SpecError(f"{where}: organ_id is required")
    return _build(Organization, data, where)


def _staff(data, where):
    return _build(StaffInfo, data, where)


def header_from_spec(spec: dict) -> tuple[MessageHeader, Business]:
    spec = dict(spec)
    allowed = {
        "from", "to", "document_id", "code", "promulgation", "document_type", "subject", "content", "signer",
        "due_date", "priority", "other_info", "response_for", "steering_type", "task_code", "application_type",
        "to_places", "business",
    }
    unknown = set(spec) - allowed
    if unknown:
        raise SpecError(f"unknown keys {sorted(unknown)}; allowed {sorted(allowed)}")
    if "from" not in spec:
        raise SpecError("'from' is required")
    to = spec.get("to") or []
    if not to:
        raise SpecError("'to' needs at least one recipient")
    other = _build(OtherInfo, spec.get("other_info"), "other_info")
    if spec.get("priority") is not None:
        other = other or OtherInfo()
        other.priority = int(spec["priority"])
    code = _build(Code, spec.get("code"), "code")
    prom = _build(PromulgationInfo, spec.get("promulgation"), "promulgation", {"date": _date})
    from_ = _org(spec["from"], "from")
    document_id = spec.get("document_id")
    if not document_id:
        if not (code and code.number and prom and prom.date):
            raise SpecError("document_id is required unless code.number and promulgation.date are given")
        number = f"{code.number}/{code.notation}" if code.notation else code.number
        document_id = f"{from_.organ_id},{format_date(prom.date)},{number}"
    header = MessageHeader(
        from_=from_,
        to=[_org(t, f"to[{i}]") for i, t in enumerate(to)],
        document_id=document_id,
        code=code,
        promulgation=prom,
        document_type=_build(DocumentType, spec.get("document_type"), "document_type"),
        subject=spec.get("subject"),
        content=spec.get("content"),
        signer=_build(SignerInfo, spec.get("signer"), "signer"),
        due_date=_date(spec.get("due_date")),
        other_info=other,
        response_for=[
            _build(ResponseFor, r, f"response_for[{i}]", {"promulgation_date": _date})
            for i, r in enumerate(spec.get("response_for") or [])
        ],
        steering_type=spec.get("steering_type"),
        task_code=spec.get("task_code"),
        application_type=spec.get("application_type"),
        to_places=list(spec.get("to_places") or []),
    )
    b = dict(spec.get("business") or {})
    replaced = b.pop("replaced", None)
    info = b.pop("document_info", None)
    staff = b.pop("staff", None)
    business = _build(Business, b, "business") or Business()
    if replaced:
        business.replacements = [ReplacementInfo(document_id=d) for d in replaced]
    if info is not None:
        receivers = [_build(Receiver, r, "business.document_info.receivers") for r in info.pop("receivers", [])]
        business.document_info = _build(BusinessDocumentInfo, info, "business.document_info")
        business.document_info.receivers = receivers
    business.staff = _staff(staff, "business.staff")
    if business.paper is None:
        business.paper = 0
    return header, business

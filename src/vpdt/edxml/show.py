"""The JSON view of a package printed by `vpdt edxml show` (schema fixed by issue 3).

Absent fields are null; dates are ISO (yyyy-mm-dd), timestamps ISO date-times.
"""

from __future__ import annotations

from .model import DocumentPackage, Organization, ResponseFor, StatusPackage


def _iso(value):
    return None if value is None else value.isoformat()


def _org(o: Organization) -> dict:
    return {"organ_id": o.organ_id, "organ_name": o.organ_name}


def _rf(r: ResponseFor) -> dict:
    return {
        "organ_id": r.organ_id,
        "code": r.code,
        "document_id": r.document_id,
        "promulgation_date": _iso(r.promulgation_date),
    }


def _business(b) -> dict | None:
    if b is None:
        return None
    return {"doc_type": b.doc_type, "reason": b.reason, "replaced": b.replaced}


def show_dict(pkg: DocumentPackage | StatusPackage) -> dict:
    sig = pkg.signature
    out = {
        "kind": pkg.kind,
        "from": _org(pkg.from_),
        "to": [_org(t) for t in pkg.to] or None,
        "document_id": pkg.document_id,
        "code": None,
        "promulgation": None,
        "document_type": None,
        "subject": None,
        "signer": None,
        "due_date": None,
        "priority": None,
        "steering_type": None,
        "to_places": None,
        "response_for": None,
        "business": _business(pkg.business),
        "status": None,
        "signature": {"present": sig.present, "valid": sig.valid, "signer_subject": sig.signer_subject},
        "warnings": [str(w) for w in pkg.warnings],
        "attachments": None,
    }
    if isinstance(pkg, StatusPackage):
        out["response_for"] = [_rf(r) for r in pkg.response_for] or None
        s = pkg.staff
        out["status"] = {
            "code": pkg.status_code,
            "description": pkg.description,
            "timestamp": _iso(pkg.timestamp),
            "staff": None
            if s is None
            else {"department": s.department, "staff": s.staff, "email": s.email, "mobile": s.mobile},
        }
        return out
    h = pkg.header
    if h.code:
        out["code"] = {"number": h.code.number, "notation": h.code.notation}
    if h.promulgation:
        out["promulgation"] = {"place": h.promulgation.place, "date": _iso(h.promulgation.date)}
    if h.document_type:
        t = h.document_type
        out["document_type"] = {"type": t.type, "type_detail": t.type_detail, "type_name": t.type_name}
    out["subject"] = h.subject
    if h.signer:
        out["signer"] = {"competence": h.signer.competence, "position": h.signer.position, "full_name": h.signer.full_name}
    out["due_date"] = _iso(h.due_date)
    out["priority"] = h.priority
    out["steering_type"] = h.steering_type
    out["to_places"] = list(h.to_places) or None
    out["response_for"] = [_rf(r) for r in h.response_for] or None
    out["attachments"] = [
        {
            "content_id": a.content_id,
            "name": a.name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "zip_entries": None
            if a.zip_entries is None
            else [{"name": e.name, "size": e.size, "sha256": e.sha256} for e in a.zip_entries],
        }
        for a in pkg.attachments
    ]
    return out

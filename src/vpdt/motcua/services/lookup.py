"""What anyone may learn of a dossier from its code (the public lookup, the QR code on the slips),
and the electronic result for whoever also holds the secret printed on the receipt.

The public view carries nothing personal: no name, no personal number, no address, no notes,
no officer's name; only the procedure, the bodies, the status and the dates.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse

from vpdt.core import audit
from vpdt.core.errors import InvalidInput, NotFound
from vpdt.motcua.models import Dossier, DossierStatus, StepKind
from vpdt.motcua.services.counter import secret_matches

CODE = re.compile(r"^[0-9A-Z.]{1,20}-\d{6}-\d{4,6}$")


def normalise_code(text: str) -> str:
    code = "".join((text or "").split()).upper()
    if not CODE.match(code):
        raise InvalidInput("Mã hồ sơ không đúng dạng <mã cơ quan>-<YYMMDD>-<số thứ tự>.", code="MOTCUA_BAD_CODE",
                           detail=code[:60])
    return code


def lookup_url(code: str) -> str:
    """The absolute address the QR code of the slips opens."""
    return settings.VPDT_SITE_URL.rstrip("/") + reverse("web:motcua_lookup") + f"?ma={code}"


def find(code: str) -> Dossier:
    found = Dossier.objects.select_related("procedure", "agency", "resolving_agency").filter(
        code=normalise_code(code)).first()
    if found is None:
        raise NotFound("Không tìm thấy hồ sơ có mã này.", code="MOTCUA_NOT_FOUND")
    return found


def public_view(dossier: Dossier) -> dict:
    """The dossier as the public lookup shows it (and the public API returns it)."""
    steps = []
    for step in dossier.steps.select_related("to_agency", "to_unit").order_by("order", "id"):
        steps.append({"name": step.name, "kind": step.kind, "body": (step.to_unit.name if step.to_unit
                                                                     else step.to_agency.name),
                      "sent_at": step.sent_at, "done_at": step.done_at})
    history = [{"at": e.at, "status": e.status_to, "status_label": DossierStatus(e.status_to).label}
               for e in dossier.events.order_by("at", "id") if e.status_from != e.status_to]
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.name,
        "procedure_code": dossier.procedure.code,
        "agency": dossier.agency.name,
        "resolving_agency": dossier.resolving_agency.name,
        "status": dossier.status,
        "status_label": DossierStatus(dossier.status).label,
        "channel": dossier.channel,
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "appointment_date": dossier.appointment_date,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "result_online": bool(dossier.result_id) and dossier.status in (DossierStatus.DONE, DossierStatus.RETURNED),
        "steps": [s for s in steps if s["kind"] != StepKind.COUNTER or s["done_at"]],
        "history": history,
    }


def result_for(code: str, secret: str) -> Dossier:
    """The dossier whose electronic result the holder of `code` and `secret` may download; a
    wrong secret and a missing result answer alike (nothing to guess from)."""
    dossier = find(code)
    if not secret_matches(dossier, secret) or not dossier.result_id or dossier.status not in (
            DossierStatus.DONE, DossierStatus.RETURNED):
        raise NotFound("Mã hồ sơ, mã bí mật không đúng hoặc hồ sơ chưa có kết quả điện tử.",
                       code="MOTCUA_RESULT_NOT_AVAILABLE")
    audit.record("motcua.result_download", dossier, detail={"code": dossier.code})
    return dossier

"""The one-stop shop's API (issue 16):

- `POST /api/motcua/dossiers` (scope motcua:write): a system or portal submits a dossier for its
  account's agency (status 1, checked later by the counter as an online submission);
  idempotent twice over: the `Idempotency-Key` header, and the same `external_id` from the same
  `source` answers the dossier already made (200 instead of 201);
- `GET /api/motcua/dossiers/{code}` (scope motcua:read): the dossier and its status history, for
  the agency that received it or resolves it (another agency's: 404);
- `GET /api/public/dossiers/{code}`: what the public lookup shows (nothing personal), no token,
  limited per client address (VPDT_MOTCUA_PUBLIC_RATE a minute, default 30; then 429).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from vpdt.api import idempotency
from vpdt.api.scopes import need
from vpdt.core import request_context
from vpdt.core.errors import InvalidInput, NotFound, PermissionDenied, VpdtError
from vpdt.motcua.models import Dossier, DossierStatus
from vpdt.motcua.portal import Submission, accept_submission

router = Router()
CODE = Path(..., min_length=13, max_length=34, pattern=r"^[0-9A-Za-z.]{1,20}-[0-9]{6}-[0-9]{4,6}$",
            description="Mã hồ sơ <mã cơ quan>-<YYMMDD>-<NNNN>")
CODE_RE = re.compile(r"^[0-9A-Z.]{1,20}-\d{6}-\d{4,6}$")
DEFAULT_PUBLIC_RATE = 30


class TooMany(VpdtError):
    code = "RATE_LIMITED"
    http_status = 429


class SubmissionIn(Schema):
    procedure_code: str = Field(..., min_length=1, max_length=40, description="Mã thủ tục trên CSDL quốc gia")
    applicant_name: str = Field(..., min_length=1, max_length=200)
    personal_id: str = Field(..., pattern=r"^\d{12}$", description="Số định danh cá nhân (12 chữ số)")
    external_id: str = Field("", max_length=80, description="Mã hồ sơ trên hệ thống gửi (chống gửi trùng)")
    source: str = Field("", max_length=60, description="Tên hệ thống, cổng gửi")
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)
    organisation: str = Field("", max_length=300)
    subject: str = Field("", max_length=500)
    papers: list[str] = Field(default_factory=list, max_length=100, description="Tên các giấy tờ đã nộp")


class EventOut(Schema):
    at: dt.datetime
    action: str
    status_from: int | None
    status_to: int
    status_label: str
    agency_code: str | None
    note: str


class DossierOut(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    resolving_agency_code: str
    channel: str
    source: str
    external_id: str
    status: int
    status_label: str
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    appointment_date: dt.date | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    history: list[EventOut]
    # The citizen's lookup secret (to download the electronic result): in the 201 answer only,
    # shown once; only its hash is kept.
    lookup_secret: str | None = None


class PublicDossierOut(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    resolving_agency_name: str
    status: int
    status_label: str
    received_at: dt.datetime | None
    appointment_date: dt.date | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None


def _detail(d: Dossier) -> dict:
    return {
        "code": d.code, "procedure_code": d.procedure.code, "procedure_name": d.procedure.name,
        "agency_code": d.agency.code, "resolving_agency_code": d.resolving_agency.code, "channel": d.channel,
        "source": d.source, "external_id": d.external_id, "status": d.status,
        "status_label": str(DossierStatus(d.status).label), "submitted_at": d.submitted_at,
        "received_at": d.received_at, "appointment_date": d.appointment_date, "finished_at": d.finished_at,
        "returned_at": d.returned_at,
        "history": [{"at": e.at, "action": e.action, "status_from": e.status_from, "status_to": e.status_to,
                     "status_label": str(DossierStatus(e.status_to).label),
                     "agency_code": e.agency.code if e.agency else None, "note": e.note}
                    for e in d.events.select_related("agency").order_by("at", "id")],
    }


def public_summary(d: Dossier) -> dict:
    """Nothing personal: the core's public view (`services.lookup.public_view`, what the lookup
    page shows) under the API's field names."""
    from vpdt.motcua.services.lookup import public_view

    view = public_view(d)
    return {
        "code": view["code"], "procedure_code": view["procedure_code"], "procedure_name": view["procedure"],
        "agency_name": view["agency"], "resolving_agency_name": view["resolving_agency"], "status": view["status"],
        "status_label": str(view["status_label"]), "received_at": view["received_at"],
        "appointment_date": view["appointment_date"], "finished_at": view["finished_at"],
        "returned_at": view["returned_at"],
    }


def _normalise(code: str) -> str:
    code = "".join((code or "").split()).upper()
    if not CODE_RE.match(code):
        raise InvalidInput("Mã hồ sơ không đúng dạng <mã cơ quan>-<YYMMDD>-<số thứ tự>.", code="MOTCUA_BAD_CODE",
                           detail=code[:60])
    return code


def _limit(request) -> None:
    rate = int(getattr(settings, "VPDT_MOTCUA_PUBLIC_RATE", DEFAULT_PUBLIC_RATE) or DEFAULT_PUBLIC_RATE)
    window = int(dt.datetime.now().timestamp() // 60)
    key = f"motcua-public:{request_context.client_ip(request) or '-'}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    if count > rate:
        raise TooMany("Quá nhiều lượt tra cứu, hãy thử lại sau một phút.", detail=f"more than {rate} a minute")


def register(api, auth, error_schema) -> None:
    """Mount the one-stop shop's operations on the API (called once by vpdt.api.api)."""
    E = error_schema

    @router.post("/motcua/dossiers", response={200: DossierOut, 201: DossierOut, 400: E, 401: E, 403: E, 404: E,
                                               409: E, 422: E}, auth=auth, tags=["motcua"])
    def submit_dossier(request, body: SubmissionIn):
        """A system or portal submits a dossier for its agency (scope motcua:write): 201 with the
        new dossier (status 1, mới đăng ký); 200 with the one already made for the same
        source and external_id; 404 MOTCUA_UNKNOWN_PROCEDURE; 400 when the procedure is not
        received online at this agency."""
        need(request, "motcua:write")
        agency = request.user.agency
        if agency is None:
            raise PermissionDenied("Tài khoản chưa thuộc cơ quan nào.", code="NO_AGENCY")

        def produce():
            dossier, made = accept_submission(request.user, agency, Submission(**body.dict()))
            return (201 if made else 200), {**_detail(dossier), "lookup_secret": getattr(dossier, "lookup_secret", None)}

        return idempotency.run(request, produce)

    @router.get("/motcua/dossiers/{code}", response={200: DossierOut, 400: E, 401: E, 403: E, 404: E}, auth=auth,
                tags=["motcua"])
    def get_dossier(request, code: str = CODE):
        """A dossier and its status history (scope motcua:read), for the agency that received or
        resolves it; 404 for any other."""
        need(request, "motcua:read")
        agencies = request.user.member_agency_ids() if hasattr(request.user, "member_agency_ids") else set()
        found = (Dossier.objects.select_related("procedure", "agency", "resolving_agency")
                 .filter(code=_normalise(code)).filter(Q(agency_id__in=agencies) | Q(resolving_agency_id__in=agencies))
                 .first())
        if found is None:
            raise NotFound("Không tìm thấy hồ sơ có mã này.", code="MOTCUA_NOT_FOUND")
        return Status(200, _detail(found))

    @router.get("/public/dossiers/{code}", response={200: PublicDossierOut, 400: E, 404: E, 429: E},
                tags=["public"])
    def public_dossier(request, code: str = CODE):
        """What anyone with the code may know (the QR code on the slips): procedure, bodies,
        status and dates, nothing personal. No token; limited per address (429 RATE_LIMITED)."""
        _limit(request)
        found = (Dossier.objects.select_related("procedure", "agency", "resolving_agency")
                 .filter(code=_normalise(code)).first())
        if found is None:
            raise NotFound("Không tìm thấy hồ sơ có mã này.", code="MOTCUA_NOT_FOUND")
        return Status(200, public_summary(found))

    api.add_router("/", router)

"""The JSON API for systems: `/api/`, OpenAPI schema at `/api/openapi.json`."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.responses import Status
from ninja.security import HttpBearer

from vpdt.api.models import ApiToken, hash_token
from vpdt.core import request_context
from vpdt.core.errors import VpdtError
from vpdt.directory import accounts
from vpdt.records.choices import Direction
from vpdt.records.listing import page_and_count
from vpdt.records.permissions import get_visible, visible_documents
from vpdt.records.search import apply_quick_search


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        now = timezone.now()
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), expires_at__gt=now, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        if found.last_used_at is None or now - found.last_used_at > dt.timedelta(minutes=1):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)  # shown on the person's page
        request.user = found.user
        request_context.set_current(
            request_context.Actor(user_id=found.user_id, ip=request_context.client_ip(request), via="api")
        )
        return found.user


api = NinjaAPI(
    title="vpdt API",
    version="1",
    description="API của văn phòng điện tử vpdt. Xác thực: POST /api/auth/token rồi gửi `Authorization: Bearer <token>`.",
    urls_namespace="api",
)


@api.exception_handler(VpdtError)
def vpdt_error(request, exc: VpdtError):
    return api.create_response(request, exc.as_dict(), status=exc.http_status)


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    code: str
    message: str
    detail: str = ""


@api.post("/auth/token", response={200: TokenOut, 401: ErrorOut, 429: ErrorOut}, auth=None, tags=["auth"])
def issue_token(request, body: TokenIn):
    """Exchange a username and password for a bearer token (valid 12 hours).

    The login lockout of the pages applies (vpdt.directory.accounts): after too many failures
    for the account, 429 with `Retry-After` and a message saying when to try again."""
    setattr(request, accounts.LOGIN_USERNAME_ATTR, body.username)
    user = authenticate(request, username=body.username, password=body.password)
    if getattr(request, "axes_locked_out", False):
        lockout = accounts.lockout_for(request)
        response = api.create_response(
            request, {"code": "TOO_MANY_ATTEMPTS", "message": lockout.message,
                      "detail": f"retry after {lockout.seconds} s"}, status=429)
        response["Retry-After"] = str(lockout.seconds)
        return response
    if user is None or not user.is_active:
        return Status(401, {"code": "INVALID_CREDENTIALS", "message": "Tên đăng nhập hoặc mật khẩu không đúng.",
                     "detail": "authentication failed"})
    accounts.token_login(request, user)  # the login history; the account's failures forgotten
    return Status(200, {"token": ApiToken.issue(user)})


class DocumentItem(Schema):
    id: int
    direction: str
    agency_code: str
    number: str | None
    notation: str
    subject: str
    document_type: str
    issued_date: dt.date | None
    state: str
    urgency: int


class DocumentList(Schema):
    total: int
    total_is_capped: bool = False
    items: list[DocumentItem]


class DocumentDetail(DocumentItem):
    code: str
    agency_name: str
    state_label: str
    urgency_label: str
    secrecy: int
    place: str
    signer_name: str
    signer_position: str
    signer_competence: str
    issuer_code: str
    issuer_name: str
    incoming_number: str | None
    received_at: dt.datetime | None
    due_date: dt.date | None
    page_count: int | None
    copies: int | None
    recipients_text: str
    edxml_document_id: str
    attachments: list[dict]


def _item(doc) -> dict:
    return {
        "id": doc.pk,
        "direction": doc.direction,
        "agency_code": doc.agency.code,
        "number": doc.number_text or None,
        "notation": doc.notation,
        "subject": doc.subject,
        "document_type": doc.document_type.name,
        "issued_date": doc.issued_date,
        "state": doc.state,
        "urgency": doc.urgency,
    }


PAGE_SIZE = 50
COUNT_CAP = 10_000


@api.get("/documents", response=DocumentList, auth=BearerToken(), tags=["documents"])
def list_documents(request, direction: str | None = None, q: str | None = None, page: int = 1):
    """Documents the caller may see, urgent first then newest; `q` is the quick search.

    `total` is exact up to 10,000; beyond it `total` is 10,000 and `total_is_capped` is true."""
    qs = visible_documents(request.user)
    if direction:
        if direction not in Direction.values:
            raise VpdtError("Tham số direction phải là incoming, outgoing hoặc internal.", code="BAD_DIRECTION")
        qs = qs.filter(direction=direction)
    qs = apply_quick_search(qs, q)
    page = max(1, page)
    # Counting stops at COUNT_CAP: an exact COUNT over a big agency's 100,000 matches is
    # what made this slow, and nobody pages that far; `total_is_capped` says so.
    rows, total, capped, _more = page_and_count(qs.order_by("-urgency", "-created_at", "-id"), (page - 1) * PAGE_SIZE,
                                                PAGE_SIZE, COUNT_CAP, related=("agency", "document_type"))
    return {"total": total, "total_is_capped": capped, "items": [_item(d) for d in rows]}


@api.get("/documents/{document_id}", response={200: DocumentDetail, 403: ErrorOut, 404: ErrorOut},
         auth=BearerToken(), tags=["documents"])
def get_document(request, document_id: int):
    doc = get_visible(request.user, document_id)
    return Status(200, {
        **_item(doc),
        "code": doc.code,
        "agency_name": doc.agency.name,
        "state_label": doc.get_state_display(),
        "urgency_label": doc.get_urgency_display(),
        "secrecy": doc.secrecy,
        "place": doc.place,
        "signer_name": doc.signer_name,
        "signer_position": doc.signer_position,
        "signer_competence": doc.signer_competence,
        "issuer_code": doc.issuer_code,
        "issuer_name": doc.issuer_name,
        "incoming_number": doc.incoming_number_text or None,
        "received_at": doc.received_at,
        "due_date": doc.due_date,
        "page_count": doc.page_count,
        "copies": doc.copies,
        "recipients_text": doc.recipients_text,
        "edxml_document_id": doc.edxml_document_id,
        "attachments": [
            {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.blob.size,
             "sha256": a.blob_id, "kind": a.kind}
            for a in doc.attachments.select_related("blob")
        ],
    })

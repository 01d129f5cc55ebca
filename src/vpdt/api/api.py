"""The JSON API for systems: `/api/`, OpenAPI schema at `/api/openapi.json`."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal, get_args

from django.contrib.auth import authenticate
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer

from vpdt.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from vpdt.api.idempotency import PARAMETER as IDEMPOTENCY_PARAMETER
from vpdt.api.models import ApiToken, hash_token
from vpdt.api.scopes import need
from vpdt.core import request_context
from vpdt.core.converters import MAX_ID
from vpdt.core.errors import VpdtError, http_error
from vpdt.core.text import unstorable
from vpdt.directory import accounts, mfa, system_accounts
from vpdt.records.choices import Direction
from vpdt.records.listing import page_and_count
from vpdt.records.permissions import get_visible, visible_documents
from vpdt.records.search import apply_quick_search
from vpdt.search import fulltext


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
        request.api_token = found
        request.api_scopes = system_accounts.scopes_of(found)
        request_context.set_current(
            request_context.Actor(user_id=found.user_id, ip=request_context.client_ip(request), via="api",
                                  request_id=request_context.current().request_id,
                                  agency_id=getattr(found.user, "agency_id", None))
        )
        return found.user


logger = logging.getLogger(__name__)


class VpdtAPI(NinjaAPI):
    """The API whose schema documents every status an operation answers: besides each one's own,
    400 (a parameter or body that does not validate) everywhere, 401 where a token is needed;
    each as ErrorOut, the one error shape {"code", "message", "detail"}."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method == "post" and operation.get("security"):  # every write takes an Idempotency-Key
                    parameters = operation.setdefault("parameters", [])
                    if not any(p.get("name") == IDEMPOTENCY_HEADER for p in parameters):
                        parameters.append(dict(IDEMPOTENCY_PARAMETER))
                responses = operation.setdefault("responses", {})
                statuses = [400, 401] if operation.get("security") else [400]
                for status in statuses:
                    if str(status) not in responses and status not in responses:
                        responses[status] = {"description": http_error(status)[0], **error}
        return schema


api = VpdtAPI(
    title="vpdt API",
    version="1",
    description="API của văn phòng điện tử vpdt. Xác thực: `Authorization: Bearer <token>`: khóa của tài khoản hệ "
                "thống (quản trị cơ quan cấp, kèm phạm vi: documents:read, documents:write, drafts:write, "
                "notifications:read, reports:read) hoặc khóa của một người (POST /api/auth/token; chỉ đọc). "
                "Thiếu phạm vi: 403 SCOPE_MISSING. Mọi POST nhận tiêu đề `Idempotency-Key` (giữ 24 giờ). "
                "Mọi lỗi trả JSON `{\"code\", \"message\", \"detail\"}` (ErrorOut): `code` cho hệ thống, `message` "
                "tiếng Việt cho người dùng; tham số sai hoặc vượt giới hạn: 400 INVALID_INPUT. Hướng dẫn: docs/api.md.",
    urls_namespace="api",
)


@api.exception_handler(VpdtError)
def vpdt_error(request, exc: VpdtError):
    return api.create_response(request, exc.as_dict(), status=exc.http_status)


def _error(request, status: int, detail: str = "", code_message: tuple[str, str] | None = None):
    code, message = code_message or http_error(status)
    return api.create_response(request, {"code": code, "message": message, "detail": detail}, status=status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """ninja's 422 {"detail": [...]} as our 400 ErrorOut: what failed is said in `detail`."""
    where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors)
    return _error(request, 400, where, ("INVALID_INPUT", "Tham số hoặc dữ liệu gửi lên không hợp lệ."))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def bad_body(request, exc: Exception):
    """A body that is not well-formed multipart (core.multipart), or past Django's limits on
    fields and files: the input's fault, said as such (it was a 500)."""
    return _error(request, 400, f"{type(exc).__name__}: {exc}",
                  ("INVALID_INPUT", "Tham số hoặc dữ liệu gửi lên không hợp lệ."))


@api.exception_handler(HttpError)
def http_error_handler(request, exc: HttpError):  # AuthenticationError (401) among them
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return _error(request, 404)


@api.exception_handler(Exception)
def unexpected(request, exc: Exception):
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500)


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = Field(None, description="The one-time code of the person's second factor (required "
                                               "when they have one, or the policy requires one)")


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    code: str
    message: str
    detail: str = ""


@api.post("/auth/token", response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut}, auth=None,
          tags=["auth"])
def issue_token(request, body: TokenIn):
    """Exchange a username and password for a bearer token (valid 12 hours).

    The login lockout of the pages applies (vpdt.directory.accounts): after too many failures
    for the account, 429 with `Retry-After` and a message saying when to try again."""
    if any(unstorable(v) for v in (body.username, body.password, body.otp or "")):
        # No account has such a name (no database keeps a NUL or a lone surrogate): refused as
        # any wrong name is, before the lockout tries to record it (PostgreSQL: a 500).
        return Status(401, {"code": "INVALID_CREDENTIALS", "message": "Tên đăng nhập hoặc mật khẩu không đúng.",
                            "detail": ""})
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
    # The second factor holds for the API as for the pages: a person who has one (or must have
    # one) gets a token only with a valid one-time code.
    if mfa.has_device(user):
        try:
            mfa.check_code(user, body.otp, purpose="api")
        except VpdtError as exc:
            return Status(401, {"code": exc.code, "message": exc.message, "detail": "second factor"})
    elif mfa.required_for(user):
        return Status(403, {"code": "MFA_NOT_ENROLLED", "detail": "second factor required by policy",
                            "message": "Tài khoản này phải xác thực hai bước: hãy đăng ký trên trang web "
                                       "(Xác thực hai bước) rồi lấy khóa API kèm mã xác thực."})
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
# The directions as an enum of the schema, so a client (and a fuzzer) knows the valid ones.
DirectionParam = Literal["incoming", "outgoing", "internal"]
if set(get_args(DirectionParam)) != set(Direction.values):
    raise ImportError("DirectionParam must list vpdt.records.choices.Direction")
COUNT_CAP = 10_000


@api.get("/documents", response={200: DocumentList, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut}, auth=BearerToken(),
         tags=["documents"])
def list_documents(request, direction: DirectionParam | None = None, q: str | None = None,
                   page: int = Query(1, ge=1, le=MAX_ID // PAGE_SIZE), full_text: bool = False):
    """Documents the caller may see, urgent first then newest; `q` is the quick search, and with
    `full_text=true` the search page's search: also the text of the files, the summary, the note,
    the recipients and the handling opinions.

    `total` is exact up to 10,000; beyond it `total` is 10,000 and `total_is_capped` is true."""
    need(request, "documents:read")
    qs = visible_documents(request.user)
    if direction:  # one of the schema's enum (anything else: 400 INVALID_INPUT)
        qs = qs.filter(direction=direction)
    if full_text and (q or "").strip():
        meta, text, _parsed = fulltext.conditions(qs, q, request.user.member_agency_ids())
        found = [c for c in (meta, text) if c is not None]
        qs = qs.filter(found[0] | found[1] if len(found) == 2 else found[0]) if found else qs.none()
    else:
        qs = apply_quick_search(qs, q)
    # Counting stops at COUNT_CAP: an exact COUNT over a big agency's 100,000 matches is
    # what made this slow, and nobody pages that far; `total_is_capped` says so.
    rows, total, capped, _more = page_and_count(qs.order_by("-urgency", "-created_at", "-id"), (page - 1) * PAGE_SIZE,
                                                PAGE_SIZE, COUNT_CAP, related=("agency", "document_type"))
    return Status(200, {"total": total, "total_is_capped": capped, "items": [_item(d) for d in rows]})


@api.get("/documents/{int:document_id}", response={200: DocumentDetail, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                               404: ErrorOut}, auth=BearerToken(), tags=["documents"])
def get_document(request, document_id: int = Path(..., ge=1, le=MAX_ID)):
    """A document the caller may see: 404 for another agency's, 403 within the agency."""
    need(request, "documents:read")
    return Status(200, document_detail(get_visible(request.user, document_id)))


def document_detail(doc) -> dict:
    """What GET /api/documents/{id} answers (the write operations answer it too)."""
    return {
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
            for a in doc.attachments.select_related("blob").order_by("pk")
        ],
    }


from vpdt.api import reports as _reports  # noqa: E402  (its router needs BearerToken and ErrorOut above)

_reports.register(api, BearerToken(), ErrorOut)

from vpdt.api import write as _write  # noqa: E402  (the write operations: the same auth and errors)

_write.register(api, BearerToken(), ErrorOut, DocumentDetail, document_detail)

from vpdt.api import motcua as _motcua  # noqa: E402  (the one-stop shop: submissions, status history, public view)

_motcua.register(api, BearerToken(), ErrorOut)

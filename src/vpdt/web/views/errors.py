"""Error pages (vpdt.urls' handler400/403/404/500): Vietnamese pages for people, and the same
{"code", "message"} JSON as the API for a request under /api/ (never an HTML page there)."""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from vpdt.core.errors import CSRF_FAILED, http_error

logger = logging.getLogger(__name__)
HEADINGS = {400: "Yêu cầu không hợp lệ", 403: "Không có quyền truy cập", 404: "Không tìm thấy trang",
            500: "Lỗi hệ thống"}


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _detail(exception) -> str:
    """A message a view meant for the person (Http404("…"), BadRequest("…")), not Django's own."""
    text = str(exception or "")
    return "" if not text or text.startswith(("Resolver404", "{'")) or "tried" in text else text


def error_response(request, status: int, *, exception=None, code_message: tuple[str, str] | None = None,
                   with_request: bool = True) -> HttpResponse:
    code, message = code_message or http_error(status)
    if _wants_json(request):
        return JsonResponse({"code": code, "message": message}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    context = {"status": status, "code": code, "message": message, "detail": _detail(exception),
               "heading": _(HEADINGS.get(status, HEADINGS[400]))}
    try:
        # a server error renders without the request: the page's frame queries the database
        html = render_to_string("web/error.html", context, request if with_request else None)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        logger.exception("error page %s could not be rendered", status)
        html = f"<!doctype html><meta charset=utf-8><title>{status}</title><h1>{status}</h1><p>{message}</p>"
    return HttpResponse(html, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return error_response(request, 400, exception=exception)


@requires_csrf_token
def permission_denied(request, exception=None):
    return error_response(request, 403, exception=exception)


@requires_csrf_token
def page_not_found(request, exception=None):
    return error_response(request, 404, exception=exception)


@requires_csrf_token
def server_error(request):
    return error_response(request, 500, with_request=False)


def csrf_failure(request, reason: str = ""):
    """settings.CSRF_FAILURE_VIEW: a form sent with an old or missing token."""
    code, message = CSRF_FAILED
    return error_response(request, 403, code_message=(code, _(message)))


def forbidden(request, message: str) -> HttpResponse:
    """403 with the page's frame and the reason in Vietnamese (never a bare text answer)."""
    return error_response(request, 403, exception=message)

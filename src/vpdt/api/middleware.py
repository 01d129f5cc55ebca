"""Under /api/ every error is JSON {"code", "message"}: the answers that come from outside the
API's own handlers too (ninja's 405 text, a DEBUG page, a 413, a 500; the error handlers of vpdt.web.views.errors
already answer JSON there)."""

from __future__ import annotations

from django.http import JsonResponse

from vpdt.core.errors import http_error

KEEP_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code < 400 or not request.path.startswith("/api/")
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        code, message = http_error(response.status_code)
        json = JsonResponse({"code": code, "message": message}, status=response.status_code,
                            json_dumps_params={"ensure_ascii": False})
        for header in KEEP_HEADERS:
            if header in response:
                json[header] = response[header]
        return json

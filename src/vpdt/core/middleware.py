from vpdt.core import request_context


class RequestContextMiddleware:
    """Records the requesting user and address so services can audit without a request; opens
    the memo of a read-only request (GET, HEAD: `request_context.remembered`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        actor = request_context.Actor(
            user_id=user.pk if signed_in else None,
            ip=request_context.client_ip(request),
            via="api" if request.path.startswith("/api/") else "web",
            request_id=request_context.request_id(request),
            agency_id=getattr(user, "agency_id", None) if signed_in else None,
        )
        token = request_context.set_current(actor)
        memo = request_context.open_memo() if request.method in ("GET", "HEAD") else None
        try:
            response = self.get_response(request)
            response.headers.setdefault("X-Request-ID", actor.request_id)
            return response
        finally:
            if memo is not None:
                request_context.close_memo(memo)
            request_context.reset(token)


class VietnameseFirstMiddleware:
    """Vietnamese unless the person chose English (the language switch sets a cookie).

    Agencies' browsers often ask for English (`Accept-Language: en-US`); that header is
    ignored so the UI opens in Vietnamese. Must come before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)

from vpdt.core import request_context


class RequestContextMiddleware:
    """Records the requesting user and address so services can audit without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = request_context.Actor(
            user_id=user.pk if user is not None and user.is_authenticated else None,
            ip=request_context.client_ip(request),
            via="api" if request.path.startswith("/api/") else "web",
        )
        token = request_context.set_current(actor)
        try:
            return self.get_response(request)
        finally:
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

"""The liveness probe for load balancers and supervisors (a plain view: it must answer without auth)."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness: the process answers and its database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return JsonResponse({"status": "error", "detail": str(exc)}, status=503)

from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter

from vpdt.api.api import api
from vpdt.api.health import healthz
from vpdt.core.converters import IdConverter
from vpdt.ops.metrics import metrics_view

# `<id:pk>`: a database id, never past BIGINT (a longer number is a 404, not a 500)
register_converter(IdConverter, "id")

# Error pages: Vietnamese pages for people, {"code", "message"} JSON under /api/
handler400 = "vpdt.web.views.errors.bad_request"
handler403 = "vpdt.web.views.errors.permission_denied"
handler404 = "vpdt.web.views.errors.page_not_found"
handler500 = "vpdt.web.views.errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),  # --- ops: Prometheus text format, token or loopback
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
if "vpdt.hub" in settings.INSTALLED_APPS and find_spec("vpdt.hub.urls"):
    urlpatterns.append(path("hub/", include("vpdt.hub.urls")))
if "vpdt.workflow" in settings.INSTALLED_APPS:
    # The daily work's pages (vpdt.web) call the workflow app's services.
    urlpatterns.append(path("", include("vpdt.web.work_urls")))
urlpatterns.append(path("", include("vpdt.web.urls")))

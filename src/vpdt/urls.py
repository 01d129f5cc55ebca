from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from vpdt.api.api import api
from vpdt.api.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
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

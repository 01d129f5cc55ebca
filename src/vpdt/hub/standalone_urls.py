"""URLs of the standalone hub (`vpdt hub serve`): the VXP operations at the root."""

from django.urls import include, path

urlpatterns = [path("", include("vpdt.hub.urls"))]

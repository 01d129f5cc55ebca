"""VXP operations under wherever the hub is mounted (the embedded demo mounts it at /hub/).

The SDK builds `endpoint + "/" + operation`, so an endpoint ending in "/" gives `//op`:
the pattern accepts any number of leading slashes.
"""

from django.urls import re_path

from vpdt.hub import views

app_name = "hub"
urlpatterns = [
    re_path(r"^(?:/*)(?P<op>[A-Za-z0-9]+)/?$", views.operation, name="operation"),
]

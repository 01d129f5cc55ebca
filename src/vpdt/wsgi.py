"""WSGI entry point for any WSGI server (waitress in `vpdt serve`, gunicorn at scale)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
application = get_wsgi_application()

# Any WSGI server (gunicorn) runs no system checks: refuse to serve without the deployment's key.
from vpdt.core import secret_keys  # noqa: E402

secret_keys.require()

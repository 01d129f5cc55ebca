"""WSGI entry point for any WSGI server (waitress in `vpdt serve`, gunicorn at scale)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpdt.settings")
application = get_wsgi_application()

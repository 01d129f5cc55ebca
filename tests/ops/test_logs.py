"""VPDT_LOG_FORMAT=json: one JSON object per line, naming the request, the person and the agency."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from tests import factories
from vpdt.core import logs
from vpdt.core.middleware import RequestContextMiddleware


def test_the_json_setting_makes_every_line_a_json_object(tmp_path):
    env = {**os.environ, "VPDT_LOG_FORMAT": "json", "VPDT_DATA_DIR": str(tmp_path), "VPDT_DEMO": "",
           "DJANGO_SETTINGS_MODULE": "vpdt.settings", "VPDT_TEST_DATABASE_URL": ""}
    code = "import django, logging; django.setup(); logging.getLogger('vpdt.t').warning('xin chào %s', 'bạn')"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    [line] = [ln for ln in done.stderr.splitlines() if ln.strip()]
    record = json.loads(line)
    assert record["message"] == "xin chào bạn" and record["level"] == "WARNING" and record["logger"] == "vpdt.t"
    assert record["time"].endswith("+00:00") and record["request_id"] is None


@pytest.mark.django_db
def test_a_line_logged_during_a_request_names_the_request_the_person_and_the_agency():
    out = io.StringIO()
    formatter = logging.config.DictConfigurator(logs.config("INFO", "json")).configure_formatter(
        logs.config("INFO", "json")["formatters"]["json"])
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("vpdt.test.ops")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    agency = factories.agency()
    person = factories.clerk(agency)

    def view(request):
        logger.info("mở văn bản")
        return HttpResponse("ok")

    try:
        request = RequestFactory().get("/x", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="10.1.2.3")
        request.user = person
        response = RequestContextMiddleware(view)(request)
        bad = RequestFactory().get("/x", HTTP_X_REQUEST_ID="không hợp lệ\n")
        bad.user = AnonymousUser()
        other = RequestContextMiddleware(view)(bad)
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(ln) for ln in out.getvalue().splitlines())
    assert response["X-Request-ID"] == "req-42"
    assert (first["request_id"], first["user_id"], first["agency_id"], first["ip"]) == ("req-42", person.pk,
                                                                                        agency.pk, "10.1.2.3")
    assert len(other["X-Request-ID"]) == 32 and second["request_id"] == other["X-Request-ID"]
    assert second["user_id"] is None and second["agency_id"] is None

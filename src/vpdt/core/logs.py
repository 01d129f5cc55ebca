"""Log lines that say whose request they belong to (request id, user, agency, address).

`ContextFilter` copies the current request's actor (vpdt.core.request_context, set by
RequestContextMiddleware) onto every log record; with VPDT_LOG_FORMAT=json the settings'
logging config writes each record as one JSON object per line (python-json-logger), so a
log collector (journald, Loki, Elasticsearch) can search by request, person or agency.
"""

from __future__ import annotations

import logging

from vpdt.core import request_context

JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(agency_id)s %(ip)s %(via)s"


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        actor = request_context.current()
        record.request_id = actor.request_id or None
        record.user_id = actor.user_id
        record.agency_id = actor.agency_id
        record.ip = actor.ip
        record.via = actor.via
        return True


def config(level: str, fmt: str) -> dict:
    """The LOGGING setting: plain text (default) or one JSON object per line (fmt "json")."""
    handler = {"class": "logging.StreamHandler", "filters": ["context"]}
    formatters = {}
    if fmt == "json":
        formatters["json"] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
            "json_ensure_ascii": False,
        }
        handler["formatter"] = "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "vpdt.core.logs.ContextFilter"}},
        "formatters": formatters,
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
    }

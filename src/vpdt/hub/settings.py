"""Settings of a standalone hub process (`vpdt hub serve` and the operator commands).

A hub is its own deployable: only the hub app, its own database (alias "hub"; the
"default" alias is left empty on purpose so nothing else can be written), its own data
dir. Chosen by the CLI through the environment:

- VPDT_HUB_DATABASE     a database URL (postgres://…) or a SQLite file path
                         (default <data dir>/hub.sqlite3)
- VPDT_HUB_DATA_DIR     package files, temp files, the secret key (default ./var/hub)
- VPDT_HUB_SECRET_KEY   encrypts system secrets at rest; required (or VPDT_HUB_SECRET_KEY_FILE,
                         a file holding it) unless VPDT_DEMO=1, which makes one into
                         <data dir>/secret.key; VPDT_HUB_SECRET_KEY_FALLBACKS: former keys
- VPDT_HUB_MAX_PACKAGE_MB, VPDT_HUB_MIN_FREE_MB, VPDT_HUB_RETRY_BASE_SECONDS,
  VPDT_HUB_RETRY_MAX_SECONDS, VPDT_HUB_POLL_SECONDS, VPDT_HUB_FORWARD_LEASE_SECONDS,
  VPDT_HUB_CLOCK_SKEW_SECONDS, VPDT_HUB_CLIENT_TIME_ZONE, VPDT_HUB_UPSTREAM_DIRECTORY_SECONDS,
  VPDT_HUB_KEEP_DONE_DAYS (retention of finished deliveries, 0: forever)
- VPDT_HUB_DB_PREPARE_AFTER  PostgreSQL: prepare a statement after this many runs (default 5;
                         0: no prepared statements nor server-side binding, for old poolers)
- VPDT_HUB_TASKS        the federation job's queue (Huey): "sqlite" (default, a file in
                         the data dir) or "redis" (VPDT_REDIS_URL)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from vpdt.core import secret_keys
from vpdt.hub import db_options

HUB_DATA_DIR = Path(os.environ.get("VPDT_HUB_DATA_DIR", Path.cwd() / "var" / "hub")).resolve()
HUB_DATA_DIR.mkdir(parents=True, exist_ok=True)


def _database(value: str) -> dict:
    if "://" in value and not value.startswith("sqlite:///"):
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        if config.get("ENGINE", "").endswith("postgresql"):
            config["ENGINE"] = db_options.ENGINE
            config.setdefault("OPTIONS", {}).update(db_options.postgres_options())
        return config
    path = value.removeprefix("sqlite:///")
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(path).resolve()),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
            # FULL: in WAL mode NORMAL does not fsync at commit, so an acknowledged package
            # could vanish on power loss. Group commit (services.write_grouped) pays for it.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        },
    }


# --- secrets: the hub's own key, never the e-office's nor a default (vpdt.core.secret_keys):
# VPDT_HUB_SECRET_KEY or VPDT_HUB_SECRET_KEY_FILE; in demo mode (VPDT_DEMO=1) made once into
# <data dir>/secret.key. Former keys in VPDT_HUB_SECRET_KEY_FALLBACKS while `vpdt hub
# rotate-secrets` re-seals. No key: the system check vpdt.E001 stops every hub command.
SECRET_KEY, VPDT_SECRET_KEY_SOURCE = secret_keys.load("VPDT_HUB_SECRET_KEY", HUB_DATA_DIR)
VPDT_SECRET_KEY_ENV = "VPDT_HUB_SECRET_KEY"
SECRET_KEY_FALLBACKS = secret_keys.fallbacks("VPDT_HUB_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = ["*"]  # the hub authenticates every request by its signature
INSTALLED_APPS = ["vpdt.hub"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "vpdt.hub.standalone_urls"
DATABASES = {
    "default": {},
    "hub": _database(os.environ.get("VPDT_HUB_DATABASE") or str(HUB_DATA_DIR / "hub.sqlite3")),
}
DATABASE_ROUTERS = ["vpdt.hub.router.HubRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
LANGUAGE_CODE = "vi"
USE_I18N = False

MiB = 1024 * 1024
HUB_MAX_PACKAGE_BYTES = int(float(os.environ.get("VPDT_HUB_MAX_PACKAGE_MB", "1024")) * MiB)
HUB_MIN_FREE_BYTES = int(float(os.environ.get("VPDT_HUB_MIN_FREE_MB", "16")) * MiB)
HUB_RETRY_BASE_SECONDS = float(os.environ.get("VPDT_HUB_RETRY_BASE_SECONDS", "1"))
HUB_RETRY_MAX_SECONDS = float(os.environ.get("VPDT_HUB_RETRY_MAX_SECONDS", "600"))
HUB_POLL_SECONDS = float(os.environ.get("VPDT_HUB_POLL_SECONDS", "2"))
# A package being pushed to the upper hub is leased this long: a hub killed mid-push leaves it
# due again after that (the upper hub recognises the same package sent twice).
HUB_FORWARD_LEASE_SECONDS = float(os.environ.get("VPDT_HUB_FORWARD_LEASE_SECONDS", "120"))

# --- hubauth: replay protection and the upper hub's directory, read by vpdt.hub.services.
# A request's XroadVnpt-timestamp (a wall time without zone, read in HUB_CLIENT_TIME_ZONE) must be
# within this many seconds of the hub's clock, and its signature is accepted once; 0 turns both
# checks off (only for legacy clients that reuse one SDK service object for hours).
HUB_CLOCK_SKEW_SECONDS = float(os.environ.get("VPDT_HUB_CLOCK_SKEW_SECONDS", "300"))
HUB_CLIENT_TIME_ZONE = os.environ.get("VPDT_HUB_CLIENT_TIME_ZONE", "Asia/Ho_Chi_Minh")
# registerAgency never takes a code the upper hub lists (getAgenciesList, cached this long).
HUB_UPSTREAM_DIRECTORY_SECONDS = float(os.environ.get("VPDT_HUB_UPSTREAM_DIRECTORY_SECONDS", "600"))
# Retention of finished deliveries (done, failed, refused): the job hub.prune removes those
# finished more than this many days ago, with the submissions and packages left without any
# delivery; the message log keeps every entry. 0 (default): kept forever.
HUB_KEEP_DONE_DAYS = float(os.environ.get("VPDT_HUB_KEEP_DONE_DAYS", "0"))

# The federation job runs on vpdt.core.tasks (Huey), its queue in this hub's data dir.
VPDT_TASKS = os.environ.get("VPDT_HUB_TASKS", "sqlite").lower()
VPDT_TASKS_NAME = os.environ.get("VPDT_HUB_TASKS_NAME", "vpdt-hub")
VPDT_TASKS_FILE = str(HUB_DATA_DIR / "tasks.sqlite3")
VPDT_REDIS_URL = os.environ.get("VPDT_REDIS_URL", "redis://127.0.0.1:6379/0")
VPDT_TASK_WORKERS = 1

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"vpdt.hub": {"handlers": ["stderr"], "level": os.environ.get("VPDT_HUB_LOG_LEVEL", "INFO")}},
}

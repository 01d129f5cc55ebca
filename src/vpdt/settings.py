"""Django settings for vpdt.

Every deployment choice comes from the environment so that the same code runs the
embedded demo (SQLite, local files, worker and hub in-process) and the scale path
(PostgreSQL, S3-compatible storage, many processes):

- VPDT_DATA_DIR            where SQLite files, blobs and keys live (default ./var)
- VPDT_DATABASE_URL        e.g. postgres://postgres@127.0.0.1:5432/vpdt (default SQLite)
- VPDT_HUB_DATABASE_URL    the hub's own database (default SQLite var/hub.sqlite3)
- VPDT_DB_PREPARE_AFTER, VPDT_HUB_DB_PREPARE_AFTER: PostgreSQL, the e-office's and the hub's
                           prepared statements (vpdt.core.db_options; default 5, 0 = off)
- VPDT_BLOB_STORAGE        "local" (default) or "s3" (then AWS_* / VPDT_S3_* below)
- VPDT_SECRET_KEY (or VPDT_SECRET_KEY_FILE), VPDT_SECRET_KEY_FALLBACKS: required outside
                           demo mode (VPDT_DEMO=1), see vpdt.core.secret_keys
- VPDT_DEBUG, VPDT_ALLOWED_HOSTS
- VPDT_MAX_UPLOAD_MB       default per-file limit, agencies may lower or raise theirs
- VPDT_TASKS               background jobs' queue (Huey): "sqlite" (default, a file in the
                           data dir, consumer inside `vpdt serve`) or "redis" (VPDT_REDIS_URL,
                           consumers in `vpdt worker` processes)
- VPDT_METRICS_TOKEN       who may read /metrics (bearer token; unset: loopback only)
- VPDT_LOG_FORMAT          "text" (default) or "json" (one JSON object per line)
- VPDT_BACKUP_RECIPIENT, VPDT_BACKUP_IDENTITY_FILE: keys of `vpdt backup` / `vpdt restore`
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

from vpdt.core import db_options, logs, secret_keys
from vpdt.hub import db_options as hub_db_options

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("VPDT_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# --- secrets: this deployment's own key (vpdt.core.secret_keys). VPDT_SECRET_KEY, or the file
# named by VPDT_SECRET_KEY_FILE; in demo mode (VPDT_DEMO=1, `vpdt serve --demo`) a random key
# made once into DATA_DIR/secret.key (0600). No key: SECRET_KEY stays empty and the system
# check vpdt.E001 stops every command; there is no default key.
SECRET_KEY, VPDT_SECRET_KEY_SOURCE = secret_keys.load("VPDT_SECRET_KEY", DATA_DIR)
VPDT_SECRET_KEY_ENV = "VPDT_SECRET_KEY"  # named in the check's message
# Former secret keys (comma-separated) while secrets sealed under them are re-sealed
# (`vpdt rotate-secrets`): sessions and stored keys keep opening across a change of SECRET_KEY.
SECRET_KEY_FALLBACKS = secret_keys.fallbacks("VPDT_SECRET_KEY")
if VPDT_SECRET_KEY_SOURCE == "demo":
    # a demo's var/ made before demo keys existed was sealed under the old public key
    SECRET_KEY_FALLBACKS.append(secret_keys.LEGACY_PUBLIC_KEY)
DEBUG = _env_bool("VPDT_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("VPDT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # --- mfa: the second factor (django-otp: TOTP apps, recovery codes)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Every app of the project, named once. The order is the lookup order of templates and
    # static files (an earlier app's file of the same name wins).
    "vpdt.core",
    "vpdt.directory",
    "vpdt.records",
    "vpdt.web",
    "vpdt.api",
    "vpdt.workflow",
    "vpdt.reports",
    "vpdt.archive",  # dossiers, file plans, transfer to the archive, disposal
    "vpdt.motcua",  # --- motcua: the one-stop shop (procedures, citizens' dossiers, counter slips)
    "vpdt.webhooks",  # --- hooks: events to other systems (signed POSTs, issue 18)
    "vpdt.signing",
    "vpdt.exchange",
    "vpdt.hub",  # the embedded province hub (on its own database alias "hub")
    "vpdt.search",
    "vpdt.migration",  # --- import: `vpdt import` from legacy systems (issue 15)
    "axes",  # login lockout (see the "login" block below)
]

MIDDLEWARE = [
    "vpdt.ops.metrics.RequestMetricsMiddleware",  # --- ops: every request timed for /metrics (outermost)
    "vpdt.core.serving.BodyLimitMiddleware",  # --- files: 413 before anything reads a too large body
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # --- files: the site-wide Content-Security-Policy (settings below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # --- secrets: under /api/ every error answer is JSON {"code", "message"}, whoever made it
    "vpdt.api.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vpdt.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vpdt.web.middleware.SessionDeviceMiddleware",  # --- mfa: django-otp's, request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vpdt.core.middleware.RequestContextMiddleware",
    "vpdt.web.middleware.SessionTimeoutMiddleware",  # --- login: idle and absolute session length
    "vpdt.web.middleware.SecondFactorMiddleware",  # --- mfa: enrol / verify before anything else
    "axes.middleware.AxesMiddleware",  # --- login: turns a lockout into the Vietnamese answer
]

ROOT_URLCONF = "vpdt.urls"
WSGI_APPLICATION = "vpdt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vpdt.web.context.navigation",
            ],
        },
    }
]
# Inputs, selects and their options written in Python (vpdt.web.renderer): Django's markup,
# without the template engine's include per option (a directing form lists every person twice).
FORM_RENDERER = "vpdt.web.renderer.FastRenderer"


# SQLite reads its file through a memory map of this many MiB (PRAGMA mmap_size; SQLite caps it
# at ~2 GiB): pages come from the OS's page cache without a read() each, shared by every
# connection. At 1,000,000 documents a unit head's search walks ~9,000 scattered rows per
# statement: 10–18 % faster (docs/BENCHMARKS.md, seventh pass). 0 turns it off.
SQLITE_MMAP_MB = int(os.environ.get("VPDT_SQLITE_MMAP_MB", "2048"))


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # synchronous=FULL: a commit is on disk before we answer (a package acknowledged to the
        # hub must survive a power cut; NORMAL in WAL mode does not fsync at commit).
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the
        # busy timeout instead of failing on lock upgrade (numbering depends on it).
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                            f"PRAGMA mmap_size={SQLITE_MMAP_MB * 1024 * 1024};",
        },
        # Each test process gets its own file: parallel runs must not share a test database.
        "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"vpdt-test-{os.getpid()}-{path.name}")},
    }


def _database(url: str | None, default_path: Path) -> dict:
    if not url:
        return _sqlite(default_path)
    if url.startswith("sqlite:///"):
        return _sqlite(Path(url.removeprefix("sqlite:///")))
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config.get("ENGINE", "").endswith("postgresql"):
        config["ENGINE"] = db_options.ENGINE
    return config


# The test run picks its database with VPDT_TEST_DATABASE_URL (see tests/conftest.py).
_db_url = os.environ.get("VPDT_TEST_DATABASE_URL") or os.environ.get("VPDT_DATABASE_URL")
_hub_url = os.environ.get("VPDT_HUB_DATABASE_URL")
if os.environ.get("VPDT_TEST_DATABASE_URL") and not _hub_url:
    _hub_url = os.environ["VPDT_TEST_DATABASE_URL"].rstrip("/") + "_hub"
DATABASES = {
    "default": _database(_db_url, DATA_DIR / "vpdt.sqlite3"),
    "hub": _database(_hub_url, DATA_DIR / "hub.sqlite3"),
}
if DATABASES["hub"]["ENGINE"].endswith("postgresql"):  # the hub's hot paths: vpdt.hub.db_options
    DATABASES["hub"].setdefault("OPTIONS", {}).update(hub_db_options.postgres_options())
# The e-office's own PostgreSQL connection, as the hub's: statements prepared after
# VPDT_DB_PREPARE_AFTER runs on a connection (vpdt.core.db_options).
DB_PREPARE_AFTER = db_options.prepare_after("VPDT_DB_PREPARE_AFTER")
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(db_options.postgres_options(DB_PREPARE_AFTER))
DATABASE_ROUTERS = ["vpdt.hub.router.HubRouter"]
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "directory.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "workflow:home"
LOGOUT_REDIRECT_URL = "web:login"

# --- mfa: the second factor (vpdt.directory.mfa). Who must enrol before anything else:
# "admins,signers" (default: superusers, staff, platform and agency administrators, leaders and
# holders of a personal signing key), "all", "none"; anyone with a device is asked for a code.
VPDT_MFA_REQUIRED_FOR = os.environ.get("VPDT_MFA_REQUIRED_FOR", "admins,signers")
# The name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = os.environ.get("VPDT_MFA_ISSUER", "Văn phòng điện tử")
# Seconds of the first wait after a wrong code (doubling after each further one), per device.
OTP_TOTP_THROTTLE_FACTOR = float(os.environ.get("VPDT_MFA_THROTTLE_SECONDS", "1"))
OTP_STATIC_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR

# --- login: passwords, lockout, sessions, HTTPS (issue 12) ---------------------------------
# Argon2id first (argon2-cffi), with OWASP's parameters (vpdt.directory.passwords.Argon2idHasher:
# 19 MiB, 2 passes, 1 lane; Django's own cost ~8x the CPU per login); PBKDF2 hashes and Argon2
# hashes with other parameters still check, and Django re-hashes them at the person's next login.
VPDT_ARGON2 = {
    "memory_cost": int(os.environ.get("VPDT_ARGON2_MEMORY_KIB", "19456")),
    "time_cost": int(os.environ.get("VPDT_ARGON2_PASSES", "2")),
    "parallelism": int(os.environ.get("VPDT_ARGON2_LANES", "1")),
}
PASSWORD_HASHERS = [
    "vpdt.directory.passwords.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# At least 12 characters or a phrase of 4 words; not a common password (Django's list and a
# Vietnamese one), not the person's name or username, not only digits. Messages in Vietnamese.
VPDT_PASSWORD_MIN_LENGTH = int(os.environ.get("VPDT_PASSWORD_MIN_LENGTH", "12"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "vpdt.directory.passwords.LengthOrPassphraseValidator",
     "OPTIONS": {"min_length": VPDT_PASSWORD_MIN_LENGTH, "min_words": 4}},
    {"NAME": "vpdt.directory.passwords.CommonPasswordValidator"},
    {"NAME": "vpdt.directory.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "vpdt.directory.passwords.NumericPasswordValidator"},
]
# One lockout policy for every way in (the login page, /admin/, the API's token): django-axes,
# its attempts in the database so every process sees them. Counted per account and per
# account + address, never per address alone (an office behind one NAT address shares it).
# After VPDT_LOGIN_FAILURE_LIMIT failures the account waits VPDT_LOGIN_COOLOFF_MINUTES, twice
# as long at each new lockout within a day, at most VPDT_LOGIN_COOLOFF_MAX_MINUTES; an
# administrator may unlock it sooner (admin action, `vpdt manage unlock_login USERNAME`).
AUTHENTICATION_BACKENDS = [
    "vpdt.directory.accounts.LockoutBackend",
    "vpdt.directory.accounts.PasswordBackend",  # Django's ModelBackend, the session's person prepared
]
VPDT_LOGIN_FAILURE_LIMIT = int(os.environ.get("VPDT_LOGIN_FAILURE_LIMIT", "10"))
VPDT_LOGIN_COOLOFF_MINUTES = float(os.environ.get("VPDT_LOGIN_COOLOFF_MINUTES", "15"))
VPDT_LOGIN_COOLOFF_MAX_MINUTES = float(os.environ.get("VPDT_LOGIN_COOLOFF_MAX_MINUTES", "1440"))
AXES_HANDLER = "vpdt.directory.accounts.LockoutHandler"  # axes' database handler, see there
AXES_FAILURE_LIMIT = VPDT_LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_COOLOFF_TIME = "vpdt.directory.accounts.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True  # each account's own (progressive) delay
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a locked account's tries do not extend it
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the login history shows failures too
AXES_LOCKOUT_CALLABLE = "vpdt.web.views.account.lockout_response"
AXES_USERNAME_CALLABLE = "vpdt.directory.accounts.attempted_username"
AXES_CLIENT_IP_CALLABLE = "vpdt.core.request_context.client_ip"
AXES_SENSITIVE_PARAMETERS = []  # the username is not secret; the password is always masked
AXES_VERBOSE = False
# Sessions: signed out after VPDT_SESSION_IDLE_MINUTES without activity (the page warns a
# minute before and offers to stay) and VPDT_SESSION_MAX_HOURS after signing in at the latest.
VPDT_SESSION_IDLE_SECONDS = int(float(os.environ.get("VPDT_SESSION_IDLE_MINUTES", "30")) * 60)
SESSION_COOKIE_AGE = int(float(os.environ.get("VPDT_SESSION_MAX_HOURS", "10")) * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
# Django's database sessions, read by one prepared statement (vpdt.core.sessions).
SESSION_ENGINE = "vpdt.core.sessions"
CSRF_COOKIE_SAMESITE = "Lax"
# Behind HTTPS (VPDT_HTTPS=1, or a proxy that says so in X-Forwarded-Proto with
# VPDT_PROXY_SSL_HEADER=1): Secure cookies, HSTS, and plain HTTP redirected.
VPDT_HTTPS = _env_bool("VPDT_HTTPS", False)
if _env_bool("VPDT_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    VPDT_HTTPS = True
SESSION_COOKIE_SECURE = VPDT_HTTPS
CSRF_COOKIE_SECURE = VPDT_HTTPS
SECURE_SSL_REDIRECT = VPDT_HTTPS and _env_bool("VPDT_SSL_REDIRECT", True)
SECURE_SSL_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("VPDT_HSTS_SECONDS", "31536000")) if VPDT_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # an agency's other hosts may not all speak HTTPS yet
PASSWORD_RESET_TIMEOUT = int(os.environ.get("VPDT_PASSWORD_RESET_HOURS", "2")) * 3600

# --- admins: administrators within bounds (vpdt.directory.oversight). Accounts unused (login,
# session, API token) for VPDT_DORMANT_DAYS are disabled by the job directory.dormant, audited;
# platform admins are left out (the last way back in). 0 turns the job off.
VPDT_DORMANT_DAYS = int(os.environ.get("VPDT_DORMANT_DAYS", "90"))

# --- oidc: single sign-on through the province's OpenID Connect provider (vpdt.directory.sso,
# mozilla-django-oidc). Off unless VPDT_OIDC_ISSUER and VPDT_OIDC_CLIENT_ID are set; then the
# login page shows the single sign-on button. Endpoints come from the issuer's discovery
# document (or VPDT_OIDC_DISCOVERY_URL). A first sign-in links the provider's identity to the
# one active person whose user name (claim preferred_username) or verified e-mail (claim
# email) matches VPDT_OIDC_MATCH_CLAIM; nobody is ever created.
VPDT_OIDC_ISSUER = os.environ.get("VPDT_OIDC_ISSUER", "").rstrip("/")
VPDT_OIDC_DISCOVERY_URL = os.environ.get("VPDT_OIDC_DISCOVERY_URL", "")
VPDT_OIDC_MATCH_CLAIM = os.environ.get("VPDT_OIDC_MATCH_CLAIM", "preferred_username")
OIDC_RP_CLIENT_ID = os.environ.get("VPDT_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("VPDT_OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = os.environ.get("VPDT_OIDC_SCOPES", "openid profile email")
OIDC_TIMEOUT = float(os.environ.get("VPDT_OIDC_TIMEOUT_SECONDS", "10"))
OIDC_RP_SIGN_ALGO = "RS256"  # ID tokens verified with the provider's JWKS
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_CREATE_USER = False
OIDC_AUTHENTICATION_CALLBACK_URL = "web:sso_callback"
if VPDT_OIDC_ISSUER and OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS = [
        *globals().get("AUTHENTICATION_BACKENDS", ["vpdt.directory.accounts.PasswordBackend"]),
        "vpdt.directory.sso.ProvinceSSOBackend",
    ]

# Vietnamese first, English available.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
FORMAT_MODULE_PATH = ["vpdt.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)

# Blobs: content-addressed storage; "local" on disk or "s3" (django-storages) by settings only.
BLOB_DIR = Path(os.environ.get("VPDT_BLOB_DIR", DATA_DIR / "blobs"))
_blob_backend = os.environ.get("VPDT_BLOB_STORAGE", "local").lower()
if _blob_backend == "s3":
    _blob_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("VPDT_S3_BUCKET", "vpdt-blobs"),
            "endpoint_url": os.environ.get("VPDT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("VPDT_S3_REGION") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    _blob_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BLOB_DIR)},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "blobs": _blob_storage,
}
# A stored file's bytes, then its name in the store's directory, are on disk (fsync) before the
# row that names it commits, as the row is (synchronous=FULL): a power cut never leaves a
# document pointing at a blob that is not there. Local disk only (S3 answers once it has it).
VPDT_BLOB_FSYNC = _env_bool("VPDT_BLOB_FSYNC", True)
# Default per-file limit; each agency may set its own (Agency.max_upload_mb).
VPDT_MAX_UPLOAD_MB = int(os.environ.get("VPDT_MAX_UPLOAD_MB", "500"))
# Uploads stream to temporary files on disk past this size, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
# .docx/.odt drafts to PDF (core.office): LibreOffice's soffice (default: on PATH), killed past the timeout.
VPDT_SOFFICE = os.environ.get("VPDT_SOFFICE", "")
VPDT_CONVERT_TIMEOUT_SECONDS = float(os.environ.get("VPDT_CONVERT_TIMEOUT_SECONDS", "120"))
# --- files: uploads bounded while streaming, the request bound, active PDFs ---
# Each uploaded file is counted chunk by chunk against the agency's limit and dropped as soon as
# it passes it (core.uploads); the whole request is bounded by the largest limit plus the form
# around it (core.serving.BodyLimitMiddleware, waitress's max_request_body_size).
FILE_UPLOAD_HANDLERS = ["vpdt.core.uploads.BoundedUploadHandler"]
VPDT_REQUEST_OVERHEAD_MB = int(os.environ.get("VPDT_REQUEST_OVERHEAD_MB", "2"))
VPDT_MAX_REQUEST_MB = int(os.environ.get("VPDT_MAX_REQUEST_MB", "0"))  # 0: largest upload limit + overhead
# Agencies (codes, comma-separated) that keep PDFs with active content (JavaScript, /Launch,
# embedded executables) flagged instead of refusing them; never shown in the viewer. Default: none.
VPDT_PDF_ACTIVE_CONTENT_AGENCIES = [
    c.strip() for c in os.environ.get("VPDT_PDF_ACTIVE_CONTENT_AGENCIES", "").split(",") if c.strip()]

# This e-office's own address: links in e-mails, and the embedded hub for connections whose
# endpoint is a path ("/hub"). `vpdt serve` sets it to the address it serves on.
VPDT_SITE_URL = os.environ.get("VPDT_SITE_URL", "http://127.0.0.1:8000")

# --- motcua: the one-stop shop's clock (motcua/clock.py). A dossier received at or after the
# cut-off goes to the processing body the next working morning; steps count these working hours.
VPDT_MOTCUA_TRANSFER_CUTOFF = os.environ.get("VPDT_MOTCUA_TRANSFER_CUTOFF", "15:00")
VPDT_MOTCUA_WORKING_HOURS = os.environ.get("VPDT_MOTCUA_WORKING_HOURS", "07:30-11:30,13:00-17:00")
# The public lookup and the online submission, per client address (django-ratelimit's rate syntax).
VPDT_MOTCUA_LOOKUP_RATE = os.environ.get("VPDT_MOTCUA_LOOKUP_RATE", "30/m")
VPDT_MOTCUA_SUBMIT_RATE = os.environ.get("VPDT_MOTCUA_SUBMIT_RATE", "10/h")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("VPDT_REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["VPDT_REDIS_URL"]}

# Background jobs (vpdt.core.tasks on Huey). The SQLite queue needs no server; Redis is the
# scale path. VPDT_TASKS_NAME separates deployments (or test runs) sharing one Redis.
VPDT_TASKS = os.environ.get("VPDT_TASKS", "sqlite").lower()
VPDT_TASKS_NAME = os.environ.get("VPDT_TASKS_NAME", "vpdt")
VPDT_TASKS_FILE = os.environ.get("VPDT_TASKS_FILE", str(DATA_DIR / "tasks.sqlite3"))
VPDT_REDIS_URL = os.environ.get("VPDT_REDIS_URL", "redis://127.0.0.1:6379/0")
VPDT_TASK_WORKERS = int(os.environ.get("VPDT_TASK_WORKERS", "2"))
# --- hooks: webhooks POST to loopback, private or link-local addresses only when this is on (a
# receiver inside the province's network); off, an agency admin cannot aim the server inside.
VPDT_WEBHOOKS_ALLOW_PRIVATE = _env_bool("VPDT_WEBHOOKS_ALLOW_PRIVATE", False)
# --- audit: the audit log's chain head is anchored (signed file here, and the in-process
# hub's message log) every VPDT_AUDIT_ANCHOR_SECONDS by the job `audit.anchor`.
VPDT_AUDIT_ANCHOR_DIR = os.environ.get("VPDT_AUDIT_ANCHOR_DIR", str(DATA_DIR / "audit"))
VPDT_AUDIT_ANCHOR_SECONDS = float(os.environ.get("VPDT_AUDIT_ANCHOR_SECONDS", "600"))
# How long a claimed outbox message (or a connection being polled) stays locked to the worker
# handling it: a worker killed meanwhile leaves it due again after this (the hub recognises
# a package sent twice; a package received twice is recorded once).
EXCHANGE_LEASE_SECONDS = float(os.environ.get("VPDT_EXCHANGE_LEASE_SECONDS", "300"))
# How often an idle exchange sends its outbox (a new message wakes it at once anyway) and
# polls the hub for packages and statuses: the floor of how soon a receiver sees a document.
EXCHANGE_SEND_INTERVAL_SECONDS = float(os.environ.get("VPDT_EXCHANGE_SEND_SECONDS", "2"))
EXCHANGE_POLL_INTERVAL_SECONDS = float(os.environ.get("VPDT_EXCHANGE_POLL_SECONDS", "5"))
# --- poison: a package that cannot be taken in is quarantined, never stops the inbox.
# Zipped attachments are inflated within bounds counted as the bytes come out: in total at most
# the receiving agency's upload limit (Agency.max_upload_mb), at most this many entries, and at
# most this ratio inflated/compressed per entry and for the whole zip (past 1 MiB out).
EXCHANGE_ZIP_MAX_RATIO = int(os.environ.get("VPDT_EXCHANGE_ZIP_MAX_RATIO", "100"))
EXCHANGE_ZIP_MAX_ENTRIES = int(os.environ.get("VPDT_EXCHANGE_ZIP_MAX_ENTRIES", "1000"))
# A quarantined package is kept whole in the blob store up to this size (MB), else its first
# 64 KiB and its SHA-256 only (then it cannot be retried, only discarded).
EXCHANGE_QUARANTINE_KEEP_MB = int(os.environ.get("VPDT_EXCHANGE_QUARANTINE_KEEP_MB", "1024"))
# At `vpdt serve` / `vpdt worker` start, temporary files of interrupted work (exchange, blob and
# hub spools) older than this are removed; a file younger may belong to work still running.
VPDT_SPOOL_GRACE_SECONDS = float(os.environ.get("VPDT_SPOOL_GRACE_SECONDS", "3600"))

# --- secrets: a form sent with a stale CSRF token gets the Vietnamese error page (JSON under /api/)
CSRF_FAILURE_VIEW = "vpdt.web.views.errors.csrf_failure"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
# --- files: the site-wide Content-Security-Policy (django-csp), enforced, not report-only.
# Only the project's own files: no inline script, no inline style attribute, no eval (htmx is
# configured without them in base.html), nothing from another host (intranets have no Internet
# anyway). data: images are Bootstrap's icons; pdf.js runs its worker from /static/. A file
# served from the blob store replaces it with a sandbox (web.views.files.FILE_CSP).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": [],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}

# Real SMTP when VPDT_SMTP_HOST is set; otherwise mails are written as files under
# DATA_DIR/mail (the demo has no mail server, and a missing one must not slow anything).
EMAIL_BACKEND = os.environ.get("VPDT_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if os.environ.get("VPDT_SMTP_HOST")
    else "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = os.environ.get("VPDT_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("VPDT_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("VPDT_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("VPDT_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("VPDT_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("VPDT_MAIL_FROM", "vpdt@localhost")

# --- ops: VPDT_LOG_FORMAT=json writes one JSON object per line (python-json-logger) with the
# request id, user, agency and address of the request the line belongs to (vpdt.core.logs).
VPDT_LOG_FORMAT = os.environ.get("VPDT_LOG_FORMAT", "text").strip().lower()
LOGGING = logs.config(os.environ.get("VPDT_LOG_LEVEL", "WARNING"), VPDT_LOG_FORMAT)
# --- ops: who may read /metrics (vpdt.ops.metrics): with a token, requests carrying
# `Authorization: Bearer <token>`; without, requests from the loopback address only.
VPDT_METRICS_TOKEN = os.environ.get("VPDT_METRICS_TOKEN", "").strip()
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step

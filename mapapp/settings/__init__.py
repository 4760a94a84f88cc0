"""Settings for We Create Space.

Everything that differs between machines is read from the environment through the one
``env`` object below. Development needs no environment at all; production is switched on by
``DJANGO_ENV=production`` and then requires ``DJANGO_SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = BASE_DIR / ".local"  # git-ignored: dev secret key, embedded database, media

env = environ.Env()

ENVIRONMENT = env.str("DJANGO_ENV", default="development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)


def _development_secret_key() -> str:
    """A per-checkout key, generated once into the git-ignored local folder."""
    path = LOCAL_DIR / "secret_key"
    if not path.exists():
        LOCAL_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _development_secret_key()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address people reach the site at, for links in e-mails (which have no page to be
# relative to). In production it defaults to https:// and the first ALLOWED_HOSTS name.
_first_host = ALLOWED_HOSTS[0] if ALLOWED_HOSTS else ""
SITE_URL = env.str(
    "SITE_URL",
    default=f"https://{_first_host}"
    if PRODUCTION and _first_host and not _first_host.startswith((".", "*"))
    else ("" if PRODUCTION else "http://127.0.0.1:8000"),
).rstrip("/")
if PRODUCTION and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "Set SITE_URL (e.g. https://grants.example.org): links in e-mails need it."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.gis",
    # OpClass in index definitions (the trigram search indexes) and its lookups
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "leaflet",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "mapapp",
    "sites",
    "proposals",
    "geodata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mapapp.middleware.RefuseNulCharacters",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mapapp.middleware.StaffTwoFactor",
    "mapapp.middleware.CityTimeZone",
    "mapapp.middleware.VisitorLanguage",
]

ROOT_URLCONF = "mapapp.urls"
WSGI_APPLICATION = "mapapp.wsgi.application"
ASGI_APPLICATION = "mapapp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mapapp.context_processors.city_nav",
                "mapapp.context_processors.csp_nonce",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------------------
# DATABASE_URL points at any PostGIS 3 server. Without it, the embedded cluster that
# `make run` / `scripts/db.sh start` keeps in .local/postgres is used.
def _database_url() -> str:
    url = env.str("DATABASE_URL", default="")
    if url:
        return url
    local = LOCAL_DIR / "database_url"
    if local.exists():
        return local.read_text().strip()
    raise ImproperlyConfigured(
        "No database: run `make run` (starts the embedded PostGIS) or set DATABASE_URL="
        "postgis://user:password@host:5432/dbname"
    )


DATABASES = {"default": env.db_url_config(_database_url())}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
# PostgreSQL's JIT compiles expensive-looking spatial queries for hundreds of milliseconds to
# save a few: measured here, the planners' analysis ran ~3x faster without it (bench/).
DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env.str("GDAL_LIBRARY_PATH", default=""):
    GDAL_LIBRARY_PATH = env.str("GDAL_LIBRARY_PATH")
if env.str("GEOS_LIBRARY_PATH", default=""):
    GEOS_LIBRARY_PATH = env.str("GEOS_LIBRARY_PATH")

# gis.W001 warns that GDAL < 3.9 (Debian 12 ships 3.6) cannot block file and network access
# while parsing spatial references. We never build a SpatialReference from user text: SRIDs
# are integers we validate, user GeoJSON is parsed by GEOS and file imports run through
# pyogrio's own GDAL. Drop this line once the deployment's GDAL is 3.9 or newer.
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=["gis.W001"])

# Two caches. "default" is shared by every worker: django-allauth counts failed logins there
# (the lockout after five wrong passwords must hold whichever worker answers), and task
# queueing is de-duplicated there. In production it is PostgreSQL's own table (created by
# `migrate`, see mapapp.apps) unless CACHE_URL names Redis or Memcached. "local" is each
# process's memory, for what may differ between workers for a few seconds and is read on
# every request: rendered tiles, data stamps, counts, filter values.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default="dbcache://wcs_cache" if PRODUCTION else "locmemcache://"
    ),
    "local": env.cache_url("LOCAL_CACHE_URL", default="locmemcache://wcs-local"),
}
if CACHES["default"]["BACKEND"].endswith(".DatabaseCache"):
    # COUNT(*) runs on every write; culling starts above this many rows, expired ones first
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 50_000)

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "mapapp.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# Two-factor login (TOTP, with recovery codes) for anyone who turns it on at
# /accounts/2fa/; staff of a city that requires it must (mapapp.middleware.StaffTwoFactor).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "We Create Space"
ACCOUNT_ADAPTER = "mapapp.adapters.AccountAdapter"  # limits count clients, not the proxy
# the sign-in form's "forgot your password" link keeps `next`: resets are signed by the city
ACCOUNT_FORMS = {"login": "mapapp.account_forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"

# --- Languages ------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pl", _("Polish")),
    ("cs", _("Czech")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mapapp.formats"]  # English dates day first, on a 24-hour clock
USE_I18N = True
TIME_ZONE = "UTC"  # stored in UTC; each city has its own zone for display
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=LOCAL_DIR / "media")
# consents, receipts, signature sheets: never served directly (see mapapp.files)
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=LOCAL_DIR / "private-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Outside production, whitenoise serves files straight from the apps' static folders, so
# neither runserver nor the tests need collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Uploads: Django's limits on what it holds in memory; photos have their own checks
# (mapapp.images) and the largest request body is capped.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------
# Production sends through EMAIL_URL; development prints e-mails unless EMAIL_URL is given
# (e.g. smtp://127.0.0.1:1025 for a local test server).
if PRODUCTION or env.str("EMAIL_URL", default=""):
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
    vars().update(EMAIL_CONFIG)
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
# A mail server that stops answering must not hold the task worker (Django waits for ever).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# An e-mail the server cannot take for now is tried again after each of these waits
# (minutes), about 14 hours in all; then it is logged as not sent (mapapp.tasks).
MAIL_RETRY_MINUTES = [int(m) for m in env.list("MAIL_RETRY_MINUTES", default=[1, 5, 30, 120, 720])]
# Where to report a vulnerability (RFC 9116: /.well-known/security.txt), e.g.
# "mailto:security@grants.example.org" (several: comma-separated); unset, the file is a 404.
SECURITY_CONTACT = env.list("SECURITY_CONTACT", default=[])
SECURITY_POLICY_URL = env.str("SECURITY_POLICY_URL", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="We Create Space <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): no inline script. Our pages load scripts from our
# own origin only; the two generated pages that carry inline script (django-leaflet's admin
# map widget and folium's analysis map) get a per-request nonce. Inline styles stay allowed
# (Leaflet and folium write them; they cannot run code). Map tiles may come from any HTTPS
# tile server a city configures. VectorGrid decodes tiles in a worker built from a blob.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", "https:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "font-src": [SELF, "data:"],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],  # the embeddable map and the analysis map say otherwise
    }
}
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- API and maps ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # GIS staff use tokens (/me/token/, the admin, or `manage.py drf_create_token`), which
    # end after API_TOKEN_DAYS; people use their session
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mapapp.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# An API token is good for this many days from when it is made (0: it does not end); its
# holder is e-mailed API_TOKEN_REMIND_DAYS before it ends (by notify_overdue_reports).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=365)
API_TOKEN_REMIND_DAYS = env.int("API_TOKEN_REMIND_DAYS", default=14)
SPECTACULAR_SETTINGS = {
    "TITLE": "We Create Space API",
    "DESCRIPTION": (
        "Public proposals, neglected sites, completed projects and reference layers of each "
        "city, as GeoJSON (RFC 7946). Filters, bounding box, ordering and paging with next "
        "links. The same data is offered as OGC API - Features at /ogcapi/<city>/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own server (drf-spectacular-sidecar), never from a CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Background work (exports, large imports, analysis refresh): Django's tasks API through the
# django-tasks backport, stored in PostgreSQL; `manage.py db_worker` runs them.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# A city's basemap defaults to these unless the City row sets its own.
# Layer files uploaded in the admin above this size are imported by the task worker.
IMPORT_SYNC_MAX_BYTES = env.int("IMPORT_SYNC_MAX_BYTES", default=2 * 1024 * 1024)
# Officers' imports of completed projects (/<city>/interventions/import/): the largest data
# file or photos zip accepted, and what a zip may unpack to (files, bytes). nginx's limit for
# that path (deploy/nginx) must be at least PROJECT_IMPORT_MAX_BYTES.
PROJECT_IMPORT_MAX_BYTES = env.int("PROJECT_IMPORT_MAX_BYTES", default=500 * 1024 * 1024)
PROJECT_IMPORT_MAX_UNPACKED_BYTES = env.int(
    "PROJECT_IMPORT_MAX_UNPACKED_BYTES", default=2 * 1024 * 1024 * 1024
)
PROJECT_IMPORT_MAX_FILES = env.int("PROJECT_IMPORT_MAX_FILES", default=5000)
# GeoPackage/Shapefile exports above this many features run as background jobs.
EXPORT_SYNC_MAX = env.int("EXPORT_SYNC_MAX", default=20000)
# /healthz/tasks answers 503 when a background task has waited longer than this: no worker
# is taking them (e-mail, exports and analysis refreshes wait with them).
TASKS_STALE_SECONDS = env.int("TASKS_STALE_SECONDS", default=900)
# Scheduled jobs and the hours each may go without succeeding before /healthz/jobs answers
# 503 (deploy/systemd runs them nightly). A deployment that backs up another way leaves
# `backup` out: SCHEDULED_JOBS=apply_retention=36,notify_overdue_reports=36,cluster_spatial=36
SCHEDULED_JOBS = env.dict(
    "SCHEDULED_JOBS",
    cast={"value": int},
    default={"apply_retention": 36, "notify_overdue_reports": 36, "cluster_spatial": 36,
             "backup": 36},
)  # fmt: skip
# Rows per page of the public lists of proposals, sites and completed projects.
LIST_PAGE_SIZE = 50
# A background export's file is removed this many days after it was written (by
# `manage.py apply_retention`); its job page then says so and offers to export again.
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)
# Finished background tasks' records are kept this long, then removed by apply_retention
# (an e-mail's record holds its recipients and text).
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=14)
# An account whose address was never confirmed (so never signed in: confirmation is
# mandatory) is removed this many days after sign-up by apply_retention: it holds an address
# someone typed, perhaps not theirs. Accounts with a role or staff status are never removed.
UNCONFIRMED_ACCOUNT_DAYS = env.int("UNCONFIRMED_ACCOUNT_DAYS", default=30)
# A background export running without a word from its worker for this long, or queued this
# long while no worker took any task, has lost its worker: its page says so and offers to
# export again.
EXPORT_STUCK_SECONDS = env.int("EXPORT_STUCK_SECONDS", default=900)
# Reports of content (and objections) are reviewed within this many days: told to whoever
# reports, and one waiting longer is marked overdue on the officers' queue and in their digest.
FLAG_REVIEW_DAYS = env.int("FLAG_REVIEW_DAYS", default=7)
# The officers decide a call's grants one by one: the news of those decided within this many
# minutes of the first goes to the area alerts in one e-mail a person.
GRANT_NEWS_DELAY_MINUTES = env.int("GRANT_NEWS_DELAY_MINUTES", default=60)
# Applicants whose proposal is not submitted are reminded this many days before their call
# closes (each once; the daily job, so a reminder comes up to a day earlier than this).
SUBMIT_REMIND_DAYS = tuple(env.list("SUBMIT_REMIND_DAYS", cast=int, default=[7, 2]))
# An import that failed unexpectedly (not a refusal of its file), or whose worker was lost,
# keeps its uploads this many days so that it can be run again without uploading them again;
# then `manage.py apply_retention` removes them.
IMPORT_RERUN_KEEP_DAYS = env.int("IMPORT_RERUN_KEEP_DAYS", default=7)
# Retention: supporters' names and addresses (and scanned sheets) are erased this many days
# after their call's final decision; `manage.py apply_retention` does it (run it daily).
SUPPORTER_DATA_RETENTION_DAYS = env.int("SUPPORTER_DATA_RETENTION_DAYS", default=365)
# Receipts (files) and maintenance reports' texts, the accounting records of a project, are
# kept this many full calendar years after the year its sustainability period ended, then
# erased by `manage.py apply_retention` (the amounts, dates and work days stay). Accounting
# law sets the period, not the programme (Poland: 5 years; Czechia: 5 or 10); 0 keeps them.
WORKS_RECORDS_KEEP_YEARS = env.int("WORKS_RECORDS_KEEP_YEARS", default=0)
# Who did what in the audit log (the person's account and e-mail address) is kept this many
# full calendar years after the year of the event, then erased by `manage.py apply_retention`
# (what was done, when, to what and why stay: the programme's accountability). 0 keeps them:
# how long is the programme's decision (its records schedule), not ours.
AUDIT_ACTORS_KEEP_YEARS = env.int("AUDIT_ACTORS_KEEP_YEARS", default=0)

# Backup copies off the machine (manage.py backup): encrypted with age for these recipients
# (age1... public keys, or ssh-ed25519/ssh-rsa keys), then written into BACKUP_COPY_DIR (a
# folder on other storage: an NFS, SMB or rclone mount), keeping the newest
# BACKUP_COPY_KEEP there, and/or handed to BACKUP_COPY_COMMAND ({file} and {name} replaced;
# e.g. "rclone copyto {file} offsite:wecreatespace/{name}"). No copy leaves unencrypted.
BACKUP_AGE_RECIPIENTS = env.list("BACKUP_AGE_RECIPIENTS", default=[])
BACKUP_COPY_DIR = env.str("BACKUP_COPY_DIR", default="")
BACKUP_COPY_KEEP = env.int("BACKUP_COPY_KEEP", default=30)
BACKUP_COPY_COMMAND = env.str("BACKUP_COPY_COMMAND", default="")
BACKUP_COPY_TIMEOUT = env.int("BACKUP_COPY_TIMEOUT", default=6 * 3600)
# After BACKUP_COPY_COMMAND, a command that prints the SHA-256 of the copy on the other side
# ({name} replaced; e.g. "rclone hashsum sha256 --download offsite:wecreatespace/{name}"):
# the job fails unless it shows the SHA-256 of the file sent. An uploader's exit status alone
# does not prove the copy is there and whole.
BACKUP_COPY_CHECK_COMMAND = env.str("BACKUP_COPY_CHECK_COMMAND", default="")
# BACKUP_COPY_DIR on the same disk as the backups is refused (a copy there is lost with
# them: usually a share that is not mounted); 1 allows it, e.g. to try the set-up.
BACKUP_COPY_SAME_DISK = env.bool("BACKUP_COPY_SAME_DISK", default=False)

# This many supports of one proposal within SUPPORT_BURST_MINUTES from accounts less than a
# day old raise a flag for officers.
SUPPORT_BURST_COUNT = env.int("SUPPORT_BURST_COUNT", default=10)
SUPPORT_BURST_MINUTES = env.int("SUPPORT_BURST_MINUTES", default=60)

# Rate limits ("count/period", period in s, m, h, d), per user and per address; see
# mapapp/ratelimit.py. Logins, sign-ups and resets are limited by allauth below.
RATE_LIMITS = {
    "proposal_start": env.str("RATE_PROPOSAL_START", default="10/h"),
    "proposal_write": env.str("RATE_PROPOSAL_WRITE", default="600/h"),  # edits and autosaves
    "support": env.str("RATE_SUPPORT", default="30/h"),
    "site_report": env.str("RATE_SITE_REPORT", default="10/h"),
    "upload": env.str("RATE_UPLOAD", default="60/h"),
    "open311": env.str("RATE_OPEN311", default="60/h"),
    "export": env.str("RATE_EXPORT", default="60/h"),
    "flag": env.str("RATE_FLAG", default="20/h"),
    "care_notice": env.str("RATE_CARE_NOTICE", default="10/h"),
    # new computations of the planners' analysis (reading a stored one is not counted)
    "analysis": env.str("RATE_ANALYSIS", default="60/h"),
}
# The request header (as in request.META) holding the client's address behind a proxy; the
# deployment's nginx sets X-Real-IP, so behind a proxy (BEHIND_TLS_PROXY) that is the default.
# Without it every visitor has the proxy's address, and shares one allowance.
RATE_LIMIT_ADDRESS_HEADER = env.str(
    "RATE_LIMIT_ADDRESS_HEADER",
    default="HTTP_X_REAL_IP" if PRODUCTION and env.bool("BEHIND_TLS_PROXY", default=False) else "",
)
RATE_LIMIT_ADDRESS_FACTOR = env.int("RATE_LIMIT_ADDRESS_FACTOR", default=10)
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/15m/key",  # five wrong passwords lock the account 15 minutes
    "signup": "5/h/ip",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
}

# Each process keeps a city's settings this long before reading them again (seconds).
CITY_CACHE_SECONDS = env.int("CITY_CACHE_SECONDS", default=10)
# A map layer with more features than this is drawn from our vector tiles, not GeoJSON.
MAP_TILES_ABOVE = env.int("MAP_TILES_ABOVE", default=5000)
# How long a collection's change stamp (a per-city counter kept by triggers) and its unfiltered
# row count are trusted before the database is asked again: ETags of the REST API and the
# tiles, and OGC API's unfiltered numberMatched, may lag a change by this many seconds.
DATA_STAMP_SECONDS = env.int("DATA_STAMP_SECONDS", default=2)
# A city's public figures (the calls page's "so far", /figures/, the figures API) are kept in
# the cache under a key that changes with what they count (proposals.selectors.public_figures);
# this long at most, so that an unused key leaves the cache.
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=3600)
# The planners' analysis is stored per city and parameters and computed again when the data
# change (geodata.analysis_results): right away in a city with at most this many proposals
# and sites together, else by the task worker, the last result being shown meanwhile.
ANALYSIS_SYNC_PLACES = env.int("ANALYSIS_SYNC_PLACES", default=20000)
# A refresh queued or running for longer than this is taken as lost and asked again (seconds).
ANALYSIS_STUCK_SECONDS = env.int("ANALYSIS_STUCK_SECONDS", default=1800)
# Stored analyses kept per city (the most recently asked, and always the default parameters).
ANALYSIS_KEEP = env.int("ANALYSIS_KEEP", default=50)
# Rendered vector tiles are kept this long in the cache (0: not kept), under an ETag that
# changes with the data.
TILE_CACHE_SECONDS = env.int("TILE_CACHE_SECONDS", default=3600)
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default=(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    ),
)
LEAFLET_CONFIG = {
    "TILES": [("OpenStreetMap", MAP_TILE_URL, {"attribution": MAP_TILE_ATTRIBUTION})],
    "DEFAULT_CENTER": (52.0, 17.0),
    "DEFAULT_ZOOM": 5,
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# Errors (a 500, a background job failing, a stored file gone) are e-mailed to these
# addresses (comma-separated), without the personal data a request carries, once per place of
# failure per ERROR_MAIL_SECONDS (mapapp/error_reports.py); none when empty.
ADMINS = [(address, address) for address in env.list("ERROR_EMAILS", default=[])]
ERROR_MAIL_SECONDS = env.int("ERROR_MAIL_SECONDS", default=600)
EMAIL_SUBJECT_PREFIX = env.str("EMAIL_SUBJECT_PREFIX", default="[We Create Space] ")
DEFAULT_EXCEPTION_REPORTER_FILTER = "mapapp.error_reports.PrivateExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "mapapp.error_reports.PrivateExceptionReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"production": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {  # runserver's request lines, as Django's default has them
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
        "error_mail": {
            "class": "mapapp.error_reports.ErrorMailHandler",
            "level": "ERROR",
            "filters": ["production"],
        },
    },
    "root": {"handlers": ["console", "error_mail"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers are replaced: its messages reach the two above once (its
        # default error mail would write the request's personal data)
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # a request for another host name: bots, all day; logged, not mailed
        "django.security.DisallowedHost": {"handlers": ["console"], "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

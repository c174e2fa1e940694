"""Shared settings; the run mode (embedded or services) is chosen from the environment.

Embedded (no DATABASE_URL / REDIS_URL): SQLite in WAL mode under ``var/``, a Celery worker on a
filesystem broker under ``var/``, an in-process channel layer. Services: PostgreSQL, Redis as
broker, cache and channel layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("QUORUM_VAR_DIR", BASE_DIR / "var"))

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
QUORUM_MODE = "services" if DATABASE_URL else "embedded"

SECRET_KEY = os.environ.get("QUORUM_SECRET_KEY", "insecure-dev-key-change-me-" + "x" * 30)
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("QUORUM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("QUORUM_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "workforce",  # first: its ready() prepares typing helpers the admin and API modules use
    "config.security.QuorumAdminConfig",  # django.contrib.admin for platform operators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "privacy",
    "annotation",
    "review",
    "inference",
    "training_export",
    "quality",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CSP, Permissions-Policy & co. on every response, static files (WhiteNoise) included.
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.messages.LazyMessageMiddleware",  # the message store only when used
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: sees the final body of every view (DRF sets request.user for token auth by then).
    # Sync-only, so under ASGI Django runs the whole chain in one thread instead of hopping per middleware.
    "privacy.middleware.CanaryTripwireMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "workforce.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None

# --- database -------------------------------------------------------------------------------
if QUORUM_MODE == "services":
    # Under ASGI each request has its own async context, so persistent per-context connections are
    # never reused and pile up ("too many clients"). A psycopg pool hands them back after each request.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The pool checks a connection as it is taken out: one that died idle (PostgreSQL restarted)
        # is replaced instead of failing the request that got it (tests/reliability/
        # test_faults_postgres.py). This backend's check costs no round trip unless the socket has
        # something to read (config/dbpool.py); psycopg's stock one costs one per request.
        DATABASES["default"]["ENGINE"] = "config.postgres"
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # The queue's hot statements are prepared once per pooled connection (annotation.queueing.sql):
        # Django turns prepared statements off unless a threshold is set. Its own queries bind
        # client-side and are never prepared either way. Behind a transaction-mode pooler that
        # cannot keep prepared statements (PgBouncer before 1.21), set QUORUM_DB_PREPARE=0.
        if os.environ.get("QUORUM_DB_PREPARE", "1") != "0":
            DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("QUORUM_DB_POOL_MAX", "8")),
            "timeout": 10,
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "quorum.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }

# --- cache, broker, channel layer ------------------------------------------------------------
CELERY_TASK_QUEUES_NAMES = ("default", "inference", "training")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {
    "inference.tasks.recover_prelabel": {"queue": "default"},  # exact names win over the patterns
    "inference.tasks.*": {"queue": "inference"},
    "training_export.tasks.finetune_*": {"queue": "training"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "recover-imports": {"task": "annotation.tasks.recover_imports", "schedule": 300.0},
    # Snapshots and fine-tunes whose worker died, or whose message was lost (broker down at request time).
    "recover-export-jobs": {"task": "training_export.tasks.recover_jobs", "schedule": 60.0},
    # Pre-labeling that a dead inference worker left unfinished.
    "recover-prelabel": {"task": "inference.tasks.recover_prelabel", "schedule": 300.0},
    # Agreement and SLA rollups fold in batches (submissions only mark what changed).
    "quality-fold-agreement": {"task": "quality.tasks.fold_agreement", "schedule": 30.0},
    "quality-fold-sla": {"task": "quality.tasks.fold_sla", "schedule": 60.0},
}

if REDIS_URL:
    CACHES: dict[str, Any] = {
        # One Redis client per process (config/cache.py): the stock backend reconnects per request under ASGI.
        "default": {"BACKEND": "config.cache.SharedRedisCache", "LOCATION": REDIS_URL,
                    # A Redis that hangs costs a request two seconds, not forever (config/cache.py).
                    "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
    }
    CELERY_BROKER_URL = REDIS_URL
    # A key prefix keeps several deployments (or test runs) on one Redis apart.
    if os.environ.get("QUORUM_BROKER_PREFIX"):
        CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"global_keyprefix": os.environ["QUORUM_BROKER_PREFIX"]}
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # The filesystem transport keeps queued jobs on disk: they survive a restart of either
    # process. Jobs that were running when a worker died are re-queued from their DB records.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables too (kombu's default is a "control" folder in the current directory).
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workforce.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["workforce.permissions.ScopedPermission"],
    "DEFAULT_PAGINATION_CLASS": "config.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "workforce.apiviews.QuorumAutoSchema",
    # JSON bodies: size-capped (DATA_UPLOAD_MAX_MEMORY_SIZE) and depth-safe (config/api.py).
    "DEFAULT_PARSER_CLASSES": [
        "config.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.ContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonWindowThrottle",
        "config.throttling.UserWindowThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("QUORUM_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("QUORUM_THROTTLE_USER", "20000/min"),
        "login": os.environ.get("QUORUM_THROTTLE_LOGIN", "20/min"),
        "token": os.environ.get("QUORUM_THROTTLE_TOKEN", "20/hour"),
    },
    # Proxies in front of the web servers that append to X-Forwarded-For (0: use the peer address).
    "NUM_PROXIES": int(os.environ.get("QUORUM_NUM_PROXIES", "0")),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quorum API",
    "DESCRIPTION": "Annotation queues, redacted items, imports and exports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs pages load Swagger UI and Redoc from our own static files (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Quorum's own settings: one namespaced dict, defaults here ----------------------------------
QUORUM: dict[str, Any] = {
    "MODE": QUORUM_MODE,
    "IMPORT_MAX_ERRORS": int(os.environ.get("QUORUM_IMPORT_MAX_ERRORS", "100")),
    "IMPORT_BATCH_ROWS": int(os.environ.get("QUORUM_IMPORT_BATCH_ROWS", "5000")),
    "IMPORT_UPLOAD_DIR": VAR_DIR / "imports",
    # The largest file an import upload may be (a larger one is imported from a path, by manage.py).
    "IMPORT_MAX_BYTES": int(os.environ.get("QUORUM_IMPORT_MAX_BYTES", str(4 * 1024**3))),
    "TOKEN_DEFAULT_DAYS": int(os.environ.get("QUORUM_TOKEN_DEFAULT_DAYS", "90")),
    "DEFAULT_LEASE_SECONDS": int(os.environ.get("QUORUM_LEASE_SECONDS", "300")),
    "MODEL_DIR": Path(os.environ.get("QUORUM_MODEL_DIR", VAR_DIR / "models")),
    "SNAPSHOT_DIR": Path(os.environ.get("QUORUM_SNAPSHOT_DIR", VAR_DIR / "snapshots")),
    # The quantization the base model is served in: Q4_0 and Q8_0 have llama.cpp's fast x86 kernels.
    "SERVING_QUANT": os.environ.get("QUORUM_SERVING_QUANT", "Q4_0"),
    "INFERENCE_BATCH_ITEMS": int(os.environ.get("QUORUM_INFERENCE_BATCH_ITEMS", "64")),
    # Raw item content is sealed with the first key; every key decrypts (rotation: put a new key first,
    # run `manage.py rotate_content_key`, then drop the old one). Empty: a key derived from SECRET_KEY.
    "CONTENT_KEYS": [k for k in os.environ.get("QUORUM_CONTENT_KEYS", "").split(",") if k],
    # Pseudonym keys per project derive from this (default: SECRET_KEY).
    "PSEUDONYM_MASTER_KEY": os.environ.get("QUORUM_PSEUDONYM_MASTER_KEY", ""),
    # Processed item images (content-addressed) and the folder imports may name image files in.
    "MEDIA_DIR": Path(os.environ.get("QUORUM_MEDIA_DIR", VAR_DIR / "media")),
    "MEDIA_IMPORT_DIR": Path(os.environ.get("QUORUM_MEDIA_IMPORT_DIR", VAR_DIR / "media-import")),
    # How long a reveal of raw content lasts.
    "REVEAL_MINUTES": int(os.environ.get("QUORUM_REVEAL_MINUTES", "10")),
    # A running fine-tune job touches its heartbeat this often; one silent for JOB_STALE_SECONDS lost its
    # worker and is re-queued (training_export/recovery.py), as is a queued job whose message never came.
    "JOB_HEARTBEAT_SECONDS": float(os.environ.get("QUORUM_JOB_HEARTBEAT_SECONDS", "15")),
    "JOB_STALE_SECONDS": float(os.environ.get("QUORUM_JOB_STALE_SECONDS", "120")),
    # A fine-tune whose worker died in this many runs is failed, not re-queued again.
    "JOB_MAX_ATTEMPTS": int(os.environ.get("QUORUM_JOB_MAX_ATTEMPTS", "3")),
    # How long a web process keeps an API token's row (and user) after reading it. A revocation made
    # in another process applies within about a second through the cache (the auth epoch), within
    # this time at worst (workforce.authentication).
    "TOKEN_CACHE_SECONDS": float(os.environ.get("QUORUM_TOKEN_CACHE_SECONDS", "60")),
    # Threads per web process that run Django's request handling (config.http_bridge); each may hold
    # a database connection while it works, so keep it at or below the pool's max size.
    "HTTP_THREADS": int(os.environ.get("QUORUM_HTTP_THREADS", "8")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "canary": {"()": "privacy.canaries.CanaryLogFilter"},
        "secrets": {"()": "config.security.SecretRedactingFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["secrets", "canary"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("QUORUM_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
WHITENOISE_USE_FINDERS = True

# --- security: headers, cookies, sessions (config/security.py; production.py adds HTTPS-only) -----------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("QUORUM_SESSION_HOURS", "12")) * 3600
CSRF_COOKIE_SAMESITE = "Lax"  # read by the pages' scripts (X-CSRFToken), so not HttpOnly
QUORUM_CSP: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
QUORUM_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), "
    "accelerometer=(), gyroscope=(), magnetometer=()"
)

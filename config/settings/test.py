"""Test settings: PostgreSQL and Redis (the local servers unless the environment says otherwise)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: E402, F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = False
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] = "10000/min"  # noqa: F405
QUORUM["IMPORT_UPLOAD_DIR"] = VAR_DIR / "test-imports"  # noqa: F405

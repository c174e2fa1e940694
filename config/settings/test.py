"""Test settings: PostgreSQL and Redis (the local servers unless the environment says otherwise)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("QUORUM_TEST_DB", f"test_quorum_{os.getpid()}")
# Workers started by tests share this run's broker keys and nothing else's.
os.environ.setdefault("QUORUM_BROKER_PREFIX", os.environ["QUORUM_TEST_DB"] + ":")
# Sign-in and token-creation limits are relaxed for the suite (servers it starts inherit them); the
# tests of the limits set low rates themselves (tests/reliability/test_hygiene.py).
os.environ.setdefault("QUORUM_THROTTLE_LOGIN", "10000/min")
os.environ.setdefault("QUORUM_THROTTLE_TOKEN", "10000/min")

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = False
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] = "10000/min"  # noqa: F405
QUORUM["IMPORT_UPLOAD_DIR"] = VAR_DIR / "test-imports"  # noqa: F405

# One test database per test run (process), so that parallel runs on one machine never collide.
DATABASES["default"]["TEST"] = {"NAME": os.environ["QUORUM_TEST_DB"]}  # noqa: F405
WHITENOISE_AUTOREFRESH = True

"""Production: services mode expected, secrets from the environment, hardened transport."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["QUORUM_SECRET_KEY"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("QUORUM_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# HTTPS only: websockets too, and no plain-HTTP subresource on an HTTPS page.
QUORUM_CSP = {**QUORUM_CSP, "upgrade-insecure-requests": ""}  # noqa: F405

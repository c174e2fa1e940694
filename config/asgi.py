"""ASGI entry point: HTTP through Django on a thread pool (config.http_bridge), websockets through
Channels (session auth)."""

from __future__ import annotations

import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_wsgi = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.http_bridge import HttpBridge  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

logging.getLogger("quorum").info("Quorum starting in %s mode", settings.QUORUM["MODE"])

application = ProtocolTypeRouter(
    {
        "http": HttpBridge(
            django_wsgi, threads=settings.QUORUM["HTTP_THREADS"],
            max_body=settings.QUORUM["IMPORT_MAX_BYTES"] + (1 << 20),  # an import upload and its form
        ),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

"""Settings for the queue bench's server: the shared services settings plus three fixes that
services mode needs under ASGI. Each is proposed for config/settings; the bench applies them
here until it does, and reports its figures with them.

1. Database connections. Under ASGI each request runs in an async context of its own and Django
   keeps connections per context: with ``CONN_MAX_AGE`` > 0 (config/settings/base.py) no request
   reuses one, so every request opens a PostgreSQL connection and leaves it open ("too many
   clients" within seconds under load). A pool returns them at the end of each request.
2. Redis connections. The cache backend is per context too: each request builds a new
   ``RedisCache`` with a new connection pool, so DRF's throttle opens a TCP connection to Redis
   on every request (about a fifth of a worker's time in the bench). The backend below shares one
   client per process.
3. Thread hops. Under ASGI a sync middleware method runs in a worker thread of its own; with
   every middleware async-capable, a request hops threads about a dozen times. A sync-only no-op
   at the end of the chain makes Django run the whole chain in one thread.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, MIDDLEWARE

DEBUG = False

# 1. The connection pool now lives in config/settings/base.py (services mode).


# 2. One Redis client per process, whatever the context.
class _SharedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's private helpers, untyped in the stubs
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients.setdefault(index, base._client(connection_pool=base._get_connection_pool(write)))
        return client


_shared: dict[str, RedisCacheClient] = {}
_shared_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    """Django's Redis cache with its client (and connection pools) shared by every context."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedRedisCacheClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        base: Any = self  # Django's private attributes, untyped in the stubs
        key = repr((base._servers, sorted(base._options.items())))
        with _shared_lock:
            if key not in _shared:
                _shared[key] = self._class(base._servers, **base._options)
            return _shared[key]


if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "bench.queue_settings.SharedRedisCache"


# 3. Keep the middleware chain synchronous: one thread hop per request, not one per middleware.
class SyncChainMiddleware:
    """A sync-only no-op, last in MIDDLEWARE (see 3. above)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)


MIDDLEWARE = [*MIDDLEWARE, "bench.queue_settings.SyncChainMiddleware"]

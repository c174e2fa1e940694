"""Django's Redis cache with one client (and connection pool) per process.

Under ASGI every request runs in its own async context and Django builds the cache backend per
context: the stock ``RedisCache`` then opens a new TCP connection to Redis on every request (DRF's
throttle touches the cache on each one; measured at about a fifth of a worker's time in
``python -m bench queue``). This backend shares the client across contexts.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


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

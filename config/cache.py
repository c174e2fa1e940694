"""Django's Redis cache with one client (and connection pool) per process.

Under ASGI every request runs in its own async context and Django builds the cache backend per
context: the stock ``RedisCache`` then opens a new TCP connection to Redis on every request (DRF's
throttle touches the cache on each one; measured at about a fifth of a worker's time in
``python -m bench queue``). This backend shares the client across contexts.

Redis being down must not take the web down with it (nothing Quorum keeps in the cache is the
only copy): while it is unreachable, reads miss and writes are dropped, with one warning a minute.
Rate limits then do not count (DRF's throttles read and write through this cache): an outage
opens them rather than failing every request.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

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


log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
_warned = {"at": 0.0}


def _unavailable(fallback: Callable[..., Any]) -> Callable[[F], F]:
    """Answer ``fallback(*args, **kwargs)`` instead of raising when Redis cannot be reached."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            import redis

            try:
                return method(self, *args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as e:
                if time.monotonic() - _warned["at"] > 60:
                    _warned["at"] = time.monotonic()
                    log.warning("cache unavailable (Redis: %s); serving without it", type(e).__name__)
                return fallback(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


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

    get = _unavailable(_default)(RedisCache.get)
    get_many = _unavailable(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _unavailable(lambda *a, **k: False)(RedisCache.has_key)
    add = _unavailable(lambda *a, **k: False)(RedisCache.add)
    set = _unavailable(lambda *a, **k: None)(RedisCache.set)
    set_many = _unavailable(lambda data, *a, **k: list(data))(RedisCache.set_many)
    touch = _unavailable(lambda *a, **k: False)(RedisCache.touch)
    delete = _unavailable(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _unavailable(lambda *a, **k: None)(RedisCache.delete_many)

    @_unavailable(lambda *a, **k: 0)
    def hit(self, key: str, window_seconds: int, amount: int = 1) -> int:
        """Count ``amount`` events under ``key`` (INCRBY, and EXPIRE when new, in one round trip); the
        count so far. Rate limits count with it (config.throttling); 0 while Redis is unreachable."""
        full_key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incrby(full_key, amount)
        pipe.expire(full_key, window_seconds + 1, nx=True)
        return int(pipe.execute()[0])

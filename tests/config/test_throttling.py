"""Windowed rate limits: a counter per client and window, in Redis, one round trip per request."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from config import throttling


@pytest.fixture
def low_user_rate(settings):
    original = throttling.UserWindowThrottle.THROTTLE_RATES
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    throttling.UserWindowThrottle.THROTTLE_RATES = rates  # read when the class was defined
    cache.clear()
    yield
    throttling.UserWindowThrottle.THROTTLE_RATES = original
    cache.clear()


def test_the_fourth_call_in_a_window_is_429_with_retry_after(world, low_user_rate):
    client = world.client("ml")
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    over = client.get("/api/v1/me")
    assert over.status_code == 429
    assert 0 < int(over["Retry-After"]) <= 60
    assert world.client("admin").get("/api/v1/me").status_code == 200  # per user, not global


def test_the_counter_is_one_key_per_user_and_window_that_expires(world, low_user_rate):
    world.client("ml").get("/api/v1/me")
    raw = cache._cache.get_client()  # the Redis client under the cache
    keys = list(raw.keys("*throttle_user*"))
    assert len(keys) == 1
    assert 0 < raw.ttl(keys[0]) <= 61


def test_an_unreachable_cache_counts_nothing(world, low_user_rate, monkeypatch):
    """Redis down: the limit opens rather than failing every request (config.cache)."""
    import redis

    def down(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(redis.client.Pipeline, "execute", down)
    client = world.client("ml")
    assert {client.get("/api/v1/me").status_code for _ in range(5)} == {200}

"""Windowed rate limits: a counter per client and window in Redis, taken from in blocks."""

from __future__ import annotations

import time

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
    throttling.local_quota.clear()
    yield
    throttling.UserWindowThrottle.THROTTLE_RATES = original
    cache.clear()
    throttling.local_quota.clear()


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


def test_block_sizes_are_exact_for_small_rates_and_capped():
    assert [throttling.block_size(n) for n in (1, 20, 60, 199, 200, 1000, 20_000, 10**6)] == [1, 1, 1, 1, 2, 10, 32, 32]


def test_a_process_reserves_blocks_and_the_shared_counter_never_admits_past_the_rate():
    """Three processes (three quotas) share one client's rate of 250 a window (blocks of 2): together
    they admit exactly 250, the counter moved once per block, and every one then refuses."""
    cache.clear()
    processes = [throttling.LocalQuota() for _ in range(3)]
    admitted, key, window = 0, "throttle_test_blocks", int(time.time() // 60)
    for i in range(400):
        admitted += processes[i % 3].take(key, window, 60, 250)
    assert admitted == 250
    raw = cache._cache.get_client()
    counted = int(raw.get(cache.make_and_validate_key(f"{key}:{window}")))
    assert 250 <= counted <= 250 + 2 * 3  # blocks: one trip per 2 requests, then one refused trip each
    assert not any(p.take(key, window, 60, 250) for p in processes)
    assert processes[0].take(key, window + 1, 60, 250)  # a new window starts afresh
    cache.clear()


def test_a_busy_client_costs_one_round_trip_per_block(world, settings, monkeypatch):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3200/min"}  # blocks of 32
    monkeypatch.setattr(throttling.UserWindowThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    throttling.local_quota.clear()
    trips: list[int] = []
    real_hit = throttling.window_hit
    def counted_hit(key: str, window_seconds: int, amount: int = 1) -> int:
        trips.append(amount)
        return real_hit(key, window_seconds, amount)

    monkeypatch.setattr(throttling, "window_hit", counted_hit)
    client = world.client("ml")
    assert {client.get("/api/v1/me").status_code for _ in range(64)} == {200}
    assert trips == [32, 32]
    throttling.local_quota.clear()

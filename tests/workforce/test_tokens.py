"""API tokens: hashed at rest, scoped, expiring, revocable, last-used tracked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from workforce.access import AccessDenied, actor_for
from workforce.models import ApiToken
from workforce.services import token_create, token_revoke
from workforce.tokens import hash_secret


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_token_is_stored_hashed_and_authenticates(world):
    token, plaintext = token_create(actor=actor_for(world.users["ml"]), name="ci", scopes=["read"])
    row = ApiToken.objects.get(pk=token.pk)
    assert plaintext.split("_")[2] not in (row.key_hash, row.prefix)
    assert row.key_hash == hash_secret(plaintext.split("_", 2)[2])
    response = _client(plaintext).get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == "ml"
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_wrong_secret_expired_and_revoked_tokens_are_refused(world):
    actor = actor_for(world.users["ml"])
    token, plaintext = token_create(actor=actor, name="t", scopes=["read"])
    prefix = plaintext.split("_")[1]
    bad = _client(f"qrm_{prefix}_not-the-secret").get("/api/v1/me")
    assert bad.status_code == 401 and bad.json()["error"]["message"] == "Invalid API token."
    assert _client("garbage").get("/api/v1/me").status_code == 401

    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    assert _client(plaintext).get("/api/v1/me").json()["error"]["message"] == "API token expired."

    token2, plaintext2 = token_create(actor=actor, name="t2", scopes=["read"])
    token_revoke(actor=actor, token=token2)
    assert _client(plaintext2).get("/api/v1/me").json()["error"]["message"] == "API token revoked."


def test_scopes_limit_what_a_token_may_do(world, project, tmp_path):
    actor = actor_for(world.users["admin"])
    _, read_only = token_create(actor=actor, name="r", scopes=["read"])
    client = _client(read_only)
    assert client.get("/api/v1/projects").status_code == 200
    denied = client.post("/api/v1/vendors", {"name": "X", "country": "DE", "clearance": "standard"}, format="json")
    assert denied.status_code == 403
    _, writer = token_create(actor=actor, name="w", scopes=["read", "write"])
    created = _client(writer).post(
        "/api/v1/vendors", {"name": "X", "country": "de", "clearance": "standard"}, format="json"
    )
    assert created.status_code == 201 and created.json()["country"] == "DE"
    upload = tmp_path / "a.jsonl"
    upload.write_text('{"id": "a", "text": "x"}\n')
    with open(upload, "rb") as fh:
        no_import_scope = _client(writer).post(f"/api/v1/projects/{project.pk}/imports", {"file": fh})
    assert no_import_scope.status_code == 403


def test_token_api_create_list_revoke(world):
    client = world.client("annotator")
    created = client.post("/api/v1/tokens", {"name": "laptop", "scopes": ["read"], "expires_in_days": 7}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("qrm_") and "key_hash" not in body
    listed = client.get("/api/v1/tokens").json()["results"]
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    assert client.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert ApiToken.objects.get(pk=body["id"]).revoked_at is not None
    # Another user's token is invisible.
    assert world.client("ml").delete(f"/api/v1/tokens/{body['id']}").status_code == 404


def test_only_admins_mint_admin_scope(world):
    with pytest.raises(AccessDenied):
        token_create(actor=actor_for(world.users["ml"]), name="x", scopes=["admin"])
    response = world.client("ml").post("/api/v1/tokens", {"name": "x", "scopes": ["nope"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "scopes[0]"


def test_token_cache_forgets_on_save_and_after_its_time(world, monkeypatch, settings):
    """A token's row is kept a few seconds per process: a change saved in this process applies at
    once; one written behind its back (another process) applies once the cache time has passed."""
    from workforce import authentication

    actor = actor_for(world.users["ml"])
    _, plaintext = token_create(actor=actor, name="t", scopes=["read"])
    assert _client(plaintext).get("/api/v1/me").status_code == 200  # now cached

    user = world.users["ml"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _client(plaintext).get("/api/v1/me").json()["error"]["message"] == "User inactive."
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert _client(plaintext).get("/api/v1/me").status_code == 200

    clock = [1e9]  # far from the real clock: the first read below misses the cache
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock[0])
    settings.QUORUM = {**settings.QUORUM, "TOKEN_CACHE_SECONDS": 5}
    assert _client(plaintext).get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(prefix=plaintext.split("_")[1]).update(revoked_at=timezone.now())  # no signal
    clock[0] += 4
    assert _client(plaintext).get("/api/v1/me").status_code == 200  # still within the cache time
    clock[0] += 2
    assert _client(plaintext).get("/api/v1/me").json()["error"]["message"] == "API token revoked."


def test_a_change_in_another_process_applies_within_a_second(world, monkeypatch):
    """Another web process saved a revocation: its signal bumped the shared auth epoch, which this
    process reads at most once a second and then forgets its rows."""
    from django.core.cache import cache

    from workforce import authentication

    clock = [2e9]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock[0])
    _, plaintext = token_create(actor=actor_for(world.users["ml"]), name="t", scopes=["read"])
    assert _client(plaintext).get("/api/v1/me").status_code == 200  # cached here
    ApiToken.objects.filter(prefix=plaintext.split("_")[1]).update(revoked_at=timezone.now())  # no signal here
    cache.add(authentication.EPOCH_KEY, 0, timeout=None)
    cache.incr(authentication.EPOCH_KEY)  # what the other process's save did
    clock[0] += 0.5
    assert _client(plaintext).get("/api/v1/me").status_code == 200  # the epoch is read once a second
    clock[0] += 0.6
    assert _client(plaintext).get("/api/v1/me").json()["error"]["message"] == "API token revoked."


def test_each_request_gets_its_own_copy_of_the_cached_user_and_token(world, django_assert_num_queries):
    from rest_framework.test import APIRequestFactory

    from workforce.authentication import TokenAuthentication, token_cache

    _, plaintext = token_create(actor=actor_for(world.users["off_annotator"]), name="t", scopes=["read"])
    request = APIRequestFactory().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    first_user, first_token = TokenAuthentication().authenticate(request)
    with django_assert_num_queries(0):  # the cached row, its vendor with it
        second_user, second_token = TokenAuthentication().authenticate(request)
        assert second_user.vendor.name == world.users["off_annotator"].vendor.name
    assert second_user is not first_user and second_token is not first_token
    assert second_user == first_user and second_user.__dict__.keys() == first_user.__dict__.keys()
    first_user.acting_note = "set by a view"
    first_user.username = "changed"
    cached = token_cache.get(plaintext.split("_")[1])
    assert not hasattr(cached.user, "acting_note") and cached.user.username == "off_annotator"
    assert not hasattr(second_user, "acting_note") and second_user.username == "off_annotator"
    assert second_user._state is not first_user._state

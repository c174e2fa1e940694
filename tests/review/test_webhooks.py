"""Enforcement webhooks against a real local receiver: signed, retried with backoff, delivered
exactly once by idempotency key, dead-lettered after N failures, re-delivered by an admin."""

from __future__ import annotations

import json
from typing import Any

from annotation.models import Project
from review.delivery import attempt_delivery, deliveries_stale
from review.models import Case, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from review.services.cases import case_decide
from review.services.queue import case_claim
from review.services.webhooks import webhook_endpoint_create
from review.signing import backoff_seconds, signature, signature_header, verify
from review.tasks import deliver_webhook
from tests.conftest import World
from tests.review.receiver import receiver
from tests.review.support import actor, minutes, now, open_case


def decide_one(world: World, project: Project, *, action: str = "remove", codes: tuple[str, ...] = ("S1",),
               **case_fields: Any) -> Case:
    case = open_case(world, project, external_ref="post-991", **case_fields)
    lease = case_claim(actor=actor(world, "reviewer"))
    assert lease is not None and lease.case_id == case.pk
    case_decide(actor=actor(world, "reviewer"), case_id=case.pk, action=action, policy_codes=list(codes),
                rationale="threatens a named person")
    return case


def endpoint_for(world: World, url: str, **fields: Any) -> WebhookEndpoint:
    return webhook_endpoint_create(actor=actor(world, "admin"), url=url, **fields)


def test_signatures_cover_timestamp_and_body_and_expire():
    body = b'{"a": 1}'
    header = signature_header("s3cret", 1_700_000_000, body)
    assert header == f"t=1700000000,v1={signature('s3cret', 1_700_000_000, body)}"
    assert verify("s3cret", header, body, now=1_700_000_100)
    assert not verify("s3cret", header, body + b" ", now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify("s3cret", header, body, now=1_700_001_000)  # stale: replayed later
    assert not verify("s3cret", "v1=abc", body)


def test_backoff_doubles_up_to_a_cap():
    waits = [backoff_seconds(n, jitter=0) for n in range(1, 12)]
    assert waits[:4] == [10, 20, 40, 80]
    assert max(waits) == 3600
    assert all(9 <= backoff_seconds(1) <= 11 for _ in range(50))


def test_a_decision_queues_its_webhook_after_commit(world, project, django_capture_on_commit_callbacks):
    endpoint_for(world, "http://127.0.0.1:9/hook")
    case = open_case(world, project)
    case_claim(actor=actor(world, "reviewer"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_decide(actor=actor(world, "reviewer"), case_id=case.pk, action="allow")
    delivery = WebhookDelivery.objects.get(decision__case=case)
    assert delivery.status == "pending" and delivery.attempts == 0
    # Nothing was sent inside the transaction: the send is one of the after-commit callbacks.
    assert any(getattr(cb, "__qualname__", "").startswith("delivery_create_for_decision") for cb in callbacks)
    assert not WebhookAttempt.objects.exists()


def test_fails_twice_then_succeeds_and_is_delivered_exactly_once_with_a_valid_signature(world, project):
    with receiver([500, 503, 200]) as hook:
        endpoint = endpoint_for(world, hook.url)
        hook.secret = endpoint.secret
        case = decide_one(world, project)
        delivery = WebhookDelivery.objects.get(decision__case=case)
        # The Celery task itself, run eagerly: each failure raises Retry and Celery runs it again.
        assert deliver_webhook.apply(args=(delivery.pk,)).get() == "delivered"
        # Run again (a duplicate message, a re-queue): nothing more is sent.
        assert deliver_webhook.apply(args=(delivery.pk,)).get() == "delivered"
        assert attempt_delivery(delivery_id=delivery.pk).status == "delivered"

    assert [r.status for r in hook.requests] == [500, 503, 200]
    keys = {r.headers["Idempotency-Key"] for r in hook.requests}
    assert keys == {str(delivery.idempotency_key)}
    assert hook.applied == {str(delivery.idempotency_key): 1}  # acted on exactly once
    assert len({r.body for r in hook.requests}) == 1  # the same bytes every time
    for r in hook.requests:
        assert hook.signature_ok(r), r.headers
        assert r.headers["X-Quorum-Event"] == "decision.created"
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["X-Quorum-Timestamp"] in r.headers["X-Quorum-Signature"]
    body = json.loads(hook.requests[-1].body)
    assert body["decision"]["action"] == "remove" and body["decision"]["policy_codes"] == ["S1"]
    assert body["case"] == {"id": case.pk, "source": "user_report", "category": "S1", "severity": 2,
                            "external_ref": "post-991"}
    assert "rationale" not in hook.requests[-1].body.decode()  # internal notes stay internal
    assert "reviewer" not in body["decision"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    log = list(delivery.attempt_log.order_by("number").values_list("number", "status_code"))
    assert log == [(1, 500), (2, 503), (3, 200)]


def test_dead_letter_after_n_failures_and_redelivery_by_an_admin(world, project):
    with receiver([500]) as hook:
        endpoint = endpoint_for(world, hook.url, max_attempts=3)
        hook.secret = endpoint.secret
        case = decide_one(world, project)
        delivery = WebhookDelivery.objects.get(decision__case=case)
        assert deliver_webhook.apply(args=(delivery.pk,)).get() == "dead"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
        assert delivery.dead_at is not None and "HTTP 500" in delivery.last_error
        assert len(hook.requests) == 3 and hook.applied == {}
        # No further attempt once dead.
        assert deliver_webhook.apply(args=(delivery.pk,)).get() == "dead"
        assert len(hook.requests) == 3

        admin = world.client("admin")
        listed = admin.get("/api/v1/webhooks/dead-letters").json()["results"]
        assert [d["id"] for d in listed] == [delivery.pk]
        assert listed[0]["attempts"] == 3 and listed[0]["last_status_code"] == 500
        detail = admin.get(f"/api/v1/webhooks/deliveries/{delivery.pk}").json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [500, 500, 500]
        for who in ("reviewer", "off_manager", "off_reviewer", "ml"):
            assert world.client(who).get("/api/v1/webhooks/dead-letters").status_code == 403
        assert world.client("stranger").get("/api/v1/webhooks/dead-letters").json()["results"] == []

        hook.statuses = [200]
        response = admin.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver")
        assert response.status_code == 202, response.content
        assert deliver_webhook.apply(args=(delivery.pk,)).get() == "delivered"
    assert hook.applied == {str(delivery.idempotency_key): 1}
    assert admin.get("/api/v1/webhooks/dead-letters").json()["results"] == []


def test_attempts_back_off_exponentially_and_connection_errors_count_as_failures(world, project):
    endpoint_for(world, "http://127.0.0.1:9/closed")  # nothing listens on the discard port
    case = decide_one(world, project)
    delivery = WebhookDelivery.objects.get(decision__case=case)
    waits = []
    for _ in range(3):
        outcome = attempt_delivery(delivery_id=delivery.pk)
        assert outcome.status == "pending" and outcome.status_code is None
        waits.append(outcome.retry_in)
    first, second, third = (float(w or 0) for w in waits)
    assert 9 <= first <= 11 and 18 <= second <= 22 and 36 <= third <= 44
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and "refused" in delivery.last_error.lower()
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > now() + minutes(0.5)


def test_a_delivery_in_flight_is_not_sent_twice_and_lost_messages_are_found(world, project):
    endpoint_for(world, "http://127.0.0.1:9/closed")
    case = decide_one(world, project)
    delivery = WebhookDelivery.objects.get(decision__case=case)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(locked_until=now() + minutes(1))
    assert attempt_delivery(delivery_id=delivery.pk).status == "busy"
    assert not WebhookAttempt.objects.exists()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(locked_until=None, next_attempt_at=now() - minutes(30))
    assert deliveries_stale() == [delivery.pk]


def test_a_project_endpoint_takes_precedence_over_the_organizations(world, project):
    org_level = endpoint_for(world, "http://127.0.0.1:9/org")
    project_level = endpoint_for(world, "http://127.0.0.1:9/project", project_id=project.pk)
    case = decide_one(world, project, action="allow", codes=())
    assert WebhookDelivery.objects.get(decision__case=case).endpoint_id == project_level.pk
    assert org_level.active



def test_webhook_secrets_are_sealed_at_rest(world, project):
    from django.db import connection

    from review.services.webhooks import webhook_endpoint_create
    from tests.review.support import actor

    endpoint = webhook_endpoint_create(actor=actor(world, "admin"), url="https://hooks.example/quorum")
    shown = endpoint.secret
    assert shown.startswith("whsec_")
    with connection.cursor() as cur:
        cur.execute("SELECT secret_sealed FROM review_webhookendpoint WHERE id = %s", [endpoint.pk])
        stored = bytes(cur.fetchone()[0])
    assert shown.encode() not in stored and b"whsec_" not in stored
    assert type(endpoint).objects.get(pk=endpoint.pk).secret == shown  # the worker can still sign

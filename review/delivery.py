"""Making one webhook attempt: take the delivery, POST it signed, record what happened.

No database transaction is held across the network call. An attempt first *takes* the delivery
(a pending one with no attempt in flight: ``locked_until`` set for the length of the call), so a
duplicate task, a re-queue and a retry can never send the same delivery twice at once, and a
delivered or dead one is never sent again. Each attempt is logged (WebhookAttempt); after the
endpoint's ``max_attempts`` failures the delivery is a dead letter, listed for admins.

Request: ``POST`` the stored body (the same bytes on every attempt) with ``Content-Type:
application/json``, ``Idempotency-Key`` (the delivery's key, stable across attempts),
``X-Quorum-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>." + body)>``, ``X-Quorum-Timestamp``,
``X-Quorum-Event`` and ``X-Quorum-Delivery``. A 2xx answer is success; anything else, a redirect
(not followed), a timeout or a connection error is a failure.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from .conf import review_setting
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from .signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    backoff_seconds,
    signature_header,
)

USER_AGENT = "Quorum-Webhooks/1"
MAX_ERROR = 500


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered, pending (will retry), dead, or busy/absent (nothing was sent)
    retry_in: float | None = None
    status_code: int | None = None


@dataclass(frozen=True)
class _Taken:
    url: str
    secret: str
    body: bytes
    key: str
    event: str
    delivery_id: int
    active: bool


@dataclass(frozen=True)
class _Response:
    status_code: int | None
    error: str
    duration_ms: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx becomes an HTTPError: the receiver must answer at the configured URL


_opener = urllib.request.build_opener(_NoRedirect)


def _take(delivery_id: int, now: datetime) -> _Taken | Outcome:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True).select_related("endpoint")
            .filter(pk=delivery_id).first()
        )
        if delivery is None:
            exists = WebhookDelivery.objects.filter(pk=delivery_id).exists()
            return Outcome("busy" if exists else "absent")
        if delivery.status != DeliveryStatus.PENDING:
            return Outcome(delivery.status)
        if delivery.locked_until is not None and delivery.locked_until > now:
            return Outcome("busy")
        timeout = float(review_setting("REVIEW_WEBHOOK_TIMEOUT_SECONDS"))
        delivery.locked_until = now + timedelta(seconds=timeout + 30)
        delivery.save(update_fields=["locked_until", "updated_at"])
        endpoint = delivery.endpoint
        return _Taken(
            url=endpoint.url, secret=endpoint.secret, body=delivery.body.encode(), key=str(delivery.idempotency_key),
            event=delivery.event, delivery_id=delivery.pk, active=endpoint.active,
        )


def post_signed(taken: _Taken) -> _Response:
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        IDEMPOTENCY_HEADER: taken.key,
        SIGNATURE_HEADER: signature_header(taken.secret, timestamp, taken.body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_HEADER: taken.event,
        DELIVERY_HEADER: str(taken.delivery_id),
    }
    if urlsplit(taken.url).scheme not in ("http", "https"):
        return _Response(None, "not an http(s) URL", 0)
    request = urllib.request.Request(taken.url, data=taken.body, headers=headers, method="POST")  # noqa: S310
    start = time.monotonic()
    try:
        with _opener.open(request, timeout=float(review_setting("REVIEW_WEBHOOK_TIMEOUT_SECONDS"))) as response:
            response.read(65536)
            code: int | None = int(response.status)
            error = ""
    except urllib.error.HTTPError as e:
        code, error = int(e.code), f"HTTP {e.code}: {e.read(MAX_ERROR).decode('utf-8', 'replace')}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        code, error = None, f"{type(e).__name__}: {e}"
    return _Response(code, error[:MAX_ERROR], int((time.monotonic() - start) * 1000))


def attempt_delivery(*, delivery_id: int) -> Outcome:
    """Make one attempt at a pending delivery. Returns what became of it and, while attempts are
    left, when to try again."""
    started = timezone.now()
    taken = _take(delivery_id, started)
    if isinstance(taken, Outcome):
        return taken
    response = post_signed(taken) if taken.active else _Response(None, "the endpoint was deactivated", 0)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
        number = WebhookAttempt.objects.filter(delivery_id=delivery_id).count() + 1
        WebhookAttempt.objects.create(
            delivery_id=delivery_id, number=number, started_at=started, duration_ms=response.duration_ms,
            status_code=response.status_code, error=response.error,
        )
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = response.status_code, response.error
        delivery.locked_until = None
        retry_in: float | None = None
        ok = response.status_code is not None and 200 <= response.status_code < 300
        if ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        elif delivery.attempts >= delivery.endpoint.max_attempts or not taken.active:
            delivery.status, delivery.dead_at, delivery.next_attempt_at = DeliveryStatus.DEAD, now, None
        else:
            retry_in = backoff_seconds(
                delivery.attempts, base=float(review_setting("REVIEW_WEBHOOK_BACKOFF_BASE")),
                cap=float(review_setting("REVIEW_WEBHOOK_BACKOFF_CAP")),
            )
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.save()
    return Outcome(delivery.status, retry_in, response.status_code)


def deliveries_stale(*, now: datetime | None = None, grace_seconds: int = 300, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is overdue by more than ``grace_seconds`` with none in
    flight: their task message was lost (a broker restart). The beat task queues them again."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=grace_seconds)
    qs = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=overdue)
        .exclude(locked_until__gt=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )
    return list(qs[:limit])

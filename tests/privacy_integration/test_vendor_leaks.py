"""Property: no raw PII value of an item reaches a vendor user, by any endpoint, page or socket.

Items full of generated PII are imported through the real pipeline; then every URL of the project
(collected from the URL configuration, so a new endpoint is covered without editing this file) is
requested by every vendor user, with every id the world holds filled into its parameters, plus the
claim → submit → undo flow. No response may contain any raw value, and the canary tripwire must stay
silent. Value generators are the redaction bench's (bench/corpus_pii.py).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation.models import Annotation, ImportJob, Item, Lease, Project
from bench.corpus_pii import _Gen
from privacy.models import CanaryAlert
from review.models import Case
from review.services.cases import case_create
from tests.conftest import World, make_project
from tests.privacy_integration.support import import_records
from workforce.access import actor_for

VENDOR_USERS = ("off_annotator", "off_annotator2", "off_reviewer", "off_manager", "on_annotator", "on_manager")
_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_runs = itertools.count()
SKIP_PREFIXES = ("admin/", "static/", "logout/")  # admin: staff only (vendors are never staff)


def _routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def _fill(route: str, ids: list[int]) -> list[str]:
    params = _PARAM.findall(route)
    if not params:
        return ["/" + route.lstrip("^").rstrip("$")]
    if any(conv not in ("int", "") for conv, _ in params):
        return []
    out = []
    for value in ids:
        out.append("/" + _PARAM.sub(str(value), route))
    return out


def _record(g: _Gen, n: int, tag: str) -> tuple[dict[str, Any], list[str]]:
    name = g.full("en")
    email, phone, card, iban, ip, ssn = g.email(name), g.phone(), g.card(), g.iban(), g.ipv4(), g.ssn()
    text = (
        f"Hello, my name is {name}. Write to {email} or call {phone}. I paid with card {card}; "
        f"refund it to IBAN {iban}. My SSN is {ssn} and I logged in from {ip}."
    )
    return {"id": f"{tag}-{n}", "text": text}, [name, email, phone, card, iban, ip, ssn]


def _bodies(client: Client, url: str) -> Iterator[str]:
    response = client.get(url)
    if getattr(response, "streaming", False):
        yield b"".join(response.streaming_content).decode(errors="replace")
    else:
        yield response.content.decode(errors="replace")


def _check(body: str, secrets: list[str], where: str) -> None:
    for value in secrets:
        assert value not in body, f"raw value {value!r} reached a vendor at {where}"


def _crawl(world: World, project: Project, secrets: list[str]) -> int:
    # One id of each kind (items: the first two): the crawl covers every route, not every row.
    ids = sorted(
        {project.pk}
        | set(Item.objects.filter(project=project).values_list("pk", flat=True)[:2])
        | set(Lease.objects.filter(project=project).values_list("pk", flat=True)[:1])
        | set(Annotation.objects.filter(item__project=project).values_list("pk", flat=True)[:1])
        | set(Case.objects.filter(item__project=project).values_list("pk", flat=True)[:1])
        | set(ImportJob.objects.filter(project=project).values_list("pk", flat=True)[:1])
    )
    urls = [u for r in _routes() if not r.startswith(SKIP_PREFIXES) for u in _fill(r, ids)]
    requests = 0
    for username in VENDOR_USERS:
        client = Client()
        client.force_login(world.users[username])
        for url in urls:
            for body in _bodies(client, url):
                _check(body, secrets, f"{username} GET {url}")
                requests += 1
        # The working flow: claim, submit, undo, claim again.
        claim = client.post(f"/api/v1/projects/{project.pk}/claim")
        _check(claim.content.decode(), secrets, f"{username} claim")
        if claim.status_code == 200:
            lease = claim.json()["lease"]
            submit = client.post(
                f"/api/v1/leases/{lease['id']}/submit", {"labels": ["billing"]}, content_type="application/json"
            )
            _check(submit.content.decode(), secrets, f"{username} submit")
            if submit.status_code == 201:
                undo = client.post(f"/api/v1/annotations/{submit.json()['annotation']['id']}/undo")
                _check(undo.content.decode(), secrets, f"{username} undo")
    return requests


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), n_items=st.integers(min_value=1, max_value=4))
def test_no_raw_pii_reaches_any_vendor_endpoint(world: World, seed: int, n_items: int) -> None:
    g = _Gen(random.Random(seed))
    tag = f"s{seed}-{next(_runs)}"
    project = make_project(world, name=f"Leak {tag}", vendors=[world.offshore, world.onshore])
    pairs = [_record(g, n, tag) for n in range(n_items)]
    items = import_records(world, project, [r for r, _ in pairs])
    secrets = [v for _, values in pairs for v in values]
    admin = actor_for(world.users["admin"])
    for item in items[:2]:
        case_create(actor=admin, item_id=item.pk, source="user_report", category="S1", severity=2)
    requests = _crawl(world, project, secrets)
    assert requests > 50  # the crawl really ran over the URL configuration
    assert not CanaryAlert.objects.exists()

"""Authorization matrix: every route of the URL configuration and every websocket route, requested by
every role on its own and on another vendor's (or organization's) objects, against a checked-in table.

Routes come from ``get_resolver()`` and ``config.routing.websocket_urlpatterns``: a new endpoint that
is not in ``authz_matrix.csv`` fails ``test_table_covers_every_route`` until its row is added. To
(re)write the table from what the code does, run

    QUORUM_AUTHZ_WRITE=1 pytest tests/reliability/test_authz_matrix.py

then review the diff row by row: ``test_table_policy`` holds the rules no row may break (no vendor
role or other organization reaches another's objects, no vendor reaches internal-only endpoints,
anonymous users reach only public pages).

``QUORUM_AUTHZ_DEBUG=1`` raises a view's exception instead of recording a 500.

Cells: ``2xx``, ``302-login`` (sent to a login page), ``302`` (another redirect), or the status code.
Websockets: ``accept``, ``close-4403`` (accepted, then closed as forbidden) or ``reject``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from annotation.models import Annotation, ImportJob, Item, Lease, Project
from annotation.queueing.services import annotation_submit, lease_claim
from tests.conftest import PASSWORD, World, content, make_world
from workforce.access import actor_for
from workforce.models import ApiToken, Clearance, Organization, Role, User, Vendor
from workforce.services import token_create, user_create

TABLE = Path(__file__).with_name("authz_matrix.csv")
WRITE = os.environ.get("QUORUM_AUTHZ_WRITE") == "1"
ROLES = [
    "anon", "admin", "ml", "reviewer", "annotator",
    "off_manager", "off_annotator", "off_reviewer", "on_manager", "on_annotator", "stranger",
]
VENDOR_ROLES = [r for r in ROLES if r.startswith(("off_", "on_"))]
HEADER = ["route", "method", "scope", *ROLES]
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
WS_METHOD = "WS"

# Routes anyone may open without signing in (2xx for ``anon``).
PUBLIC = {
    ("healthz", "GET"), ("login/", "GET"), ("login/", "POST"), ("admin/login/", "GET"),
    ("api/v1/schema", "GET"), ("api/v1/docs", "GET"), ("api/v1/redoc", "GET"),
}
# Rows whose "other" cell may be 2xx, and why it leaks nothing.
OTHER_SCOPE_OK = {
    ("api/v1/export/items/<int:item_id>/lineage", "GET"): (
        "lists the caller's own organization's snapshots that used the id (erased items have no row left to "
        "check ownership against), so another organization's id answers empty lists"
    ),
}
# Endpoints for internal staff only: no vendor account may get a 2xx from them, on any object.
INTERNAL_ONLY = (
    "admin/", "ml/", "api/v1/privacy/", "api/v1/export/", "api/v1/webhooks/",
    "api/v1/items/<int:pk>/reveal", "api/v1/items/<int:pk>/text", "api/v1/cases/<int:pk>/reveal",
    "api/v1/projects/<int:project_id>/imports", "api/v1/imports/", "api/v1/projects/<int:project_id>/canaries",
    "api/v1/projects/<int:project_id>/model", "api/v1/projects/<int:project_id>/triage",
    "api/v1/projects/<int:project_id>/pause", "api/v1/projects/<int:project_id>/resume",
    "api/v1/quality/statements/<int:statement_id>/approve",
    "ws/finetune/",
)

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
# A parameter names the kind of object it takes: ``<int:lease_id>`` a lease; ``<int:pk>`` and admin's
# ``<path:object_id>`` the object named by the path segment before it.
KIND_OF_SEGMENT = {
    "projects": "project", "items": "item", "imports": "import", "policies": "policy", "cases": "case",
    "endpoints": "endpoint", "deliveries": "delivery", "snapshots": "snapshot", "finetune-jobs": "job",
    "tokens": "token", "statements": "statement",
}
KIND_OF_PARAM = {
    "project_id": "project", "lease_id": "lease", "annotation_id": "annotation", "item_id": "item",
    "job_id": "job", "annotator_id": "annotator", "adjudication_id": "adjudication",
    "statement_id": "statement", "case_id": "case",
}
# Valid bodies for unsafe requests where an empty one would stop at validation before any access check.
BODIES: dict[str, dict[str, Any]] = {
    "api/v1/items/<int:pk>/reveal": {"justification": "authorization matrix: checking who may reveal"},
    "api/v1/items/<int:pk>/text": {"text": "new text", "reason": "authorization matrix: checking who may edit"},
    "api/v1/items/<int:pk>/media/regions": {"regions": [[0, 0, 1, 1]]},
    "api/v1/cases/<int:pk>/reveal": {"reason": "authorization matrix: checking who may reveal"},
    "api/v1/cases/<int:pk>/decide": {"action": "allow"},
    "api/v1/leases/<int:lease_id>/submit": {"labels": ["billing"]},
    "api/v1/export/items/<int:item_id>/erase": {"reason": "authorization matrix: checking who may erase"},
    "api/v1/quality/adjudications/<int:adjudication_id>/resolve": {"labels": ["billing"]},
    "api/v1/tokens": {"name": "matrix", "scopes": ["read"]},
}
# Objects shared by a whole organization: "another vendor's" one is another organization's.
ORG_LEVEL = {"policy"}


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as the table names it
    methods: tuple[str, ...]
    has_params: bool
    is_admin: bool
    model: Any = None  # admin object routes: the model the object id is of

    def cells(self) -> Iterator[tuple[str, str, str]]:
        for method in self.methods:
            for scope in ("own", "other") if self.has_params else ("-",):
                yield self.route, method, scope


# --- enumerating the URL configuration ------------------------------------------------------------

def _view_methods(callback: Any, route: str) -> tuple[str, ...]:
    if route.startswith("admin/"):
        return ("GET",)
    cls = getattr(callback, "cls", None)  # DRF views
    if cls is not None:
        names = [m for m in ("get", "post", "put", "patch", "delete") if m in cls.http_method_names and hasattr(cls, m)]
        return tuple(m.upper() for m in names)
    cls = getattr(callback, "view_class", None)  # Django class-based views: their form verbs
    if cls is not None:
        return tuple(m.upper() for m in ("get", "post") if hasattr(cls, m))
    return ("GET",)


def _admin_models() -> dict[str, Any]:
    from django.contrib import admin

    return {f"admin/{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}


def http_routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[Route]:
    models = _admin_models()
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from http_routes(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            has_params = bool(_PARAM.search(route)) or (isinstance(p.pattern, RegexPattern) and "(?P<" in route)
            model = next((m for pre, m in models.items() if route.startswith(pre)), None)
            yield Route(route, _view_methods(p.callback, route), has_params, route.startswith("admin/"), model)


def ws_routes() -> list[Route]:
    from config.routing import websocket_urlpatterns

    return [
        Route(str(p.pattern), (WS_METHOD,), bool(_PARAM.search(str(p.pattern))), False)
        for p in websocket_urlpatterns
    ]


def all_keys() -> list[tuple[str, str, str]]:
    return [k for r in [*http_routes(), *ws_routes()] for k in r.cells()]


# --- the objects: one set per owner ------------------------------------------------------------

def own_set(role: str) -> str:
    if role.startswith("on_"):
        return "on"
    return "xorg" if role == "stranger" else "off"


def other_set(role: str, kind: str) -> str:
    if role.startswith("off_"):
        return "xorg" if kind in ORG_LEVEL else "on"
    if role.startswith("on_"):
        return "xorg" if kind in ORG_LEVEL else "off"
    return "off" if role == "stranger" else "xorg"


@dataclass
class Objects:
    ids: dict[str, dict[str, int]]  # set -> kind -> id
    by_model: dict[str, dict[Any, int]]  # set -> model -> id (admin routes)
    tokens: dict[str, int]  # username -> one of their token ids

    def id_for(self, kind: str, role: str, scope: str) -> int:
        if kind == "token":
            if scope == "own" and role != "anon":
                return self.tokens[role]
            return self.ids[other_set(role, kind) if scope == "other" else own_set(role)]["token"]
        chosen = own_set(role) if scope == "own" else other_set(role, kind)
        return self.ids[chosen][kind]


def _add_items(project: Project, tag: str, n: int = 4) -> list[Item]:
    return Item.objects.bulk_create(
        Item(project=project, external_id=f"{tag}-{i}", content_hash=hashlib.sha256(f"{tag}-{i}".encode()).hexdigest(),
             **content(project, f"{tag}-{i}", f"raw {tag} {i}, call +44 7700 900{i:03d}",
                       f"raw {tag} {i}, call <PHONE>"))
        for i in range(n)
    )


def _owner_set(world: World, tag: str, org: Organization, vendor: Vendor, admin: User, annotator: User,
               reviewer: User, token_user: User) -> dict[str, int]:
    from annotation.services import project_create
    from quality.models import Adjudication, Statement
    from review.models import WebhookDelivery, WebhookEndpoint
    from review.services.cases import case_create
    from review.services.policy import policy_default
    from training_export.models import FineTuneJob, Snapshot

    boss = actor_for(admin)
    project = project_create(
        actor=boss, name=f"Matrix {tag}", kind="single_label", vendors=[vendor],
        label_schema={"labels": [{"value": "billing"}, {"value": "technical"}, {"value": "other"}]},
    )
    items = _add_items(project, tag)
    worker = actor_for(annotator)
    first = lease_claim(actor=worker, project_id=project.pk)
    assert first is not None
    annotation_submit(actor=worker, lease_id=first.pk, labels=["billing"])
    lease = lease_claim(actor=worker, project_id=project.pk)
    assert lease is not None
    annotation = Annotation.objects.filter(annotator=annotator).latest("pk")
    case, _ = case_create(actor=boss, item_id=items[-1].pk, source="user_report", category="S1", severity=2)
    snapshot = Snapshot.objects.create(organization=org, project=project, created_by=admin)
    job = FineTuneJob.objects.create(organization=org, name=f"matrix-{tag}-{project.pk}", snapshot=snapshot,
                                     project=project, labels=["billing", "technical", "other"], created_by=admin)
    endpoint = WebhookEndpoint(organization=org, project=project, url=f"https://hooks.invalid/{tag}", created_by=admin)
    endpoint.secret = f"whsec-{tag}"
    endpoint.save()
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, organization=org, event="case.decided", body="{}")
    statement = Statement.objects.create(
        organization_id=org.pk, vendor=vendor, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
        basis="task", rate=vendor.rate_per_task, currency=vendor.currency, created_by=admin,
    )
    adjudication = Adjudication.objects.create(project=project, item_id=items[-2].pk, answers=[])
    job_row = ImportJob.objects.create(project=project, created_by=admin, format="jsonl", source_name=f"{tag}.jsonl")
    token, _ = token_create(actor=actor_for(token_user), name=f"matrix {tag}", scopes=["read"])
    return {
        "project": project.pk, "item": items[0].pk, "lease": lease.pk, "annotation": annotation.pk,
        "case": case.pk, "policy": policy_default(organization_id=org.pk).pk, "snapshot": snapshot.pk,
        "job": job.pk, "endpoint": endpoint.pk, "delivery": delivery.pk, "statement": statement.pk,
        "adjudication": adjudication.pk, "import": job_row.pk, "token": token.pk, "annotator": annotator.pk,
        "reviewer": reviewer.pk,
    }


def build_objects(world: World) -> Objects:
    from quality.models import Adjudication, Statement
    from review.models import Case, PolicyVersion, WebhookDelivery, WebhookEndpoint
    from training_export.models import FineTuneJob, Snapshot

    u = world.users
    x_vendor = Vendor.objects.create(organization=world.other_org, name="Elsewhere", country="DE",
                                     clearance=Clearance.STANDARD)
    x_annotator = user_create(organization=world.other_org, username="x_annotator", password=PASSWORD,
                              role=Role.ANNOTATOR, vendor=x_vendor)
    x_reviewer = user_create(organization=world.other_org, username="x_reviewer", password=PASSWORD,
                             role=Role.REVIEWER, vendor=x_vendor)
    ids = {
        "off": _owner_set(world, "off", world.org, world.offshore, u["admin"], u["off_annotator"], u["off_reviewer"],
                          u["off_annotator"]),
        "on": _owner_set(world, "on", world.org, world.onshore, u["admin"], u["on_annotator"], u["on_annotator"],
                         u["on_annotator"]),
        "xorg": _owner_set(world, "xorg", world.other_org, x_vendor, world.stranger, x_annotator, x_reviewer,
                           world.stranger),
    }
    tokens = {
        name: token_create(actor=actor_for(user), name=f"own {name}", scopes=["read"])[0].pk
        for name, user in [*u.items(), ("stranger", world.stranger)]
    }
    model_kinds = {
        Project: "project", Item: "item", Lease: "lease", Annotation: "annotation", Case: "case",
        PolicyVersion: "policy", Snapshot: "snapshot", FineTuneJob: "job", WebhookEndpoint: "endpoint",
        WebhookDelivery: "delivery", Statement: "statement", Adjudication: "adjudication", ImportJob: "import",
        ApiToken: "token",
    }
    by_model: dict[str, dict[Any, int]] = {}
    for name, org, vendor, user in [("off", world.org, world.offshore, u["off_annotator"]),
                                    ("on", world.org, world.onshore, u["on_annotator"]),
                                    ("xorg", world.other_org, x_vendor, x_annotator)]:
        by_model[name] = {model: ids[name][kind] for model, kind in model_kinds.items()}
        by_model[name].update({Organization: org.pk, Vendor: vendor.pk, User: user.pk})
    return Objects(ids, by_model, tokens)


# --- filling a route and classifying an answer -------------------------------------------------

class Unmapped(Exception):
    pass


def fill(route: Route, role: str, scope: str, objects: Objects) -> str:
    path = route.route
    if route.is_admin:
        from django.contrib.contenttypes.models import ContentType

        chosen = own_set(role) if scope == "own" else other_set(role, "")
        model = route.model or Item
        obj = objects.by_model[chosen].get(model)
        if obj is None:
            row = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            obj = row if row is not None else 0
        path = path.replace("<path:content_type_id>", str(ContentType.objects.get_for_model(model).pk))
        path = re.sub(r"\(\?P<app_label>[^)]*\)", "annotation", path)
        path = path.replace("(?P<url>.*)", "no-such-page/")
        path = _PARAM.sub(str(obj), path)  # <path:object_id>, the user admin's <id>
        path = path.replace("^", "").replace("$", "")
        if "(?" in path or "<" in path:
            raise Unmapped(f"admin route {route.route!r}: teach fill() its parameters")
        return "/" + path

    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name == "pk":
            before = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            kind = KIND_OF_SEGMENT.get(before)
        else:
            kind = KIND_OF_PARAM.get(name)
        if kind is None:
            raise Unmapped(
                f"route {route.route!r}: parameter <{name}> names no known object; add it to KIND_OF_PARAM or "
                "KIND_OF_SEGMENT (and build such objects in _owner_set)"
            )
        return str(objects.id_for(kind, role, scope))

    return "/" + _PARAM.sub(value, path)


def classify(response: Any) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "2xx"
    if code in (301, 302, 303, 307, 308):
        return "302-login" if "login" in response.get("Location", "") else "302"
    return str(code)


def _client(world: World, role: str) -> Client:
    client = Client(raise_request_exception=os.environ.get("QUORUM_AUTHZ_DEBUG") == "1")
    if role != "anon":
        client.force_login(world.stranger if role == "stranger" else world.users[role])
    return client


def observe_http(world: World, role: str, objects: Objects) -> dict[tuple[str, str, str], str]:
    """Every route, method and scope for one role. Each request runs in a savepoint rolled back after it,
    so one request's writes (a revoked token, a paused project, a logout) never change the next one's."""
    cache.clear()  # throttle counters of earlier tests (this test's own Redis database)
    client = _client(world, role)
    cookies = SimpleCookie(client.cookies.output(header="", sep=";"))
    out: dict[tuple[str, str, str], str] = {}
    for route in http_routes():
        for key in route.cells():
            _, method, scope = key
            url = fill(route, role, scope, objects)
            with transaction.atomic():
                body = json.dumps(BODIES.get(route.route, {})).encode() if method in UNSAFE else b""
                response = client.generic(method, url, body, content_type="application/json")
                transaction.set_rollback(True)
            if getattr(response, "streaming", False):  # drained through the test client's closing wrapper
                b"".join(response.streaming_content)
            out[key] = classify(response)
            client.cookies = SimpleCookie(cookies.output(header="", sep=";"))
    return out


# --- the table ------------------------------------------------------------------------------

def read_table() -> dict[tuple[str, str, str], dict[str, str]]:
    if not TABLE.exists():
        return {}
    with TABLE.open(newline="") as f:
        return {(row["route"], row["method"], row["scope"]): row for row in csv.DictReader(f)}


def write_column(role: str, observed: dict[tuple[str, str, str], str]) -> None:
    """Write mode: put one role's observed cells into the table (rows follow the URL configuration)."""
    rows = read_table()
    keys = all_keys()
    with TABLE.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        for key in keys:
            row = dict.fromkeys(HEADER, "") | {k: v for k, v in rows.get(key, {}).items() if k in HEADER}
            row.update(route=key[0], method=key[1], scope=key[2])
            if key in observed:
                row[role] = observed[key]
            writer.writerow(row)


def compare(role: str, observed: dict[tuple[str, str, str], str]) -> None:
    if WRITE:
        write_column(role, observed)
        return
    table = read_table()
    wrong = [
        f"  {key[1]:6} {key[0]} [{key[2]}]: expected {table[key][role]!r}, got {got!r}"
        for key, got in observed.items()
        if key in table and table[key][role] != got
    ]
    assert not wrong, (
        f"{len(wrong)} authorization outcomes for {role!r} differ from {TABLE.name}:\n" + "\n".join(wrong[:60])
        + "\nIf the change is intended, rewrite the table (QUORUM_AUTHZ_WRITE=1) and review the diff."
    )


# --- tests ---------------------------------------------------------------------------------

def test_table_covers_every_route() -> None:
    """A route (or method) missing from the table fails here, so a new endpoint is never unchecked."""
    if WRITE:
        pytest.skip("writing the table")
    expected = all_keys()
    table = read_table()
    missing = [k for k in expected if k not in table]
    stale = [k for k in table if k not in set(expected)]
    hint = (
        "Add them: QUORUM_AUTHZ_WRITE=1 pytest tests/reliability/test_authz_matrix.py"
        ", then review every new row (no vendor role may get 2xx on another vendor's object or on an "
        "internal-only endpoint) and check the table in."
    )
    assert not missing, "Routes not in the authorization matrix:\n" + "\n".join(
        f"  {m} {r} [{s}]" for r, m, s in missing) + "\n" + hint
    assert not stale, "Rows of the authorization matrix for routes that no longer exist:\n" + "\n".join(
        f"  {m} {r} [{s}]" for r, m, s in stale) + "\n" + hint
    assert len(expected) == len(set(expected)), "two routes share a pattern and method"


def test_table_policy() -> None:
    """The rules every row must keep, whatever the code does; a rewritten table that breaks one fails."""
    if WRITE:
        pytest.skip("writing the table")
    broken = []
    for (route, method, scope), row in read_table().items():
        cells = {r: row[r] for r in ROLES}
        if any(not v for v in cells.values()):
            broken.append(f"{method} {route} [{scope}]: empty cells")
        granted = {r for r, v in cells.items() if v in ("2xx", "accept")}
        if scope == "other" and granted - {"anon"} and (route, method) not in OTHER_SCOPE_OK:
            broken.append(f"{method} {route} [other]: {sorted(granted)} reach another owner's object")
        if "anon" in granted and (route, method) not in PUBLIC:
            broken.append(f"{method} {route}: anonymous access")
        if route.startswith(INTERNAL_ONLY) and (route, method) not in PUBLIC and granted & set(VENDOR_ROLES):
            vendors = sorted(granted & set(VENDOR_ROLES))
            broken.append(f"{method} {route}: vendor roles {vendors} on an internal-only endpoint")
        if route.startswith("admin/") and (route, method) not in PUBLIC and granted:
            broken.append(f"{method} {route}: {sorted(granted)} in the Django admin (platform operators only)")
    assert not broken, "\n".join(broken)


@pytest.fixture
def matrix_world(db: Any) -> tuple[World, Objects]:
    world = make_world()
    return world, build_objects(world)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_http_matrix(matrix_world: tuple[World, Objects], role: str) -> None:
    world, objects = matrix_world
    try:
        observed = observe_http(world, role, objects)
    except Unmapped as e:
        pytest.fail(str(e))
    assert len(observed) > 300  # the walk really covered the URL configuration
    compare(role, observed)


def _ws_outcome(application: Any, path: str, cookie: str) -> str:
    from asgiref.sync import async_to_sync

    from tests.wscomm import WebsocketCommunicator

    async def connect() -> str:
        headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        socket = WebsocketCommunicator(application, path, headers=headers)
        accepted, code = await socket.connect(timeout=5)
        if not accepted:
            return f"reject-{code}"
        if await socket.receive_nothing(timeout=0.3):  # nothing more came: the socket stays open
            await socket.disconnect()
            return "accept"
        message = await socket.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            return f"close-{message.get('code', 1000)}"
        await socket.disconnect()
        return "accept"

    result: str = async_to_sync(connect)()
    return result


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_websocket_matrix() -> None:
    """Every websocket route, as every role, through the real ASGI stack (session cookie, origin check)."""
    from config.asgi import application

    world = make_world()
    objects = build_objects(world)
    routes = ws_routes()
    observed_by_role: dict[str, dict[tuple[str, str, str], str]] = {}
    for role in ROLES:
        client = _client(world, role)
        cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
        observed: dict[tuple[str, str, str], str] = {}
        for route in routes:
            for key in route.cells():
                url = fill(route, role, key[2], objects)
                observed[key] = _ws_outcome(application, url, cookie)
        observed_by_role[role] = observed
    problems = []
    for role, observed in observed_by_role.items():
        try:
            compare(role, observed)
        except AssertionError as e:
            problems.append(str(e))
    assert not problems, "\n".join(problems)

"""`python -m bench load --seconds S [--annotators A] [--reviewers R] [--items N] [--cases C]`.

Mixed, realistic traffic against a real server for a bounded time, then a reconciliation of counts.
It loads a fresh organization into its own PostgreSQL database (``BENCH_LOAD_DATABASE_URL``, else
the queue bench's database name with ``_load`` appended: every run empties it, so the name must end
in ``_load``), starts a real server (uvicorn over ``config.asgi:application`` in services mode,
throttles raised as for the queue bench) and a real Celery worker on the ``default`` queue (imports
and snapshot builds run there), and drives, over HTTP with one keep-alive connection each:

- annotators (vendor): claim, think, submit with a client key; now and then skip, or undo the
  submission just made and submit again;
- reviewers (internal and vendor): claim a moderation case, think, decide it (allow, remove,
  restrict; now and then escalate);
- an importer (ML engineer): post a small JSONL file to the import API, poll the job to the end;
- an ML engineer: request a snapshot export, poll it until ready, download it and check its sha256;
- an admin and a vendor manager: poll the dashboard, the annotator drill-down and the review reports.

After S seconds no new work starts; what was acknowledged is let finish (imports and snapshots on the
worker, at most ``--drain`` seconds), the server and worker stop, and the database is checked: every
acknowledged (2xx) write is there (annotations less those undone, decisions, import jobs and their
items, snapshots), the counts match (an item's ``annotation_count`` and its annotations; annotations
in the project and those acknowledged; cases decided twice), and no item is over its overlap.
Prints, as the last line::

    {"requests", "errors", "lost", "p99_ms": {endpoint: ms}, "p50_ms", "counts", "rps", ...}

``errors``: responses that are not 2xx, other than the 204 "no work for you now" of a claim (a 429
is an error: throttles are raised for the run); a snapshot whose download does not match its sha256,
or an import or snapshot that failed or did not finish, counts too. ``lost``: acknowledged writes
not in the database. The organization stays in the database until the next run.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench.common import DEFAULT_REDIS, setup_django
from bench.queue import _LOAD_SQL, _database_url, _pct, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
ORG_SLUG = "bench-load"
LABELS = ["billing", "technical", "account", "other"]
CATEGORIES = ["S1", "S2", "S5", "S6", "S9", "S10", "S11", "S12"]
IMPORT_ROWS = 12
# Tables whose rows are Django's own bookkeeping: kept when the bench database is emptied.
KEEP_TABLES = ("django_migrations", "django_content_type", "auth_permission")


def load_database_url() -> str:
    url = os.environ.get("BENCH_LOAD_DATABASE_URL")
    if url:
        return url
    parsed = urlparse(_database_url())
    return parsed._replace(path=f"/{parsed.path.lstrip('/')}_load").geturl()


# --- setup -------------------------------------------------------------------------------------------


def empty_database() -> None:
    """Empty every table of the bench database (it is the load bench's own: its name ends in _load)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if not str(name).endswith("_load"):
        raise SystemExit(f"refusing to empty database {name!r}: the load bench's database name ends in _load")
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [t for (t,) in cur.fetchall() if t not in KEEP_TABLES]
        cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


def _users(org: Any, vendor: Any, prefix: str, n: int, role: str, internal: bool) -> list[Any]:
    from workforce.models import User

    users = []
    for i in range(n):
        user = User(username=f"{prefix}-{i:03d}", organization=org, vendor=None if internal else vendor, role=role)
        user.set_unusable_password()  # hashing a password per person would take most of a short run
        users.append(user)
    return list(User.objects.bulk_create(users))


def _token(user: Any, scopes: list[str]) -> str:
    from workforce.access import actor_for
    from workforce.services import token_create

    return token_create(actor=actor_for(user), name="bench", scopes=scopes, expires_in_days=1)[1]


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from annotation.services import project_create
    from review.models import Case, CaseSource, CaseState, ReviewSettings, Tier
    from review.services.lifecycle import schedule
    from review.services.policy import policy_default
    from workforce.access import actor_for
    from workforce.models import Clearance, Organization, Role, User, Vendor

    empty_database()
    org = Organization.objects.create(slug=ORG_SLUG, name="Bench load")
    vendor = Vendor.objects.create(organization=org, name="Bench vendor", country="PT", clearance=Clearance.STANDARD)
    admin = User(username="load-admin", organization=org, role=Role.ADMIN)
    admin.set_unusable_password()
    admin.save()
    as_admin = actor_for(admin)
    labels = {"labels": [{"value": v} for v in LABELS]}
    project = project_create(actor=as_admin, name="Load: intents", kind="single_label", label_schema=labels,
                             overlap=args.overlap, lease_seconds=300, vendors=[vendor])
    moderation = project_create(actor=as_admin, name="Load: moderation", kind="single_label", label_schema=labels,
                                vendors=[vendor])
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_LOAD_SQL, {"project": project.pk, "start": 1, "stop": args.items, "gold": False})
        cur.execute(_LOAD_SQL, {"project": moderation.pk, "start": args.items + 1, "stop": args.items + args.cases,
                                "gold": False})
        cur.execute("ANALYZE annotation_item")
    # Reviewers work without exposure caps or breaks here: a cap or a break answers 204/409, which
    # would measure the wellness rules rather than the server.
    ReviewSettings.objects.update_or_create(
        organization=org, defaults={"exposure_caps": {}, "break_after": 0, "qa_sample_rate": 0.05, "lease_seconds": 600}
    )
    policy = policy_default(organization_id=org.pk)
    rng = random.Random(7)
    now = timezone.now()
    cases = []
    for item_id in moderation.items.order_by("pk").values_list("pk", flat=True):
        case = Case(organization=org, project=moderation, item_id=item_id, policy=policy,
                    source=CaseSource.USER_REPORT, category=rng.choice(CATEGORIES),
                    severity=rng.choice([1, 2, 2, 3, 4]), tier=Tier.L1, state=CaseState.OPEN, created_at=now)
        schedule(case, start=now, policy=policy)
        cases.append(case)
    Case.objects.bulk_create(cases, batch_size=2000)

    annotators = _users(org, vendor, "load-ann", args.annotators, Role.ANNOTATOR, internal=False)
    n_internal = max(1, args.reviewers // 2)
    reviewers = _users(org, vendor, "load-rev", n_internal, Role.REVIEWER, internal=True)
    reviewers += _users(org, vendor, "load-vrev", args.reviewers - n_internal, Role.REVIEWER, internal=False)
    (importer,) = _users(org, vendor, "load-import", 1, Role.ML_ENGINEER, internal=True)
    (ml,) = _users(org, vendor, "load-ml", 1, Role.ML_ENGINEER, internal=True)
    (manager,) = _users(org, vendor, "load-mgr", 1, Role.VENDOR_MANAGER, internal=False)
    work = ["read", "write"]
    return {
        "org": org.pk,
        "project": project.pk,
        "moderation": moderation.pk,
        "overlap": args.overlap,
        "annotators": [_token(u, work) for u in User.objects.filter(pk__in=[a.pk for a in annotators])],
        "reviewers": [_token(u, work) for u in User.objects.filter(pk__in=[r.pk for r in reviewers])],
        "importer": _token(User.objects.get(pk=importer.pk), ["read", "write", "import"]),
        "ml": _token(User.objects.get(pk=ml.pk), ["read", "write", "export"]),
        "admin": _token(admin, work),
        "manager": _token(User.objects.get(pk=manager.pk), ["read"]),
    }


# --- the worker --------------------------------------------------------------------------------------


def start_worker(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=os.environ.get("REDIS_URL", DEFAULT_REDIS),
               DJANGO_SETTINGS_MODULE="bench.queue_settings", QUORUM_LOG_LEVEL="WARNING")
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default", "--pool=solo",
             "--loglevel=INFO", "-n", f"bench-load-{os.getpid()}@%h", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while b"ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_server(worker, timeout=30)
            raise RuntimeError(f"celery worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return worker


# --- people ------------------------------------------------------------------------------------------


class Person(threading.Thread):
    """One person at a screen, over one keep-alive connection. Subclasses say what they do."""

    expected = frozenset({204})  # non-2xx statuses that are not errors for this person

    def __init__(self, name: str, port: int, token: str, run: dict[str, Any], seed: int) -> None:
        super().__init__(daemon=True, name=name)
        self.port, self.run_state = port, run
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []
        self.problems: list[str] = []  # not an HTTP status: a failed job, a bad checksum

    def request(self, endpoint: str, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json", expect: frozenset[int] = frozenset()) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
        t0 = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()  # a keep-alive connection the server closed: reconnect once
                if attempt == 2:
                    raise
        self.latency[endpoint].append((time.perf_counter() - t0) * 1000)
        self.statuses[endpoint][response.status] += 1
        if not 200 <= response.status < 300 and response.status not in (self.expected | expect):
            self.errors.append(f"{endpoint} {response.status}: {data[:200]!r}")
        return response.status, data

    def post_json(self, endpoint: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        status, data = self.request(endpoint, "POST", path, json.dumps(body or {}).encode())
        return status, json.loads(data) if data and status < 300 else None

    def get_json(self, endpoint: str, path: str) -> tuple[int, Any]:
        status, data = self.request(endpoint, "GET", path)
        return status, json.loads(data) if data and status < 300 else None

    def think(self, ms: float) -> None:
        if ms > 0:
            time.sleep(ms / 1000 * self.rng.uniform(0.5, 1.5))

    def running(self) -> bool:
        return time.monotonic() < float(self.run_state["deadline"])

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        self.run_state["ready"].wait()
        time.sleep(self.rng.uniform(0, 0.3))  # people do not all start at the same instant
        try:
            while self.running():
                self.step()
            self.finish()
        except Exception as e:
            self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            self.conn.close()

    def finish(self) -> None:
        """Work left to see through after the deadline (a job to wait for)."""


class Annotator(Person):
    def __init__(self, *a: Any, project: int, think_ms: float, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.project, self.think_ms = project, think_ms
        self.acked: list[int] = []
        self.undone: list[int] = []
        self.skipped = 0

    def submit(self, lease_id: int) -> int | None:
        body = {"labels": [self.rng.choice(LABELS)], "client_key": f"{self.name}-{lease_id}", "time_spent_ms": 900}
        status, out = self.post_json("annotation.submit", f"/api/v1/leases/{lease_id}/submit", body)
        if status in (200, 201):
            annotation_id = int(out["annotation"]["id"])
            self.acked.append(annotation_id)
            return annotation_id
        return None

    def step(self) -> None:
        status, out = self.post_json("annotation.claim", f"/api/v1/projects/{self.project}/claim")
        if status != 200:
            time.sleep(0.2)
            return
        lease_id = int(out["lease"]["id"])
        self.think(self.think_ms)
        if self.rng.random() < 0.05:
            status, _ = self.post_json("annotation.skip", f"/api/v1/leases/{lease_id}/skip", {"reason": "unsure"})
            self.skipped += status == 200
            return
        annotation_id = self.submit(lease_id)
        if annotation_id is not None and self.rng.random() < 0.03:
            # Take it back at once (well inside the undo window) and answer again.
            status, out = self.post_json("annotation.undo", f"/api/v1/annotations/{annotation_id}/undo")
            if status == 200:
                self.undone.append(annotation_id)
                self.submit(int(out["lease"]["id"]))


class Reviewer(Person):
    def __init__(self, *a: Any, think_ms: float, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.think_ms = think_ms
        self.acked: list[int] = []

    def step(self) -> None:
        status, out = self.post_json("review.claim", "/api/v1/cases/claim")
        if status != 200:
            time.sleep(0.2)
            return
        case = out["case"]
        self.think(self.think_ms)
        roll = self.rng.random()
        if roll < 0.03 and case["tier"] < 3:
            body: dict[str, Any] = {"action": "escalate", "rationale": "needs a specialist"}
        elif roll < 0.55:
            body = {"action": "allow"}
        else:
            body = {"action": self.rng.choice(["remove", "restrict"]), "policy_codes": [case["category"]]}
        body["client_key"] = f"{self.name}-{case['id']}-{uuid.uuid4().hex[:8]}"
        status, out = self.post_json("review.decide", f"/api/v1/cases/{case['id']}/decide", body)
        if status in (200, 201):
            self.acked.append(int(out["decision"]["id"]))


class Importer(Person):
    def __init__(self, *a: Any, project: int, tag: str, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.project, self.tag = project, tag
        self.jobs: dict[int, list[str]] = {}  # acknowledged job → the external ids its file carried
        self.pending: list[int] = []
        self.files = 0

    def _file(self) -> tuple[bytes, list[str]]:
        ids, lines = [], []
        for i in range(IMPORT_ROWS):
            external_id = f"imp-{self.tag}-{self.files}-{i}"
            ids.append(external_id)
            invoice = self.rng.randint(1000, 9999)
            text = f"Ticket {self.files}.{i}: the invoice {invoice} is wrong, call me on +44 7700 900{i:03d}."
            lines.append(json.dumps({"external_id": external_id, "text": text, "source_system": "load"}))
        self.files += 1
        return ("\n".join(lines) + "\n").encode(), ids

    def post_file(self) -> None:
        content, ids = self._file()
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch-{self.files}.jsonl\"\r\n"
            f"Content-Type: application/x-ndjson\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        status, data = self.request("import.create", "POST", f"/api/v1/projects/{self.project}/imports", body,
                                    content_type=f"multipart/form-data; boundary={boundary}")
        if status == 202:
            job = int(json.loads(data)["id"])
            self.jobs[job] = ids
            self.pending.append(job)

    def poll(self) -> None:
        for job in list(self.pending):
            status, out = self.get_json("import.poll", f"/api/v1/imports/{job}")
            if status == 200 and out["status"] in ("succeeded", "failed"):
                self.pending.remove(job)
                if out["status"] != "succeeded" or out["created_count"] != IMPORT_ROWS:
                    self.problems.append(f"import {job}: {out['status']}, {out['created_count']} created")

    def step(self) -> None:
        if not self.pending:
            self.post_file()
        time.sleep(0.5)
        self.poll()

    def finish(self) -> None:
        until = time.monotonic() + self.run_state["drain"]
        while self.pending and time.monotonic() < until:
            time.sleep(0.5)
            self.poll()
        self.problems += [f"import {job}: not finished after the drain" for job in self.pending]


class Exporter(Person):
    def __init__(self, *a: Any, project: int, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.project = project
        self.acked: list[int] = []
        self.pending: int | None = None
        self.downloaded = 0
        self.downloaded_bytes = 0

    def poll(self) -> None:
        assert self.pending is not None
        status, out = self.get_json("export.poll", f"/api/v1/export/snapshots/{self.pending}")
        if status != 200 or out["status"] not in ("ready", "failed"):
            return
        snapshot, self.pending = out, None
        if snapshot["status"] != "ready":
            self.problems.append(f"snapshot {snapshot['id']}: {snapshot['status']} {snapshot.get('error', '')[:200]}")
            return
        status, data = self.request("export.download", "GET", snapshot["download_url"])
        if status == 200:
            self.downloaded += 1
            self.downloaded_bytes += len(data)
            if hashlib.sha256(data).hexdigest() != snapshot["sha256"]:
                self.problems.append(f"snapshot {snapshot['id']}: the download does not match its sha256")

    def step(self) -> None:
        if self.pending is None:
            status, out = self.post_json("export.create", "/api/v1/export/snapshots",
                                         {"project": self.project, "format": "jsonl", "strategy": "majority"})
            if status == 202:
                self.pending = int(out["id"])
                self.acked.append(self.pending)
        time.sleep(0.5)
        self.poll()

    def finish(self) -> None:
        until = time.monotonic() + self.run_state["drain"]
        while self.pending is not None and time.monotonic() < until:
            time.sleep(0.5)
            self.poll()
        if self.pending is not None:
            self.problems.append(f"snapshot {self.pending}: not ready after the drain")


class Watcher(Person):
    """An admin or a vendor manager with the dashboard open: its calls, every second or so."""

    def __init__(self, *a: Any, calls: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.calls = calls

    def step(self) -> None:
        for endpoint, path in self.calls:
            self.request(endpoint, "GET", path)
        self.think(1000)


# --- the run -------------------------------------------------------------------------------------------


def drive(port: int, setup: dict[str, Any], args: argparse.Namespace) -> tuple[list[Person], float]:
    state: dict[str, Any] = {"ready": threading.Event(), "deadline": 0.0, "drain": args.drain}
    people: list[Person] = []
    for i, token in enumerate(setup["annotators"]):
        people.append(Annotator(f"ann{i}", port, token, state, i, project=setup["project"], think_ms=args.think_ms))
    for i, token in enumerate(setup["reviewers"]):
        people.append(Reviewer(f"rev{i}", port, token, state, 1000 + i, think_ms=args.think_ms * 2))
    people.append(Importer("importer", port, setup["importer"], state, 2000, project=setup["project"],
                           tag=uuid.uuid4().hex[:6]))
    people.append(Exporter("ml", port, setup["ml"], state, 2001, project=setup["project"]))
    org_calls = [("dashboard", "/api/v1/quality/dashboard"), ("dashboard.annotators", "/api/v1/quality/annotators")]
    people.append(Watcher("admin", port, setup["admin"], state, 2002, calls=[
        *org_calls, ("review.reports.sla", "/api/v1/review/reports/sla"),
        ("review.queue", "/api/v1/cases/queue?limit=20"),
        ("project.queue", f"/api/v1/projects/{setup['project']}/queue"),
    ]))
    people.append(Watcher("manager", port, setup["manager"], state, 2003, calls=org_calls))
    for p in people:
        p.start()
    started = time.monotonic()
    state["deadline"] = started + args.seconds
    state["ready"].set()
    for p in people:
        p.join()
    return people, time.monotonic() - started


def _drained(setup: dict[str, Any], wait_s: float) -> None:
    """Wait (bounded) until the worker has no acknowledged import or snapshot left in flight."""
    from annotation.models import ImportJob
    from training_export.models import Snapshot

    until = time.monotonic() + wait_s
    while time.monotonic() < until:
        busy = ImportJob.objects.filter(project_id=setup["project"], status__in=("queued", "running")).exists()
        busy = busy or Snapshot.objects.filter(project_id=setup["project"], status__in=("queued", "building")).exists()
        if not busy:
            return
        time.sleep(0.5)


def reconcile(setup: dict[str, Any], people: list[Person]) -> dict[str, Any]:
    """What the database holds against what the server acknowledged."""
    from django.db import connection

    from annotation.models import Annotation, ImportJob, Item
    from review.models import Decision
    from training_export.models import Snapshot

    annotators = [p for p in people if isinstance(p, Annotator)]
    acked = {a for p in annotators for a in p.acked}
    undone = {a for p in annotators for a in p.undone}
    kept = acked - undone
    found = set(Annotation.objects.filter(pk__in=kept).values_list("pk", flat=True))
    resurrected = Annotation.objects.filter(pk__in=undone).count()
    in_project = Annotation.objects.filter(item__project_id=setup["project"], annotator__isnull=False).count()

    decisions = {d for p in people if isinstance(p, Reviewer) for d in p.acked}
    decisions_found = Decision.objects.filter(pk__in=decisions).count()
    decisions_total = Decision.objects.filter(case__organization_id=setup["org"], reviewer__isnull=False).count()

    importer = next(p for p in people if isinstance(p, Importer))
    jobs_found = ImportJob.objects.filter(pk__in=list(importer.jobs)).count()
    external_ids = [e for ids in importer.jobs.values() for e in ids]
    items_found = Item.objects.filter(project_id=setup["project"], external_id__in=external_ids).count()

    exporter = next(p for p in people if isinstance(p, Exporter))
    snapshots_found = Snapshot.objects.filter(pk__in=exporter.acked).count()

    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM annotation_item i WHERE i.project_id = %s AND i.annotation_count <> "
            "(SELECT COUNT(*) FROM annotation_annotation a WHERE a.item_id = i.id)", [setup["project"]])
        count_mismatches = int(cur.fetchone()[0])
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT a.item_id FROM annotation_annotation a JOIN annotation_item i "
            "ON i.id = a.item_id WHERE i.project_id = %s AND NOT i.is_gold GROUP BY a.item_id "
            "HAVING COUNT(*) > %s) t", [setup["project"], setup["overlap"]])
        over_overlap = int(cur.fetchone()[0])
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT a.item_id FROM annotation_annotation a JOIN annotation_item i "
            "ON i.id = a.item_id WHERE i.project_id = %s GROUP BY a.item_id, a.annotator_id "
            "HAVING COUNT(*) > 1) t", [setup["project"]])
        twice = int(cur.fetchone()[0])
        # A case decided twice by reviewers (no appeals are filed here): two final review decisions.
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT d.case_id FROM review_decision d JOIN review_case c ON c.id = d.case_id "
            "WHERE c.organization_id = %s AND d.kind = 'review' AND d.action IN ('allow', 'remove', 'restrict') "
            "GROUP BY d.case_id HAVING COUNT(*) > 1) t", [setup["org"]])
        decided_twice = int(cur.fetchone()[0])

    lost = {
        "annotations": len(kept - found),
        "decisions": len(decisions) - decisions_found,
        "import_jobs": len(importer.jobs) - jobs_found,
        "imported_items": len(external_ids) - items_found,
        "snapshots": len(exporter.acked) - snapshots_found,
    }
    mismatches = {
        # Every annotation in the project was acknowledged to someone, and none undone survives.
        "annotations_unacknowledged": in_project - len(found),
        "undone_still_present": resurrected,
        "item_annotation_count": count_mismatches,
        "over_overlap": over_overlap,
        "annotated_twice_by_one_person": twice,
        "decisions_unacknowledged": decisions_total - decisions_found,
        "cases_decided_twice": decided_twice,
    }
    return {
        "lost": sum(lost.values()),
        "lost_by_kind": lost,
        "mismatches": mismatches,
        "acknowledged": {"annotations": len(kept), "undone": len(undone), "decisions": len(decisions),
                         "import_jobs": len(importer.jobs), "imported_items": len(external_ids),
                         "snapshots": len(exporter.acked), "snapshots_downloaded": exporter.downloaded},
    }


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--annotators", type=int, default=12)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--overlap", type=int, default=2)
    parser.add_argument("--think-ms", type=float, default=300, help="annotators' think time (reviewers: twice)")
    parser.add_argument("--drain", type=float, default=90, help="seconds to let acknowledged jobs finish")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_QUEUE_WORKERS", "2")),
                        help="uvicorn worker processes")
    args = parser.parse_args(argv)

    # The worker and the server share a broker key prefix of their own: no other run's worker takes
    # this run's jobs, and no stale job of an earlier run reaches this worker.
    os.environ["QUORUM_BROKER_PREFIX"] = f"bench-load-{uuid.uuid4().hex[:8]}:"
    os.environ.setdefault("QUORUM_THROTTLE_USER", "1000000/min")
    database_url = load_database_url()
    setup_django(database_url)
    t0 = time.monotonic()
    setup = prepare(args)
    setup_s = time.monotonic() - t0
    load_before = _load_average()
    log = Path(os.environ.get("BENCH_LOAD_WORKER_LOG", f"/tmp/bench-load-worker-{os.getpid()}.log"))
    worker = start_worker(database_url, log)
    try:
        server, port = start_server(database_url, args.workers)
        try:
            people, wall = drive(port, setup, args)
            _drained(setup, args.drain)
        finally:
            stop_server(server)
    finally:
        stop_server(worker, timeout=30)
    load_after = _load_average()
    checks = reconcile(setup, people)

    latency: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in people:
        for endpoint, values in p.latency.items():
            latency[endpoint] += values
        for endpoint, by_status in p.statuses.items():
            for status, n in by_status.items():
                statuses[endpoint][str(status)] += n
    requests = sum(len(v) for v in latency.values())
    http_errors = [e for p in people for e in p.errors]
    problems = [e for p in people for e in p.problems]
    throttled = sum(by.get("429", 0) for by in statuses.values())
    mismatched = sum(checks["mismatches"].values())
    return {
        "requests": requests,
        "errors": len(http_errors) + len(problems) + mismatched,
        "lost": checks["lost"],
        "p99_ms": {e: _pct(v, 0.99) for e, v in sorted(latency.items())},
        "p50_ms": {e: _pct(v, 0.50) for e, v in sorted(latency.items())},
        "counts": {e: len(v) for e, v in sorted(latency.items())},
        "statuses": {e: dict(v) for e, v in sorted(statuses.items())},
        "rps": round(requests / wall, 1) if wall else 0.0,
        "http_errors": len(http_errors),
        "job_problems": len(problems),
        "throttled": throttled,
        "first_errors": (http_errors + problems)[:5],
        **checks,
        "seconds": args.seconds,
        "wall_s": round(wall, 2),
        "setup_s": round(setup_s, 2),
        "people": {"annotators": args.annotators, "reviewers": args.reviewers, "importer": 1, "ml": 1,
                   "dashboard": 2},
        "items": args.items,
        "cases": args.cases,
        "workers": args.workers,
        "load_average": {"before": load_before, "after": load_after},
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))

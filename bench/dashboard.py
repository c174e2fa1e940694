"""`python -m bench dashboard --annotations N [--days D] [--vendors V] [--annotators A] [--requests R]`.

Measures the dashboard's server time with N annotations' worth of rollups and prints::

    {"annotations", "p50_ms", "p95_ms", ...}

``p50_ms``/``p95_ms`` are over every measured request (R each) of the dashboard page's API calls
(``/api/v1/quality/dashboard`` for an admin over all vendors, for an admin filtered to one vendor,
for a vendor manager, and the annotator drill-down), timed in-process through Django's full request
stack (middleware, auth, view, JSON), that is server time without the network. Per-endpoint
figures are reported too.

How N annotations are loaded: the dashboard reads rollups only, so the bench writes the rollup rows
that the incremental path (``quality.services.record_submission``) would have written for N
annotations spread over A annotators of V vendors, 20 projects and D days (handling times drawn
log-normally, 5 % gold, 2 % rejected), by COPY, instead of submitting N annotations one by one
(which would take hours and measure the submit path, not the dashboard). That the incremental path
writes exactly these rows is checked in the same run: ``--verify K`` (default 300) submits K real
annotations through the queue services into a separate project and compares the rollups with a full
recount of the annotation table (``verified``: true/false). The data is kept between runs with the
same N (``--reload`` forces a fresh load). Database: ``BENCH_DATABASE_URL`` or ``quorum_bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

from bench.common import DEFAULT_DB, setup_django

ORG_SLUG = "bench-dashboard"
PROJECTS = 20
LABELS = ["billing", "technical", "account", "other"]


def _database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    if url and urlparse(url).path.lstrip("/") not in ("", "quorum"):
        return url
    return DEFAULT_DB


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def _copy(table: str, columns: list[str], rows: Any) -> int:
    from django.db import connection

    connection.ensure_connection()
    n = 0
    with connection.connection.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load(n: int, days: int, n_vendors: int, n_annotators: int, seed: int = 1) -> dict[str, Any]:
    """Create the organization, vendors, people and projects, and COPY the rollups of N annotations."""
    import numpy as np
    from django.db import transaction

    from annotation.models import Project
    from quality import metrics
    from workforce.models import Organization, Role, User, Vendor

    rng = np.random.default_rng(seed)
    _drop()
    t0 = time.monotonic()
    with transaction.atomic():
        org = Organization.objects.create(name=f"Bench dashboard ({n})", slug=ORG_SLUG)
        vendors = [
            Vendor.objects.create(
                organization=org,
                name=f"Vendor {i:02d}",
                country="US",
                rate_per_task=f"0.0{3 + i % 6}",
                rate_per_hour=str(5 + i),
            )
            for i in range(n_vendors)
        ]
        User.objects.create(username="bench-dash-admin", organization=org, role=Role.ADMIN)
        User.objects.create(
            username="bench-dash-manager", organization=org, role=Role.VENDOR_MANAGER, vendor=vendors[0]
        )
        User.objects.bulk_create(
            [
                User(
                    username=f"bench-dash-a{i:05d}",
                    organization=org,
                    role=Role.ANNOTATOR,
                    vendor=vendors[i % n_vendors],
                    password="!",
                )
                for i in range(n_annotators)
            ],
            batch_size=2000,
        )
        annotators = list(
            User.objects.filter(organization=org, role=Role.ANNOTATOR).order_by("pk").values_list("pk", "vendor_id")
        )
        schema = {"labels": [{"value": v} for v in LABELS]}
        projects = [
            Project.objects.create(
                organization=org,
                name=f"Project {i:02d}",
                slug=f"p{i:02d}",
                kind="single_label",
                label_schema=schema,
                overlap=2,
            )
            for i in range(PROJECTS)
        ]
    # Every annotator works two projects; each works on most days.
    today = _today()
    day_list = [today - timedelta(days=d) for d in range(days)]
    keys = [
        (projects[(i + k * 7) % PROJECTS].pk, aid, vid, day)
        for i, (aid, vid) in enumerate(annotators)
        for k in range(2)
        for day in day_list
        if rng.random() < 0.9
    ]
    weights = rng.gamma(2.0, 1.0, size=len(keys))
    counts = rng.multinomial(n, weights / weights.sum())
    total = int(counts.sum())
    row_of = np.repeat(np.arange(len(keys)), counts)
    ms = np.clip(rng.lognormal(9.0, 0.7, size=total), 200, 3_600_000).astype(np.int64)
    buckets = np.zeros(total, dtype=np.int64)
    over = ms >= metrics.HIST_BASE_MS
    buckets[over] = np.minimum(
        np.floor(np.log(ms[over] / metrics.HIST_BASE_MS) / np.log(metrics.HIST_RATIO)).astype(np.int64) + 1,
        metrics.HIST_BUCKETS - 1,
    )
    hist = np.bincount(row_of * metrics.HIST_BUCKETS + buckets, minlength=len(keys) * metrics.HIST_BUCKETS)
    hist = hist.reshape(len(keys), metrics.HIST_BUCKETS)
    handling = np.bincount(row_of, weights=ms, minlength=len(keys)).astype(np.int64)
    gold_flag = rng.random(total) < 0.05
    accuracy = rng.beta(9, 1.5, size=len(annotators) * 2 * days + 1)
    correct_flag = gold_flag & (rng.random(total) < accuracy[row_of % len(accuracy)])
    rejected_flag = rng.random(total) < 0.02
    gold_seen = np.bincount(row_of, weights=gold_flag, minlength=len(keys)).astype(np.int64)
    gold_correct = np.bincount(row_of, weights=correct_flag, minlength=len(keys)).astype(np.int64)
    rejected = np.bincount(row_of, weights=rejected_flag, minlength=len(keys)).astype(np.int64)
    rejected_ms = np.bincount(row_of, weights=ms * rejected_flag, minlength=len(keys)).astype(np.int64)

    cols = [
        "organization_id",
        "project_id",
        "annotator_id",
        "vendor_key",
        "day",
        "submitted",
        "gold_seen",
        "gold_correct",
        "handling_ms",
        "rejected",
        "rejected_ms",
        "hist",
    ]
    vendor_rows: dict[tuple[int, int, date], list[Any]] = {}

    def annotator_rows() -> Any:
        for i, (pid, aid, vid, day) in enumerate(keys):
            if not counts[i]:
                continue
            h = hist[i]
            v = vendor_rows.setdefault((pid, vid, day), [0, 0, 0, 0, 0, 0, np.zeros(metrics.HIST_BUCKETS, np.int64)])
            for j, x in enumerate((counts[i], gold_seen[i], gold_correct[i], handling[i], rejected[i], rejected_ms[i])):
                v[j] += int(x)
            v[6] += h
            yield (
                org.pk,
                pid,
                aid,
                vid,
                day,
                int(counts[i]),
                int(gold_seen[i]),
                int(gold_correct[i]),
                int(handling[i]),
                int(rejected[i]),
                int(rejected_ms[i]),
                json.dumps(h.tolist()),
            )

    with transaction.atomic():
        a_rows = _copy("quality_annotatorday", cols, annotator_rows())
        v_rows = _copy(
            "quality_vendorday",
            [
                "organization_id",
                "project_id",
                "vendor_id",
                "vendor_key",
                "day",
                "submitted",
                "gold_seen",
                "gold_correct",
                "handling_ms",
                "rejected",
                "rejected_ms",
                "hist",
            ],
            (
                (org.pk, pid, vid, vid, day, *v[:6], json.dumps(v[6].tolist()))
                for (pid, vid, day), v in vendor_rows.items()
            ),
        )
        _copy(
            "quality_sladay",
            ["organization_id", "vendor_id", "vendor_key", "day", "decided", "within_sla"],
            (
                (org.pk, v.pk, v.pk, day, d, int(d * rng.uniform(0.8, 1.0)))
                for v in vendors
                for day in day_list
                for d in [int(rng.integers(20, 200))]
            ),
        )
        cells = []
        for p in projects:
            for scope, vk in [("project", 0)] + [("vendor", v.pk) for v in vendors]:
                for dim in [""] + [f"label:{x}" for x in LABELS]:
                    cats = LABELS if dim == "" else ["0", "1"]
                    matrix: dict[str, float] = {}
                    for a in cats:
                        for b in cats:
                            matrix[f"{a}|{b}"] = float(rng.integers(200, 2000) if a == b else rng.integers(5, 200))
                    cells.append(
                        (
                            p.pk,
                            scope,
                            vk,
                            dim,
                            1000.0,
                            700.0,
                            json.dumps(dict.fromkeys(cats, 500.0)),
                            json.dumps(matrix),
                        )
                    )
        _copy(
            "quality_agreementcell",
            ["project_id", "scope", "vendor_key", "dimension", "units", "sum_p", "totals", "coincidence"],
            cells,
        )
        _copy(
            "quality_annotatorpairs",
            ["project_id", "annotator_id", "vendor_key", "pairs"],
            (
                (
                    projects[i % PROJECTS].pk,
                    aid,
                    vid,
                    json.dumps({"billing|billing": 40, "billing|other": 3, "other|billing": 4, "other|other": 30}),
                )
                for i, (aid, vid) in enumerate(annotators)
            ),
        )
    from django.db import connection

    with connection.cursor() as cur:
        for t in (
            "quality_annotatorday",
            "quality_vendorday",
            "quality_sladay",
            "quality_agreementcell",
            "quality_annotatorpairs",
        ):
            cur.execute(f"ANALYZE {t}")
    return {
        "annotator_day_rows": a_rows,
        "vendor_day_rows": v_rows,
        "load_s": round(time.monotonic() - t0, 1),
        "loaded": total,
    }


def _drop() -> None:
    from django.db import connection, transaction

    from workforce.models import Organization

    org = Organization.objects.filter(slug=ORG_SLUG).first()
    if org is None:
        return
    with transaction.atomic(), connection.cursor() as cur:
        ids = "SELECT id FROM annotation_project WHERE organization_id = %s"
        for table in (
            "quality_annotatorday",
            "quality_vendorday",
            "quality_agreementcell",
            "quality_annotatorpairs",
            "quality_annotatorstanding",
            "quality_submissionrecord",
            "quality_itemagreement",
            "quality_adjudication",
            "quality_notice",
            "quality_qualityconfig",
        ):
            cur.execute(f"DELETE FROM {table} WHERE project_id IN ({ids})", [org.pk])
        cur.execute("DELETE FROM quality_sladay WHERE organization_id = %s", [org.pk])
        cur.execute(
            "DELETE FROM quality_statementline WHERE statement_id IN "
            "(SELECT id FROM quality_statement WHERE organization_id = %s)",
            [org.pk],
        )
        cur.execute("DELETE FROM quality_statement WHERE organization_id = %s", [org.pk])
    from annotation.models import Project
    from workforce.models import User, Vendor

    for project in Project.objects.filter(organization=org):
        project.delete()
    User.objects.filter(organization=org).delete()
    Vendor.objects.filter(organization=org).delete()
    org.delete()


def verify(k: int) -> bool:
    """K real submissions through the queue services: the rollups equal a full recount."""
    import random
    from collections import Counter

    from django.db.models import Sum

    from annotation.models import Annotation, Item, Project
    from annotation.queueing.services import annotation_submit, lease_claim
    from quality.models import AnnotatorDay, QualityConfig, VendorDay
    from workforce.access import actor_for
    from workforce.models import Organization, Role, User, Vendor

    rng = random.Random(5)
    org = Organization.objects.get(slug=ORG_SLUG)
    vendor = Vendor.objects.filter(organization=org).order_by("pk").first()
    assert vendor is not None
    project = Project.objects.create(
        organization=org,
        name="Verify",
        slug=f"verify-{int(time.time())}",
        kind="single_label",
        overlap=3,
        gold_rate=0.2,
        label_schema={"labels": [{"value": v} for v in LABELS]},
    )
    project.routes.create(vendor=vendor)
    # Random answers would fail gold and pause everyone: this run checks counting, not pausing.
    QualityConfig.objects.create(project=project, pause_below=0.0)
    Item.objects.bulk_create(
        [
            Item(
                project=project,
                external_id=f"v{i}",
                content_hash=f"{i:064d}",
                is_gold=i % 10 == 0,
                reference={"labels": ["billing"]} if i % 10 == 0 else None,
            )
            for i in range(k // 2 + 20)
        ]
    )
    people = list(User.objects.filter(organization=org, role=Role.ANNOTATOR, vendor=vendor).order_by("pk")[:6])
    done = 0
    while done < k:
        progressed = False
        for user in people:
            lease = lease_claim(actor=actor_for(user), project_id=project.pk)
            if lease is None:
                continue
            annotation_submit(
                actor=actor_for(user),
                lease_id=lease.pk,
                labels=[rng.choice(LABELS)],
                time_spent_ms=rng.randint(200, 60_000),
            )
            done += 1
            progressed = True
        if not progressed:
            break
    expected: Counter[tuple[int | None, str]] = Counter()
    for a in Annotation.objects.filter(item__project=project).select_related("item"):
        expected[(a.annotator_id, "submitted")] += 1
        expected[(a.annotator_id, "handling_ms")] += a.time_spent_ms
        expected[(a.annotator_id, "gold_seen")] += int(a.item.is_gold)
        expected[(a.annotator_id, "gold_correct")] += int(a.item.is_gold and a.labels == ["billing"])
    got: Counter[tuple[int | None, str]] = Counter()
    for row in AnnotatorDay.objects.filter(project=project):
        for f in ("submitted", "handling_ms", "gold_seen", "gold_correct"):
            got[(row.annotator_id, f)] += getattr(row, f)
    vendor_sum = VendorDay.objects.filter(project=project).aggregate(s=Sum("submitted"))["s"]
    ok = +got == +expected and vendor_sum == done and done > 0
    project.delete()
    return ok


def measure(requests: int) -> dict[str, Any]:
    from django.test import Client

    from workforce.models import User

    admin = User.objects.get(username="bench-dash-admin")
    manager = User.objects.get(username="bench-dash-manager")
    vendor_id = manager.vendor_id
    today = _today()
    start = today - timedelta(days=29)
    rng = f"start={start}&end={today}"
    cases = {
        "admin_all": (admin, f"/api/v1/quality/dashboard?{rng}"),
        "admin_vendor": (admin, f"/api/v1/quality/dashboard?{rng}&vendor={vendor_id}"),
        "manager": (manager, f"/api/v1/quality/dashboard?{rng}"),
        "drilldown": (manager, f"/api/v1/quality/annotators?{rng}"),
    }
    clients = {}
    for user in (admin, manager):
        c = Client(HTTP_HOST="localhost")
        c.force_login(user)
        clients[user.pk] = c
    all_ms: list[float] = []
    per: dict[str, Any] = {}
    for name, (user, url) in cases.items():
        client = clients[user.pk]
        for _ in range(3):  # warm-up: connection, caches, plans
            assert client.get(url).status_code == 200
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.content[:300]
        times.sort()
        per[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }
        all_ms.extend(times)
    all_ms.sort()
    return {
        "p50_ms": round(statistics.median(all_ms), 1),
        "p95_ms": round(all_ms[int(0.95 * (len(all_ms) - 1))], 1),
        "per_endpoint": per,
    }


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench dashboard")
    parser.add_argument("--annotations", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--vendors", type=int, default=10)
    parser.add_argument("--annotators", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--verify", type=int, default=300)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args(argv)
    setup_django(_database_url())
    from workforce.models import Organization

    org = Organization.objects.filter(slug=ORG_SLUG).first()
    loaded: dict[str, Any] = {"reused": True}
    from quality.models import AnnotatorDay

    stale = org is None or org.name != f"Bench dashboard ({args.annotations})"
    if args.reload or org is None or stale or not AnnotatorDay.objects.filter(organization_id=org.pk).exists():
        loaded = load(args.annotations, args.days, args.vendors, args.annotators)
    verified = verify(args.verify) if args.verify else None
    result = measure(args.requests)
    return {
        "annotations": args.annotations,
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "per_endpoint": result["per_endpoint"],
        "verified": verified,
        "requests": args.requests * 4,
        **loaded,
    }

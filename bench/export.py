"""`python -m bench export --items N`: build a JSONL training snapshot of N annotated items.

Setup (not timed): a project with N items, three human answers each (about 80% agreeing with a
hidden truth), written by the database itself (``INSERT … SELECT generate_series``), 2% gold.
Timed: ``run_build`` exactly as the Celery task runs it (majority vote, restricted text), in
this process. Prints ``{"rows", "rows_per_s", "peak_rss_mb", ...}``; ``peak_rss_mb`` is the
whole process's peak, so compare it across N to see that memory does not grow with N.
Uses its own database (``quorum_bench_export``) unless BENCH_DATABASE_URL says otherwise;
``--reuse`` keeps the items from the last run of the same N.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from .common import peak_rss_mb, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/quorum_bench_export"
LABELS = ["billing", "technical", "account", "other"]

# Values for the item columns this bench knows; any other NOT NULL column without a default gets
# an empty value of its type (the item model grows columns; the bench should not break on them).
_KNOWN = {
    "project_id": "%(project)s",
    "external_id": "'msg-' || lpad(g::text, 9, '0')",
    "text_redacted": (
        "'Hi, this is <PERSON>. My order ' || (100000 + g %% 900000) || ' arrived damaged and the box was "
        "open; please send a replacement to <ADDRESS> or call me on <PHONE>. Ticket ' || g"
    ),
    "content_hash": "md5(g::text) || md5((g + 1)::text)",
    "state": "'done'",
    "is_gold": "g %% 50 = 0",
    "reference": (
        "CASE WHEN g %% 50 = 0 THEN jsonb_build_object('labels', jsonb_build_array("
        "(ARRAY['billing','technical','account','other'])[1 + g %% 4]), 'spans', '[]'::jsonb) END"
    ),
    "annotation_count": "3",
    "allowed_purposes": '\'["annotation", "model_training", "evaluation"]\'::jsonb',
    "metadata": "jsonb_build_object('channel', 'email')",
    "created_at": "now()",
    "updated_at": "now()",
}
_EMPTY = {
    "text": "''",
    "character varying": "''",
    "bytea": "'\\x'::bytea",
    "jsonb": "'{}'::jsonb",
    "json": "'{}'::json",
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "boolean": "false",
    "double precision": "0",
    "timestamp with time zone": "now()",
}


def _item_columns(cur: Any) -> dict[str, str]:
    cur.execute(
        "SELECT column_name, is_nullable, column_default, data_type FROM information_schema.columns "
        "WHERE table_name = 'annotation_item' AND table_schema = current_schema()"
    )
    columns = dict(_KNOWN)
    for name, nullable, default, dtype in cur.fetchall():
        if name in columns or name == "id" or nullable == "YES" or default is not None:
            continue
        columns[name] = _EMPTY.get(dtype, "''")
    return columns


def populate(*, project_id: int, n: int, annotators: list[int]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        columns = _item_columns(cur)
        names = ", ".join(columns)
        values = ", ".join(columns.values())
        cur.execute(
            f"INSERT INTO annotation_item ({names}) SELECT {values} FROM generate_series(1, %(n)s) g",
            {"project": project_id, "n": n},
        )
        # Three answers per item: annotator k agrees with the hidden truth (id %% 4) 80% of the time.
        cur.execute(
            """
            INSERT INTO annotation_annotation (item_id, annotator_id, vendor_id, labels, spans, comment,
                time_spent_ms, source, model_version, confidence, client_key, created_at, updated_at)
            SELECT i.id, u.id, NULL,
                   jsonb_build_array((ARRAY['billing','technical','account','other'])[1 + (CASE
                       WHEN abs(hashtext(i.id::text || ':' || u.k)) %% 10 < 8 THEN i.id
                       ELSE i.id + 1 + abs(hashtext(u.k || ':' || i.id::text)) %% 3 END) %% 4]),
                   '[]'::jsonb, '', 1000, 'human', '', NULL, '', now(), now()
            FROM annotation_item i
            CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM unnest(%(users)s::bigint[]) AS id) u
            WHERE i.project_id = %(project)s
            """,
            {"project": project_id, "users": annotators},
        )
        cur.execute("ANALYZE annotation_item")
        cur.execute("ANALYZE annotation_annotation")


def _drop_project(project_id: int) -> None:
    from django.db import connection

    from annotation.models import Project

    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM annotation_annotation a USING annotation_item i WHERE a.item_id = i.id AND i.project_id = %s",
            [project_id],
        )
        cur.execute(
            "DELETE FROM training_export_snapshotrange r USING training_export_snapshot s "
            "WHERE r.snapshot_id = s.id AND s.project_id = %s",
            [project_id],
        )
        cur.execute("DELETE FROM training_export_snapshot WHERE project_id = %s", [project_id])
        cur.execute("DELETE FROM annotation_item WHERE project_id = %s", [project_id])
    Project.objects.filter(pk=project_id).delete()


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench export")
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--format", default="jsonl")
    parser.add_argument("--strategy", default="majority")
    parser.add_argument("--reuse", action="store_true", help="reuse the items of a previous run with the same N")
    args = parser.parse_args(argv)
    setup_django(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from annotation.models import Project
    from annotation.services import project_create
    from training_export.build import run_build, snapshot_path
    from training_export.services import snapshot_create
    from workforce.access import actor_for
    from workforce.models import Organization, Role, User
    from workforce.services import user_create

    org, _ = Organization.objects.get_or_create(slug="bench-export", defaults={"name": "Bench export"})

    def user(name: str, role: str) -> User:
        return org.users.filter(username=name).first() or user_create(
            organization=org, username=name, password="bench-pass-123", role=role
        )

    ml = user("bench-export-ml", Role.ML_ENGINEER)
    annotators = [user(f"bench-export-a{k}", Role.ANNOTATOR).pk for k in range(3)]
    slug = f"bench-export-{args.items}"
    project = Project.objects.filter(organization=org, slug=slug).first()
    setup_s = 0.0
    if project is None or not args.reuse or project.items.count() != args.items:
        for old in Project.objects.filter(organization=org):
            _drop_project(old.pk)
        project = project_create(
            actor=actor_for(user("bench-export-admin", Role.ADMIN)),
            name=slug,
            slug=slug,
            kind="single_label",
            label_schema={"labels": [{"value": v} for v in LABELS]},
        )
        start = time.perf_counter()
        populate(project_id=project.pk, n=args.items, annotators=annotators)
        setup_s = time.perf_counter() - start
    out_dir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    settings.QUORUM["SNAPSHOT_DIR"] = out_dir
    rss_before = peak_rss_mb()
    snap = snapshot_create(actor=actor_for(ml), project=project, fmt=args.format, strategy=args.strategy, enqueue=False)
    start, cpu = time.perf_counter(), time.process_time()
    snap = run_build(snap.pk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    size = snapshot_path(snap).stat().st_size
    import shutil

    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "rows": snap.row_count,
        "rows_per_s": round(snap.row_count / seconds),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_build_mb": rss_before,
        "seconds": round(seconds, 2),
        "python_cpu_s": round(cpu, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "items": args.items,
        "format": args.format,
        "strategy": args.strategy,
        "file_mb": round(size / 1e6, 1),
        "setup_s": round(setup_s, 1),
        "status": snap.status,
    }

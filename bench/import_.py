"""`python -m bench import --items N`: N realistic items through the real import pipeline into PostgreSQL.

The items are written to a JSONL file first (streamed, not timed); then the pipeline parses,
validates, redacts and stores them exactly as `manage.py import_items` does. Prints
``{"items", "items_per_s", "seconds", "peak_rss_mb", ...}``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from .common import peak_rss_mb, setup_django

FIRST = ["Maria", "Jonas", "Aisha", "Kenji", "Sofia", "Lukas", "Priya", "Mateo", "Chloé", "Wei", "Ingrid"]
LAST = ["Garcia", "Schmidt", "Khan", "Tanaka", "Rossi", "Novak", "Sharma", "Martin", "Adeyemi", "Berg"]
TOPICS = [
    "My order {num} arrived damaged and the box was open. I want a replacement, not a refund.",
    "The app keeps logging me out on my phone since the update, very annoying when I'm at work.",
    "Hi, this is {name}. Please update the e-mail on my account to {email}, the old one is gone.",
    "I was charged twice this month for the family plan. Call me back on {phone} please.",
    "Is the store in {city} open on Sunday? I need to return a jacket I bought last week.",
    "Great service from your team in {city}, the technician fixed everything in ten minutes!",
]
CITIES = ["Lisbon", "Leeds", "Austin", "Kraków", "Lyon", "Osaka", "Pune", "Valencia", "Nairobi"]
LABELS = ["billing", "technical", "account", "other"]


def generate(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        for i in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            text = rng.choice(TOPICS).format(
                num=rng.randint(100000, 999999),
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.org",
                phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                city=rng.choice(CITIES),
            )
            record: dict[str, Any] = {
                "external_id": f"msg-{i:08d}",
                "text": text,
                "source_system": "helpdesk",
                "jurisdiction": rng.choice(["EU", "US", "UK"]),
                "priority": rng.choice([0, 0, 0, 1, 2]),
                "metadata": {"channel": rng.choice(["email", "chat", "app"]), "ticket": i},
            }
            if i % 50 == 0:
                record["gold"] = True
                record["label"] = rng.choice(LABELS)
            fh.write(orjson.dumps(record) + b"\n")


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench import")
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the project and its items afterwards")
    args = parser.parse_args(argv)
    setup_django()

    from annotation.importing.pipeline import run_import
    from annotation.models import ImportStatus, Project
    from annotation.services import import_create, project_create
    from workforce.access import actor_for
    from workforce.models import Organization, Role
    from workforce.services import user_create

    org, _ = Organization.objects.get_or_create(slug="bench-import", defaults={"name": "Bench import"})
    user = org.users.filter(username="bench-import-ml").first() or user_create(
        organization=org, username="bench-import-ml", password="bench-pass-123", role=Role.ADMIN
    )
    actor = actor_for(user)
    Project.objects.filter(organization=org).delete()
    project = project_create(
        actor=actor, name="Bench import", kind="single_label",
        label_schema={"labels": [{"value": v} for v in LABELS]},
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.jsonl"
        generate(path, args.items)
        size_mb = path.stat().st_size / 1e6
        job = import_create(actor=actor, project=project, filename=path.name, path=path, enqueue=False)
        start = time.perf_counter()
        job = run_import(job.pk)
        seconds = time.perf_counter() - start
    if job.status != ImportStatus.SUCCEEDED:
        raise SystemExit(f"import failed: {job.errors[:5]}")
    rss = peak_rss_mb()
    stored = project.items.count()
    if not args.keep:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("DELETE FROM annotation_item WHERE project_id = %s", [project.pk])
        project.delete()
    return {
        "items": args.items,
        "stored": stored,
        "items_per_s": round(args.items / seconds),
        "seconds": round(seconds, 2),
        "file_mb": round(size_mb, 1),
        "peak_rss_mb": rss,
    }

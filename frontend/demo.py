"""Demo data for `make run`: an organization, two vendors, a user per role, three projects.

Items go through the real import pipeline, so the demo shows redaction exactly as production does.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import orjson
from django.db import transaction

from annotation.importing.pipeline import run_import
from annotation.models import ImportStatus, Project
from annotation.services import import_create, project_create
from workforce.access import actor_for
from workforce.models import Clearance, Organization, Role, User, Vendor
from workforce.services import user_create

DEMO_PASSWORD = "quorum-demo"  # noqa: S105 (printed for the demo on purpose)
ORG_SLUG = "acme"
INTENTS = ("billing", "technical", "account", "other")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    vendor: str


FIRST = ["Maria", "Jonas", "Aisha", "Kenji", "Sofia", "Lukas", "Priya", "Mateo", "Chloé", "Oluwaseun", "Ingrid", "Wei"]
LAST = ["Garcia", "Schmidt", "Khan", "Tanaka", "Rossi", "Novak", "Sharma", "Fernández", "Martin", "Adeyemi", "Berg"]
CITIES = ["Lisbon", "Leeds", "Austin", "Kraków", "Lyon", "Osaka", "Pune", "Valencia"]

TICKETS = {
    "billing": [
        "Hi, I was charged twice for my subscription this month. My card ending 4242 shows two payments "
        "of $12.99. Please refund one. - {name}",
        "Can you send me an invoice for order #{num}? My accountant needs it. Email it to {email} please.",
        "Why did my plan price go up? I signed up for the annual plan in {city} and now I'm billed monthly.",
    ],
    "technical": [
        "The app crashes every time I open the camera on my phone (Android 14). Reinstalled twice. {name}",
        "Sync stopped working after the last update; my notes from yesterday are missing on the laptop.",
        "I get error 502 when uploading files larger than 20MB. Call me at {phone} if you need logs.",
    ],
    "account": [
        "I can't log in — the password reset email never arrives. My address is {email}.",
        "Please delete my account and all my data. Name: {name}, registered with {email}.",
        "Someone changed my username without my permission. I live in {city}, please check the login history.",
    ],
    "other": [
        "Do you have a student discount? I'm at university in {city}.",
        "Just wanted to say the new dark mode looks great, thanks team!",
        "Is there a way to export my photos to a USB stick? Asking for my grandmother {name}.",
    ],
}

POSTS = {
    "allow": [
        "Had the best ramen of my life in {city} today. Highly recommend the place near the station!",
        "Our community garden is looking for volunteers this Saturday, bring gloves.",
        "Congrats to {name} on finishing her first marathon!!",
    ],
    "remove": [
        "Selling followers and fake reviews cheap, DM me or text {phone} now!!!",
        "{name} lives at 12 Harbour Street, go and teach them a lesson. You know what to do.",
        "Get rich quick: send 0.1 BTC to my wallet and receive 1 BTC back guaranteed.",
    ],
    "escalate": [
        "I don't see the point of anything anymore. Maybe everyone would be better off without me.",
        "There is a video going around of the accident in {city}, someone should check it.",
    ],
}

NER = [
    "{name} from {city} wrote to support on Monday about the delayed parcel.",
    "Meeting notes: {name} and {name2} agreed to ship the release before the {city} conference.",
    "Please forward the contract to {name}, who now leads the {city} office.",
]


def _fill(template: str, rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return template.format(
        name=f"{first} {last}",
        name2=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        email=f"{first.lower()}.{last.lower()}@example.com",
        phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        city=rng.choice(CITIES),
        num=rng.randint(10000, 99999),
    )


def _records(kind: str, n: int, rng: random.Random) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(n):
        if kind == "tickets":
            text = _fill(rng.choice(TICKETS[rng.choice(list(TICKETS))]), rng)
        elif kind == "posts":
            text = _fill(rng.choice(POSTS[rng.choice(list(POSTS))]), rng)
        else:
            text = _fill(rng.choice(NER), rng)
        out.append(
            {
                "external_id": f"{kind}-{i + 1:04d}",
                "text": text,
                "source_system": "helpdesk" if kind == "tickets" else "community",
                "jurisdiction": rng.choice(["EU", "US", "UK"]),
                "priority": rng.choice([0, 0, 0, 1, 2]),
                "metadata": {"channel": rng.choice(["email", "chat", "app"])},
            }
        )
    return out


def _import(project: Project, user: User, records: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{project.slug}.jsonl"
        path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
        job = import_create(actor=actor_for(user), project=project, filename=path.name, path=path, enqueue=False)
        job = run_import(job.pk)
        if job.status != ImportStatus.SUCCEEDED:
            raise RuntimeError(f"demo import failed: {job.errors}")


def seed_demo() -> list[DemoLogin]:
    """Create the demo organization once; return the logins either way."""
    if not Organization.objects.filter(slug=ORG_SLUG).exists():
        _create()
    return [
        DemoLogin(u.username, u.get_role_display(), u.vendor.name if u.vendor else "internal")
        for u in User.objects.filter(organization__slug=ORG_SLUG).select_related("vendor").order_by("id")
    ]


def _create() -> None:
    rng = random.Random(7)
    with transaction.atomic():
        org = Organization.objects.create(name="Acme Social", slug=ORG_SLUG)
        offshore = Vendor.objects.create(
            organization=org, name="Offshore Labeling Co", country="PH", clearance=Clearance.RESTRICTED,
            rate_per_task=Decimal("0.0400"), rate_per_hour=Decimal("6.50"),
        )
        onshore = Vendor.objects.create(
            organization=org, name="Onshore Review Ltd", country="US", clearance=Clearance.STANDARD,
            rate_per_task=Decimal("0.1200"), rate_per_hour=Decimal("24.00"),
        )
        people = [
            ("admin", Role.ADMIN, None), ("ml", Role.ML_ENGINEER, None), ("reviewer", Role.REVIEWER, None),
            ("annotator", Role.ANNOTATOR, None),
            ("offshore_manager", Role.VENDOR_MANAGER, offshore), ("offshore_annotator", Role.ANNOTATOR, offshore),
            ("offshore_annotator2", Role.ANNOTATOR, offshore), ("offshore_reviewer", Role.REVIEWER, offshore),
            ("onshore_manager", Role.VENDOR_MANAGER, onshore), ("onshore_annotator", Role.ANNOTATOR, onshore),
            ("onshore_reviewer", Role.REVIEWER, onshore),
        ]
        users = {
            name: user_create(organization=org, username=name, password=DEMO_PASSWORD, role=role, vendor=vendor)
            for name, role, vendor in people
        }
    admin = actor_for(users["admin"])
    tickets = project_create(
        actor=admin, name="Support ticket intent", slug="ticket-intent", kind="single_label",
        label_schema={"labels": [{"value": v, "title": v.title()} for v in INTENTS]},
        guidelines="## Intent\nPick the **main** reason the customer wrote.\n\n"
        "- *billing*: charges, invoices, refunds\n- *technical*: bugs, crashes, sync\n"
        "- *account*: login, deletion, profile\n- *other*: anything else",
        instruction="Classify the support ticket by intent.", overlap=2, vendors=[offshore, onshore],
    )
    ner = project_create(
        actor=admin, name="Entity spans", slug="entity-spans", kind="span",
        label_schema={"labels": [{"value": "PERSON"}, {"value": "LOCATION"}, {"value": "ORG"}]},
        guidelines="Mark every person, location and organization mention.", vendors=[onshore],
    )
    moderation = project_create(
        actor=admin, name="Community moderation", slug="community-moderation", kind="moderation",
        label_schema={"labels": [{"value": "allow"}, {"value": "remove"}, {"value": "escalate"}]},
        guidelines="Apply the community policy. Escalate anything about self-harm.", priority=10,
        vendors=[onshore],
    )
    ml = users["ml"]
    _import(tickets, ml, _records("tickets", 120, rng))
    _import(ner, ml, _records("ner", 40, rng))
    _import(moderation, ml, _records("posts", 60, rng))

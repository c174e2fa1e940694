"""Raw text is sealed at rest; each clearance reads its own stored view; pseudonyms are project-wide."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from annotation.items import item_edit_text
from annotation.models import Item
from privacy.content import open_item_text, seal_text
from privacy.crypto import ContentKeyError
from tests.conftest import make_project
from tests.privacy_integration.support import import_records
from workforce.access import actor_for

TEXTS = [
    "Hi, I am Maria Fernandes, call me on +44 7700 900123 or write to maria.f@example.com.",
    "Maria Fernandes again: my card 4111 1111 1111 1111 was charged twice.",
    "Please ask John Smith, he knows my IBAN DE89370400440532013000.",
]


@pytest.fixture
def items(world):
    project = make_project(world, vendors=[world.offshore, world.onshore])
    return project, import_records(world, project, [{"id": f"t{i}", "text": t} for i, t in enumerate(TEXTS)])


def test_raw_text_is_sealed_in_the_database(items):
    project, stored = items
    with connection.cursor() as cur:
        cur.execute("SELECT text_sealed FROM annotation_item WHERE project_id = %s", [project.pk])
        blobs = [bytes(r[0]) for r in cur.fetchall()]
    assert len(blobs) == 3
    for blob in blobs:
        assert b"Maria" not in blob and b"7700" not in blob and b"@example.com" not in blob
    assert [open_item_text(i) for i in stored] == TEXTS


def test_a_sealed_value_moved_to_another_item_does_not_open(items):
    _, (a, b, _c) = items
    Item.objects.filter(pk=b.pk).update(text_sealed=a.text_sealed)
    with pytest.raises(ContentKeyError):
        open_item_text(Item.objects.get(pk=b.pk))


def test_restricted_view_has_placeholders_and_standard_view_has_project_wide_pseudonyms(items):
    _, (a, b, c) = items
    assert "<PERSON>" in a.text_redacted and "<PHONE>" in a.text_redacted and "<EMAIL>" in a.text_redacted
    assert "Maria" not in a.text_redacted and "Maria" not in a.text_pseudonymized
    person_a = re.findall(r"<PERSON_\d+>", a.text_pseudonymized)
    person_b = re.findall(r"<PERSON_\d+>", b.text_pseudonymized)
    person_c = re.findall(r"<PERSON_\d+>", c.text_pseudonymized)
    assert person_a and person_a[0] == person_b[0], "the same person must keep one pseudonym across items"
    assert person_c and person_c[0] != person_a[0], "a different person gets another number"
    # Dangerous values are placeholders even for standard clearance.
    assert "<CARD>" in b.text_pseudonymized and "<IBAN>" in c.text_pseudonymized


def test_clearance_picks_the_view_in_the_item_api_and_the_claim(world, items):
    _, (a, _b, _c) = items
    restricted = world.client("off_annotator").get(f"/api/v1/items/{a.pk}").json()
    standard = world.client("on_annotator").get(f"/api/v1/items/{a.pk}").json()
    assert restricted["text"] == a.text_redacted
    assert standard["text"] == a.text_pseudonymized
    only_onshore = make_project(world, name="Onshore only", vendors=[world.onshore])
    (item,) = import_records(world, only_onshore, [{"id": "x", "text": TEXTS[0]}])
    claimed = world.client("on_annotator").post(f"/api/v1/projects/{only_onshore.pk}/claim").json()
    assert claimed["lease"]["item"]["text"] == item.text_pseudonymized != item.text_redacted
    only_offshore = make_project(world, name="Offshore only", vendors=[world.offshore])
    (item,) = import_records(world, only_offshore, [{"id": "x", "text": TEXTS[0]}])
    claimed = world.client("off_annotator").post(f"/api/v1/projects/{only_offshore.pk}/claim").json()
    assert claimed["lease"]["item"]["text"] == item.text_redacted


def test_spans_are_validated_against_the_view_the_annotator_saw(world):
    project = make_project(
        world, vendors=[world.onshore], kind="span", label_schema={"labels": [{"value": "who"}]}
    )
    (item,) = import_records(world, project, [{"id": "s", "text": "Write to Maria Fernandes now."}])
    client = world.client("on_annotator")
    lease = client.post(f"/api/v1/projects/{project.pk}/claim").json()["lease"]
    shown = lease["item"]["text"]
    start = shown.index("<PERSON_")
    end = shown.index(">", start) + 1
    ok = client.post(f"/api/v1/leases/{lease['id']}/submit", {"spans": [{"start": start, "end": end, "label": "who"}]},
                     format="json")
    assert ok.status_code == 201, ok.json()
    assert len(shown) != len(open_item_text(item))


def test_pseudonyms_are_unlinkable_across_projects(world):
    from privacy.models import Pseudonym

    one = make_project(world, name="One")
    two = make_project(world, name="Two")
    people = ["Dear Olga Petrova, hello.", "Dear Kenji Watanabe, hello.", "Dear Olga Petrova, bye."]
    a = import_records(world, one, [{"id": str(i), "text": t} for i, t in enumerate(people)])
    b = import_records(world, two, [{"id": str(i), "text": t} for i, t in enumerate(people)])
    for stored in (a, b):
        olga, kenji, olga_again = (re.findall(r"<PERSON_\d+>", i.text_pseudonymized)[0] for i in stored)
        assert olga == olga_again != kenji
    # The table holds keyed digests only; the same people hash differently in another project.
    digests_one = {bytes(d) for d in Pseudonym.objects.filter(project_id=one.pk).values_list("digest", flat=True)}
    digests_two = {bytes(d) for d in Pseudonym.objects.filter(project_id=two.pk).values_list("digest", flat=True)}
    assert len(digests_one) == len(digests_two) == 2
    assert not digests_one & digests_two


def test_edit_recomputes_views_and_reseals(world, items):
    _, (a, _b, _c) = items
    edited = item_edit_text(
        actor=actor_for(world.users["admin"]), item=a, text="New text from Ana Souza at ana@example.org",
        reason="customer corrected the ticket",
    )
    assert "<EMAIL>" in edited.text_redacted and "ana@example.org" not in edited.text_pseudonymized
    assert open_item_text(Item.objects.get(pk=a.pk)) == "New text from Ana Souza at ana@example.org"


def test_only_internal_admins_edit_text(world, items):
    _, (a, _b, _c) = items
    response = world.client("off_annotator").post(
        f"/api/v1/items/{a.pk}/text", {"text": "x", "reason": "because I want to"}, format="json"
    )
    assert response.status_code == 403


def test_content_keys_rotate(settings, items):
    from privacy.content import _ring
    from privacy.crypto import new_key

    _, (a, _b, _c) = items
    old_default = open_item_text(a)
    from privacy.crypto import derive_key

    old = derive_key(settings.SECRET_KEY, "content")
    fresh = new_key()
    settings.QUORUM = {**settings.QUORUM, "CONTENT_KEYS": [fresh, old]}
    _ring.cache_clear()
    assert open_item_text(a) == old_default  # old rows open with the old key, still in the ring
    sealed = seal_text("hello", project_id=a.project_id, external_id="z")
    from privacy.crypto import KeyRing

    assert KeyRing.sealed_key_id(sealed) == KeyRing.from_strings([fresh]).current_id


def test_rotate_content_key_reseals_under_the_new_key(settings, items):
    import io

    from django.core.management import call_command

    from privacy.content import _ring
    from privacy.crypto import KeyRing, derive_key, new_key

    _, stored = items
    fresh = new_key()
    settings.QUORUM = {**settings.QUORUM, "CONTENT_KEYS": [fresh, derive_key(settings.SECRET_KEY, "content")]}
    _ring.cache_clear()
    out = io.StringIO()
    call_command("rotate_content_key", stdout=out)
    assert "re-sealed 3 items" in out.getvalue()
    settings.QUORUM = {**settings.QUORUM, "CONTENT_KEYS": [fresh]}  # the old key is gone now
    _ring.cache_clear()
    current = KeyRing.from_strings([fresh]).current_id
    for item in Item.objects.filter(pk__in=[i.pk for i in stored]):
        assert KeyRing.sealed_key_id(bytes(item.text_sealed)) == current
    assert [open_item_text(i) for i in Item.objects.filter(pk__in=[i.pk for i in stored]).order_by("pk")] == TEXTS
    _ring.cache_clear()

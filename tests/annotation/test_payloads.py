"""The queue's hand-built response bodies equal what the declared serializers (the OpenAPI schema)
would give, so the fast path cannot drift from the documented shape."""

from __future__ import annotations

from annotation.api import (
    AnnotationOut,
    ItemLeaseEnvelopeOut,
    LeaseSubmitApi,
    annotation_payload,
    lease_payload,
    plain_submit_fields,
)
from annotation.models import Annotation, Item
from annotation.queueing.services import annotation_submit, lease_claim
from workforce.access import actor_for

from .queue_support import make_items


def test_lease_payload_equals_the_serializer(world, project):
    project.overlap = 2  # both annotators get the suggested item first
    project.save(update_fields=["overlap"])
    make_items(project, 1, metadata={"channel": "email"}, media="media/ab/cd.png")
    (with_suggestion,) = make_items(project, 1, start=1, priority=5)
    Item.objects.filter(pk=with_suggestion.pk).update(
        suggestion={"labels": ["billing"], "confidence": 0.91, "model_version": "base-q4_0", "scores": {"x": 1}}
    )
    for name in ("off_annotator", "annotator"):  # a vendor (restricted view) and internal staff
        user = world.users[name]
        lease = lease_claim(actor=actor_for(user), project_id=project.pk)
        assert lease is not None
        declared = ItemLeaseEnvelopeOut({"lease": lease}, context={"user": user}).data
        assert lease_payload(lease, user) == declared
        assert lease_payload(lease, user)["lease"]["suggestion"] == {
            "labels": ["billing"], "confidence": 0.91, "model_version": "base-q4_0",
        }


def test_annotation_payload_equals_the_serializer(world, project):
    make_items(project, 1)
    actor = actor_for(world.users["off_annotator"])
    lease = lease_claim(actor=actor, project_id=project.pk)
    assert lease is not None
    result = annotation_submit(
        actor=actor, lease_id=lease.pk, labels=["billing"], spans=None, comment="ok", time_spent_ms=1200,
        client_key="k1",
    )
    for annotation in (result.annotation, Annotation.objects.get(pk=result.annotation.pk)):
        assert annotation_payload(annotation) == AnnotationOut(annotation).data


SUBMIT_BODIES = [
    {}, {"labels": ["billing"]}, {"labels": ["billing"], "client_key": "k-1", "time_spent_ms": 1200},
    {"labels": None, "spans": [{"start": 0, "end": 3, "label": "x"}], "comment": "fine"},
    {"labels": "billing"}, {"labels": {"a": 1}}, {"extra": 1, "labels": []},
    {"comment": ""}, {"comment": "  padded  "}, {"comment": "café"}, {"comment": "nul\x00"}, {"comment": "\ud800"},
    {"comment": 5}, {"comment": 1.5}, {"comment": True}, {"comment": None}, {"comment": ["a"]},
    {"client_key": ""}, {"client_key": " k "}, {"client_key": "k" * 64}, {"client_key": "k" * 65},
    {"client_key": 7}, {"client_key": None}, {"client_key": "ключ"},
    {"time_spent_ms": 0}, {"time_spent_ms": 86_400_000}, {"time_spent_ms": 86_400_001}, {"time_spent_ms": -1},
    {"time_spent_ms": "12"}, {"time_spent_ms": 1.0}, {"time_spent_ms": 1.5}, {"time_spent_ms": True},
    {"time_spent_ms": None}, {"time_spent_ms": "x"},
    [], "text", None,
]


def test_plain_submit_fields_equal_the_serializer_or_defer_to_it():
    """For every body the fast check takes, it gives the serializer's validated data; every body it
    does not take, the serializer decides (and at least the everyday ones are taken)."""
    taken = 0
    for body in SUBMIT_BODIES:
        fast = plain_submit_fields(body)
        if fast is None:
            continue
        taken += 1
        serializer = LeaseSubmitApi.InputSerializer(data=body)
        assert serializer.is_valid(), (body, serializer.errors)
        assert fast == dict(serializer.validated_data), body
    assert plain_submit_fields({"labels": ["billing"], "client_key": "k-1", "time_spent_ms": 1200}) is not None
    assert taken >= 12

"""The queue's hand-built response bodies equal what the declared serializers (the OpenAPI schema)
would give, so the fast path cannot drift from the documented shape."""

from __future__ import annotations

from annotation.api import AnnotationOut, ItemLeaseEnvelopeOut, annotation_payload, lease_payload
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

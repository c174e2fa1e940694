"""Rollups written by the real submit path equal a full recount; gold standing pauses a low-quality
annotator; qualification; adjudication; adaptive overlap; retraction."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db.models import Sum

from annotation.models import Annotation, Item
from annotation.queueing.services import AnnotatorPaused
from quality import metrics, selectors
from quality.agreement import agreement_update
from quality.models import (
    Adjudication,
    AdjudicationState,
    AgreementCell,
    AnnotatorDay,
    AnnotatorStanding,
    Notice,
    QualityConfig,
    SubmissionRecord,
    VendorDay,
)
from quality.rollups import VENDOR_SHARDS
from quality.services import (
    adjudication_resolve,
    annotator_resume,
    claim_gate,
    record_retraction,
    record_submission,
)
from workforce.access import AccessDenied, actor_for

from .support import LABELS, claim, fold, gold_items, make_annotators, make_items, project_with, submit, work


def recount(project_id: int) -> dict[tuple[int, Any], Counter[str]]:
    """Full recomputation from the annotation table: what the rollups must equal."""
    out: dict[tuple[int, Any], Counter[str]] = defaultdict(Counter)
    for a in Annotation.objects.filter(item__project_id=project_id).select_related("item"):
        c = out[(a.annotator_id, a.created_at.date())]
        c["submitted"] += 1
        c["handling_ms"] += a.time_spent_ms
        if a.item.is_gold:
            c["gold_seen"] += 1
            c["gold_correct"] += int(metrics.gold_match(a.item.reference, a.labels, a.spans))
    return out


def test_rollups_equal_full_recount_and_agreement_equals_batch(world, django_capture_on_commit_callbacks):
    rng = random.Random(11)
    project = project_with(world, overlap=3, gold_rate=0.25)
    make_items(project, 30)
    gold_items(project, 8, answer="billing")
    people = make_annotators(world, 4, vendor=world.offshore) + make_annotators(world, 2, prefix="in")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(60):
            for user in people:
                lease = claim(user, project)
                if lease is not None:
                    submit(user, lease, rng.choice(LABELS), time_spent_ms=rng.randint(300, 90_000))
    expected = recount(project.pk)
    assert sum(c["submitted"] for c in expected.values()) > 100
    assert sum(c["gold_seen"] for c in expected.values()) > 5
    got = {
        (r.annotator_id, r.day): Counter(
            {k: getattr(r, k) for k in ("submitted", "handling_ms", "gold_seen", "gold_correct") if getattr(r, k)}
        )
        for r in AnnotatorDay.objects.filter(project=project)
    }
    assert got == {k: +v for k, v in expected.items()}
    # Vendor rows (a few shards per vendor and day) sum to their annotators' rows, each shard to its
    # own annotators'; histograms count every submission.
    shards = set()
    for vrow in VendorDay.objects.filter(project=project):
        mine = [
            r for r in AnnotatorDay.objects.filter(project=project, vendor_key=vrow.vendor_key, day=vrow.day)
            if r.annotator_id % VENDOR_SHARDS == vrow.shard
        ]
        assert (vrow.submitted, vrow.handling_ms) == (sum(r.submitted for r in mine), sum(r.handling_ms for r in mine))
        assert sum(vrow.hist) == vrow.submitted
        shards.add((vrow.vendor_key, vrow.shard))
    assert len(shards) > 1  # the people of one vendor did not all bump one row
    vendor_total = VendorDay.objects.filter(project=project).aggregate(s=Sum("submitted"))["s"]
    assert vendor_total == AnnotatorDay.objects.filter(project=project).aggregate(s=Sum("submitted"))["s"]
    # Agreement counts equal a batch computation over every item's answers.
    units = [
        [metrics.overall_value(lbls) for lbls in Annotation.objects.filter(item=item).values_list("labels", flat=True)]
        for item in Item.objects.filter(project=project, is_gold=False)
    ]
    cell = AgreementCell.objects.get(project=project, scope="project", dimension="")
    assert metrics.krippendorff_alpha(metrics.unpack(cell.coincidence)) == pytest.approx(
        metrics.alpha_from_units(units)
    )
    batch = metrics.FleissCounts()
    for unit in units:
        batch.add(unit)
    assert metrics.fleiss_kappa_from(cell.units, cell.sum_p, cell.totals) == pytest.approx(batch.kappa())
    # Re-running an update or a record changes nothing (idempotent by item / annotation id).
    before = (cell.units, cell.coincidence)
    agreement_update(item_id=Item.objects.filter(project=project, is_gold=False).first().pk)
    cell.refresh_from_db()
    assert (cell.units, cell.coincidence) == before
    a = Annotation.objects.filter(item__project=project).first()
    assert not record_submission(
        annotation_id=a.pk,
        project_id=project.pk,
        item_id=a.item_id,
        annotator_id=a.annotator_id,
        vendor_id=a.vendor_id,
        labels=a.labels,
        spans=[],
        time_spent_ms=5,
        is_gold=False,
        day=a.created_at.date(),
    )
    assert (
        AnnotatorDay.objects.filter(project=project).aggregate(s=Sum("submitted"))["s"]
        == Annotation.objects.filter(item__project=project).count()
    )


def test_low_quality_annotator_is_paused_automatically(world, django_capture_on_commit_callbacks):
    project = project_with(world, gold_rate=0.5)
    QualityConfig.objects.create(project=project, min_gold=5, pause_below=0.7)
    make_items(project, 40)
    gold_items(project, 20, answer="billing")
    bad, good = world.users["off_annotator"], world.users["off_annotator2"]

    def answer(lease):  # the bad annotator never gets gold right; ordinary items are labeled anyhow
        return "other"

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(AnnotatorPaused, match="paused"):
            work(bad, project, answer)
        work(good, project, lambda lease: "billing", limit=25)
    standing = AnnotatorStanding.objects.get(project=project, annotator=bad)
    assert standing.paused and standing.gold_seen == 5 and standing.gold_correct == 0
    assert "below 70%" in standing.pause_reason
    assert not AnnotatorStanding.objects.get(project=project, annotator=good).paused
    # The vendor manager is told, and sees it among their notices; the other vendor does not.
    notice = Notice.objects.get(kind="annotator_paused")
    assert notice.vendor_id == world.offshore.pk and notice.annotator_id == bad.pk
    assert [n["kind"] for n in selectors.notices(actor_for(world.users["off_manager"]))] == ["annotator_paused"]
    assert selectors.notices(actor_for(world.users["on_manager"])) == []
    # Paused: no more claims. The other vendor's manager cannot lift it; their own can.
    with pytest.raises(AnnotatorPaused):
        claim(bad, project)
    with pytest.raises(AccessDenied):
        annotator_resume(actor=actor_for(world.users["on_manager"]), project_id=project.pk, annotator_id=bad.pk)
    annotator_resume(actor=actor_for(world.users["off_manager"]), project_id=project.pk, annotator_id=bad.pk)
    assert claim(bad, project) is not None


def test_qualification_serves_gold_first_then_admits_or_refuses(world, django_capture_on_commit_callbacks):
    project = project_with(world, gold_rate=0.0)
    QualityConfig.objects.create(project=project, qualification_items=3, qualification_pass=0.66)
    make_items(project, 10)
    gold = {i.pk for i in gold_items(project, 6, answer="technical")}
    passer, failer = world.users["off_annotator"], world.users["off_annotator2"]
    assert claim_gate(project_id=project.pk, user_id=passer.pk).gold_only
    with django_capture_on_commit_callbacks(execute=True):
        served = []
        for label in ("technical", "technical", "other"):
            lease = claim(passer, project)
            served.append(lease.item_id)
            submit(passer, lease, label)
        assert set(served) <= gold  # only gold while qualifying, although gold_rate is 0
        lease = claim(passer, project)
        assert lease.item_id not in gold  # 2/3 passed: ordinary work now
        for _ in range(3):
            lease = claim(failer, project)
            assert lease.item_id in gold
            submit(failer, lease, "other")
    assert AnnotatorStanding.objects.get(project=project, annotator=passer).qualified
    with pytest.raises(AnnotatorPaused, match="qualification"):
        claim(failer, project)
    assert Notice.objects.filter(kind="qualification_failed", annotator=failer).exists()


def test_disagreement_goes_to_adjudication_and_resolution_rejects_the_odd_answer(
    world, django_capture_on_commit_callbacks
):
    project = project_with(world, overlap=2)
    make_items(project, 2)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    with django_capture_on_commit_callbacks(execute=True):
        work(a, project, "billing")
        work(b, project, lambda lease: "billing" if lease.item.external_id.endswith("0") else "other")
    case = Adjudication.objects.get(project=project)
    assert case.state == AdjudicationState.OPEN and len(case.answers) == 2
    assert selectors.adjudications_open(actor_for(world.users["reviewer"]))[0].pk == case.pk
    with pytest.raises(AccessDenied):  # vendor reviewers do not adjudicate
        adjudication_resolve(actor=actor_for(world.users["off_reviewer"]), adjudication_id=case.pk, labels=["billing"])
    with django_capture_on_commit_callbacks(execute=True):
        adjudication_resolve(actor=actor_for(world.users["reviewer"]), adjudication_id=case.pk, labels=["billing"])
    from training_export.models import Adjudication as FinalAnswer

    assert FinalAnswer.objects.get(item_id=case.item_id).labels == ["billing"]  # snapshots use it
    odd = Annotation.objects.get(item_id=case.item_id, annotator=b)
    assert SubmissionRecord.objects.get(pk=odd.pk).rejected
    row = AnnotatorDay.objects.get(project=project, annotator=b)
    assert (row.rejected, row.rejected_ms) == (1, odd.time_spent_ms)
    assert AnnotatorDay.objects.get(project=project, annotator=a).rejected == 0


def test_adaptive_overlap_asks_more_for_low_agreement_labels(world, django_capture_on_commit_callbacks):
    project = project_with(world, overlap=3)
    QualityConfig.objects.create(project=project, min_overlap=2, max_overlap=5)
    make_items(project, 12)
    people = make_annotators(world, 3, vendor=world.offshore)
    rng = random.Random(5)
    # Everyone agrees on "billing" (present or not) while "technical" and "other" are coin flips.
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(12):
            for user in people:
                lease = claim(user, project)
                if lease is None:
                    continue
                billing = int(lease.item.external_id[-5:]) % 3 == 0
                submit(user, lease, "billing" if billing else rng.choice(["technical", "other"]))
    targets = selectors.overlap_targets(project_id=project.pk, base=3)
    assert targets["billing"] == 2
    assert targets["technical"] == 5 and targets["other"] == 5


def _vendor_totals(project) -> tuple[int, int, int]:
    """Submitted, handling time and histogram count of the project's vendor rows, over their shards."""
    rows = list(VendorDay.objects.filter(project=project))
    return sum(r.submitted for r in rows), sum(r.handling_ms for r in rows), sum(sum(r.hist) for r in rows)


def test_retraction_takes_an_undone_annotation_back_out(world, django_capture_on_commit_callbacks):
    project = project_with(world, overlap=1)
    make_items(project, 2)
    user = world.users["off_annotator"]
    with django_capture_on_commit_callbacks(execute=True):
        done = work(user, project, "billing", ms=1000)
    first = done[0].annotation
    assert record_retraction(annotation_id=first.pk)
    assert not record_retraction(annotation_id=first.pk)
    assert _vendor_totals(project) == (1, 1000, 1)


def test_undo_through_the_queue_takes_the_annotation_out_of_the_rollups(world, django_capture_on_commit_callbacks):
    from annotation.queueing.services import annotation_undo

    project = project_with(world, overlap=2)
    make_items(project, 1)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    with django_capture_on_commit_callbacks(execute=True):
        work(a, project, "billing", ms=2000)
        done = work(b, project, "other", ms=3000)
    assert Adjudication.objects.filter(project=project, state="open").exists()
    with django_capture_on_commit_callbacks(execute=True):
        annotation_undo(actor=actor_for(b), annotation_id=done[0].annotation.pk)
    # The disagreement is gone with the undone answer, and so is its adjudication.
    assert not Adjudication.objects.filter(project=project).exists()
    assert _vendor_totals(project) == (1, 2000, 1)
    cell = AgreementCell.objects.get(project=project, scope="project", dimension="")
    assert cell.units == 0 and not cell.coincidence  # one answer left: nothing pairable


def test_adaptive_overlap_sends_low_agreement_items_to_more_annotators(world, django_capture_on_commit_callbacks):
    project = project_with(world, overlap=2)
    QualityConfig.objects.create(project=project, adaptive_overlap=True, min_overlap=1, max_overlap=3)
    make_items(project, 12)
    people = make_annotators(world, 3, vendor=world.offshore)
    a, b, c = people
    # Two annotators answer every item; "billing" items they agree on, the rest they split.
    with django_capture_on_commit_callbacks(execute=True):
        for user, flip in ((a, False), (b, True)):
            while (lease := claim(user, project)) is not None:
                billing = int(lease.item.external_id[-5:]) % 3 == 0
                other = "technical" if flip else "other"
                submit(user, lease, "billing" if billing else other)
    fold()
    items = list(Item.objects.filter(project=project))
    disputed = [i for i in items if int(i.external_id[-5:]) % 3]
    agreed = [i for i in items if not int(i.external_id[-5:]) % 3]
    assert {i.overlap_target for i in disputed} == {3} and {i.state for i in disputed} == {"open"}
    assert all(i.overlap_target in (1, 2) and i.state == "done" for i in agreed)
    # The queue follows the targets: the third annotator gets exactly the disputed items.
    served = []
    with django_capture_on_commit_callbacks(execute=True):
        while (lease := claim(c, project)) is not None:
            served.append(lease.item_id)
            submit(c, lease, "other")
    assert sorted(served) == sorted(i.pk for i in disputed)
    # Without the option, nothing changes.
    plain = project_with(world, name="Plain", overlap=2)
    make_items(plain, 3, start=900)
    with django_capture_on_commit_callbacks(execute=True):
        for user in (a, b):
            while (lease := claim(user, plain)) is not None:
                submit(user, lease, "other" if user is a else "technical")
    fold()
    assert set(Item.objects.filter(project=plain).values_list("overlap_target", flat=True)) == {None}

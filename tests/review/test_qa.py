"""QA: a sample of decisions is re-reviewed blind by someone else; agreement is reported."""

from __future__ import annotations

from collections.abc import Sequence

from review.api import CaseWorkOut
from review.models import Case, QAReview, WebhookDelivery
from review.selectors import case_history
from review.services.cases import case_decide
from review.services.policy import policy_categories
from review.services.qa import qa_sampled
from review.services.queue import case_claim
from review.services.webhooks import webhook_endpoint_create
from tests.conftest import World
from tests.review.support import actor, add_user, claim, configure, open_case


def decide(world: World, name: str, action: str, codes: Sequence[str] = ()) -> Case:
    lease = claim(world, name)
    case_decide(actor=actor(world, name), case_id=lease.case_id, action=action, policy_codes=list(codes))
    return lease.case


def test_sampling_is_uniform_at_the_configured_rate_and_reproducible():
    picked = [d for d in range(1, 4001) if qa_sampled(decision_id=d, rate=0.25)]
    assert 900 < len(picked) < 1100
    assert picked == [d for d in range(1, 4001) if qa_sampled(decision_id=d, rate=0.25)]
    assert not any(qa_sampled(decision_id=d, rate=0) for d in range(200))
    assert all(qa_sampled(decision_id=d, rate=1) for d in range(200))


def test_no_qa_cases_at_rate_zero(world, project):
    configure(world, qa_sample_rate=0)
    open_case(world, project)
    decide(world, "reviewer", "allow")
    assert not Case.objects.filter(source="qa_sample").exists()


def test_sampled_decisions_are_re_reviewed_blind_by_someone_else(world, project):
    configure(world, qa_sample_rate=1.0)
    webhook_endpoint_create(actor=actor(world, "admin"), url="http://127.0.0.1:9/hook")
    add_user(world, "reviewer2")
    original_case = open_case(world, project, category="S10")
    decide(world, "reviewer", "remove", ["S10"])
    qa = Case.objects.get(source="qa_sample")
    assert (qa.item_id, qa.category, qa.tier, qa.state) == (original_case.item_id, "S10", 1, "open")
    assert qa.excluded_reviewer_id == world.users["reviewer"].pk
    # Never to the original reviewer.
    assert case_claim(actor=actor(world, "reviewer")) is None
    lease = claim(world, "reviewer2")
    assert lease.case_id == qa.pk
    # Blind: the page data has no earlier cases of the content, so not the decision under QA.
    assert case_history(actor(world, "reviewer2"), lease.case) == []
    data = CaseWorkOut(lease.case, context={"actor": actor(world, "reviewer2"),
                                            "categories": policy_categories(lease.case.policy)}).data
    assert data["history"] == [] and "decisions" not in data and data["is_qa"] is True
    case_decide(actor=actor(world, "reviewer2"), case_id=qa.pk, action="restrict", policy_codes=["S10", "S12"])
    review = QAReview.objects.get()
    assert (review.action_agrees, review.code_agreement) == (False, 0.5)
    assert review.original_reviewer_id == world.users["reviewer"].pk
    # A QA decision is not enforcement: it is never sent, and is not itself sampled again.
    assert WebhookDelivery.objects.filter(decision__case=qa).count() == 0
    assert WebhookDelivery.objects.filter(decision__case=original_case).count() == 1
    assert Case.objects.filter(source="qa_sample").count() == 1


def test_reviewer_accuracy_and_consistency_report(world, project):
    configure(world, qa_sample_rate=1.0)
    add_user(world, "reviewer2")
    for _ in range(4):
        open_case(world, project)
    for action in ("remove", "remove", "allow", "restrict"):
        decide(world, "reviewer", action, ["S1"] if action != "allow" else [])
    for action in ("remove", "allow", "allow", "restrict"):  # QA of the four, in order
        decide(world, "reviewer2", action, ["S1"] if action != "allow" else [])
    body = world.client("admin").get("/api/v1/review/reports/quality").json()
    qa = body["qa"]
    assert (qa["sampled"], qa["agreed"], qa["accuracy"]) == (4, 3, 0.75)
    assert 0 < qa["kappa"] < 1
    [row] = qa["reviewers"]
    assert (row["username"], row["sampled"], row["agreed"], row["accuracy"]) == ("reviewer", 4, 3, 0.75)
    # Vendor managers see only their vendor's reviewers: none here.
    assert world.client("off_manager").get("/api/v1/review/reports/quality").json()["qa"]["reviewers"] == []
    assert world.client("reviewer").get("/api/v1/review/reports/quality").status_code == 403

"""Review tests start with QA sampling off (decisions sampled by chance would add QA cases to
queues); tests of QA turn it on."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_qa_sampling_by_default(settings: Any) -> None:
    settings.QUORUM = {**settings.QUORUM, "REVIEW_QA_SAMPLE_RATE": 0.0}

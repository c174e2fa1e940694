"""LlamaScorer: exact label scores against a naive reference, prefix reuse, batching, truncation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

INSTRUCTION = "Is this movie review positive or negative?"
# Multi-token labels that share trie nodes ("not a review" is a prefix of "not a review at all").
LABELS = ["positive", "negative", "mixed feelings", "not a review", "not a review at all"]
TEXTS = [
    "A wonderful, moving film with great acting.",
    "Dull, boring and far too long. Avoid.",
    "The plot follows a detective in 1920s Chicago.",
    "Ok.",
]
TIGHT = 1e-3  # F32 weights, no flash attention: only float rounding differs


@pytest.fixture(scope="module")
def tiny(tiny_model: Path) -> Iterator[object]:
    from inference.runtime.llama import LlamaScorer

    scorer = LlamaScorer(tiny_model, n_ctx=2048, n_batch=512, n_threads=2, flash_attn=False)
    yield scorer
    scorer.close()


def reference(scorer, task, text: str, max_item_tokens: int | None = None) -> list[float]:
    """Full-prompt log P(label) from an empty cache: no prefix reuse, no batching, no trie."""
    from inference.runtime.prompting import head_tail

    tokens = scorer.tokenize(text)
    budget = scorer._item_budget(task, max_item_tokens)
    if len(tokens) > budget:
        tokens = head_tail(tokens, budget, task.ellipsis_tokens)
    prompt = [*task.prefix_tokens, *tokens, *task.suffix_tokens]
    return [scorer.sequence_logprob(prompt, label) for label in task.label_tokens]


def test_multi_token_labels_match_brute_force(tiny) -> None:
    task = tiny.prepare(INSTRUCTION, LABELS)
    assert max(len(t) for t in task.label_tokens) >= 3 and len(task.nodes) >= 3
    got = np.array(tiny.label_logprobs(task, TEXTS))
    want = np.array([reference(tiny, task, text) for text in TEXTS])
    assert np.abs(got - want).max() < TIGHT


def test_distributions_sum_to_one(tiny) -> None:
    task = tiny.prepare(INSTRUCTION, LABELS)
    for dist in tiny.classify(task, TEXTS):
        assert list(dist) == LABELS
        assert abs(sum(dist.values()) - 1) < 1e-9
        assert all(0 <= p <= 1 for p in dist.values())


def test_batch_equals_single(tiny) -> None:
    task = tiny.prepare(INSTRUCTION, LABELS)
    batch = np.array(tiny.label_logprobs(task, TEXTS))
    single = np.array([tiny.label_logprobs(task, [text])[0] for text in TEXTS])
    assert np.abs(batch - single).max() < TIGHT


def test_prefix_reuse_equals_no_reuse(tiny) -> None:
    task = tiny.prepare(INSTRUCTION, LABELS)
    other = tiny.prepare("Is this message spam?", ["spam", "ham"])
    first = np.array(tiny.label_logprobs(task, TEXTS))
    tiny.label_logprobs(other, TEXTS)  # swaps the cached prefix out and back in
    again = np.array(tiny.label_logprobs(task, TEXTS))
    tiny.reset_cache()
    fresh = np.array(tiny.label_logprobs(task, TEXTS))
    assert np.abs(first - again).max() < TIGHT
    assert np.abs(first - fresh).max() < TIGHT
    assert tiny.prepare(INSTRUCTION, LABELS) is task  # prepared once per (instruction, labels)


def test_many_items_over_several_decodes(tiny_model: Path) -> None:
    from inference.runtime.llama import LlamaScorer

    texts = [f"Review number {i}: " + "quite good " * (i % 7) for i in range(40)]
    with LlamaScorer(tiny_model, n_ctx=2048, n_batch=128, n_seq_max=8, flash_attn=False) as small:
        task = small.prepare(INSTRUCTION, LABELS)
        got = np.array(small.label_logprobs(task, texts))
        calls = small.stats.decode_calls
        single = np.array([small.label_logprobs(task, [t])[0] for t in texts[:5]])
    assert calls > 5  # 4 branches per item and 7 free sequences: a decode holds one item
    assert np.abs(got[:5] - single).max() < TIGHT


def test_long_items_cut_head_and_tail(tiny) -> None:
    task = tiny.prepare(INSTRUCTION, LABELS)
    long_text = " ".join(f"word{i}" for i in range(600))
    before = tiny.stats.truncated_items
    got = tiny.label_logprobs(task, [long_text, "short"], max_item_tokens=64)[0]
    assert tiny.stats.truncated_items == before + 1
    assert np.abs(np.array(got) - np.array(reference(tiny, task, long_text, 64))).max() < TIGHT


def test_stats_count_prefix_once(tiny) -> None:
    task = tiny.prepare(INSTRUCTION, ["positive", "negative"])
    tiny.reset_cache()
    tiny.stats.reset()
    tiny.classify(task, TEXTS)
    tiny.classify(task, TEXTS)
    item_tokens = sum(len(tiny.tokenize(t)) + len(task.suffix_tokens) for t in TEXTS)
    assert tiny.stats.prefix_tokens == len(task.prefix_tokens)
    assert tiny.stats.prompt_tokens == len(task.prefix_tokens) + 2 * item_tokens
    assert tiny.stats.items == 2 * len(TEXTS)
    assert tiny.stats.seconds > 0


def test_item_text_cannot_inject_chat_markers(tiny) -> None:
    assert tiny.tokenize("<|im_end|>") != tiny.tokenize("<|im_end|>", special=True)
    assert len(tiny.tokenize("<|im_end|>", special=True)) == 1


def test_prompt_speed_runs(tiny) -> None:
    assert tiny.prompt_speed_seconds(64) > 0


@pytest.mark.model
@pytest.mark.slow
def test_real_model_scores_sensibly(q4_0_model: Path) -> None:
    from inference.runtime.llama import LlamaScorer

    with LlamaScorer(q4_0_model, n_ctx=2048, n_batch=512) as scorer:
        task = scorer.prepare(INSTRUCTION, ["positive", "negative"], answer_prefix="The review is")
        dists = scorer.classify(task, TEXTS[:2])
        single = [scorer.classify(task, [t])[0] for t in TEXTS[:2]]
    assert dists[0]["positive"] > 0.5 > dists[1]["positive"]
    for batch, one in zip(dists, single, strict=True):
        assert abs(sum(batch.values()) - 1) < 1e-9
        # Q4_0 kernels round differently for other batch shapes; the scores stay close
        assert abs(batch["positive"] - one["positive"]) < 0.1

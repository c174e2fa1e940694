"""Prompt layout, label trie and head+tail truncation (pure Python, no model)."""

from __future__ import annotations

import pytest

from inference.runtime.prompting import (
    IM_START,
    TaskSpec,
    head_tail,
    label_logprobs,
    label_nodes,
    layout,
    normalize,
    prepare,
)


def fake_tokenize(text: str, special: bool) -> list[int]:
    """One token per whitespace-separated word (hash-stable), enough to exercise the layout."""
    del special
    return [sum(map(ord, word)) for word in text.split()]


def test_head_tail_keeps_short_items_whole() -> None:
    assert head_tail([1, 2, 3], 5) == [1, 2, 3]
    assert head_tail([1, 2, 3], 3) == [1, 2, 3]


def test_head_tail_cuts_to_budget_with_separator() -> None:
    tokens = list(range(100))
    cut = head_tail(tokens, 20, sep=[-1, -2])
    assert len(cut) == 20
    assert cut[:12] == list(range(12))  # two thirds of the 18 free tokens to the head
    assert cut[12:14] == [-1, -2]
    assert cut[14:] == list(range(94, 100))


def test_head_tail_tiny_budget() -> None:
    assert head_tail(list(range(10)), 2, sep=[-1, -2, -3]) == [0, 1]
    with pytest.raises(ValueError):
        head_tail([1], 0)


def test_label_trie_nodes() -> None:
    nodes = label_nodes([(5,), (7, 8), (7, 8, 9), (7, 3)])
    assert [(n.path, n.labels) for n in nodes] == [((7,), (1, 2, 3)), ((7, 8), (2,))]


def test_label_logprobs_walk_the_trie() -> None:
    spec = TaskSpec("Classify.", ("a", "b c"))
    task = prepare(spec, fake_tokenize)
    table = {
        (): {task.label_tokens[0][0]: -1.0, task.label_tokens[1][0]: -2.0},
        (task.label_tokens[1][0],): {task.label_tokens[1][1]: -0.5},
    }
    assert label_logprobs(task, lambda path, tok: table[path][tok]) == [-1.0, -2.5]
    assert task.branch_labels == (1,)
    assert task.n_branches == 1


def test_layout_is_chatml_with_shared_prefix_and_examples() -> None:
    spec = TaskSpec("Is it spam?", ("spam", "ham"), examples=(("win money", "spam"),), answer_prefix="It is")
    prefix, suffix = layout(spec)
    assert prefix.startswith(f"{IM_START}system\n")
    assert "Possible labels: spam, ham." in prefix
    assert "win money" in prefix and "It is spam<|im_end|>" in prefix
    assert prefix.endswith("Is it spam?\nText:\n")
    assert suffix == "<|im_end|>\n<|im_start|>assistant\nIt is"


def test_quoted_layout_moves_the_turn_switch_into_the_prefix() -> None:
    spec = TaskSpec(
        "Is it spam?",
        ("spam", "ham"),
        examples=(("win", "spam"),),
        answer_prefix="It is",
        quote_item=True,
        item_label="Message",
    )
    prefix, suffix = layout(spec)
    assert "<|im_start|>assistant\nMessage: win\nIt is spam<|im_end|>\n" in prefix
    assert prefix.endswith("Is it spam?<|im_end|>\n<|im_start|>assistant\nMessage: ")
    assert suffix == "\nIt is"


def test_labels_follow_answer_prefix_with_a_space() -> None:
    seen: list[str] = []

    def tok(text: str, special: bool) -> list[int]:
        seen.append(text)
        return fake_tokenize(text, special)

    prepare(TaskSpec("Q?", ("yes", "no"), answer_prefix="Answer:"), tok)
    assert " yes" in seen and " no" in seen


def test_task_spec_validation() -> None:
    with pytest.raises(ValueError):
        TaskSpec("Q?", ("only",))
    with pytest.raises(ValueError):
        TaskSpec("Q?", ("a", "a"))
    with pytest.raises(ValueError):
        TaskSpec("Q?", ("a", "b"), examples=(("x", "c"),))


def test_normalize_is_a_distribution() -> None:
    dist = normalize([-1000.0, -1001.0, -1003.0], ["a", "b", "c"])
    assert abs(sum(dist.values()) - 1) < 1e-12
    assert dist["a"] > dist["b"] > dist["c"]

"""Prompt layout for label scoring: chat-formatted shared prefix, label token trie, head+tail truncation."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
DEFAULT_SYSTEM = "You are a careful assistant that classifies text. Reply with the label only."
# Between the head and the tail of an item that was cut to its token budget.
ELLIPSIS = "\n[...]\n"

Tokenize = Callable[[str, bool], list[int]]
"""``tokenize(text, special)``: token ids of ``text``; ``special`` parses ``<|im_start|>``-style markers."""


@dataclass(frozen=True)
class TaskSpec:
    """What a classification task is: the instruction, its labels and optional few-shot examples."""

    instruction: str
    labels: tuple[str, ...]
    examples: tuple[tuple[str, str], ...] = ()
    system: str = DEFAULT_SYSTEM
    # Opens the assistant's reply before the label, e.g. "The review is": labels then follow a space.
    answer_prefix: str = ""
    # Where the item goes: False, in the user's message (ChatML as usual); True, quoted at the start
    # of the assistant's reply ("Text: ...\n<answer prefix> <label>"), which leaves 4 tokens after
    # each item instead of 9 (the turn switch moves into the shared prefix) at equal accuracy here.
    quote_item: bool = False
    item_label: str = "Text"  # what the item is called where it is inserted

    def __post_init__(self) -> None:
        if len(self.labels) < 2:
            raise ValueError("a task needs at least two labels")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be distinct")
        for _, label in self.examples:
            if label not in self.labels:
                raise ValueError(f"example label {label!r} is not one of the task's labels")


def item_slot(spec: TaskSpec) -> tuple[str, str]:
    """The ChatML text around an item: (before it, after it, up to where the label starts)."""
    if spec.quote_item:
        before = f"{IM_START}user\n{spec.instruction}{IM_END}\n{IM_START}assistant\n{spec.item_label}: "
        return before, f"\n{spec.answer_prefix}"
    before = f"{IM_START}user\n{spec.instruction}\n{spec.item_label}:\n"
    return before, f"{IM_END}\n{IM_START}assistant\n{spec.answer_prefix}"


def layout(spec: TaskSpec) -> tuple[str, str]:
    """ChatML text before every item (shared prefix, few-shot turns included) and after it.

    The item text itself is tokenized on its own (special markers not parsed), so a message cannot
    inject chat markers, and the prefix can be evaluated once and reused for every item.
    """
    choices = ", ".join(spec.labels)
    parts = [f"{IM_START}system\n{spec.system} Possible labels: {choices}.{IM_END}\n"]
    before, after = item_slot(spec)
    for text, label in spec.examples:
        parts.append(f"{before}{text}{after}{label_text(spec, label)}{IM_END}\n")
    parts.append(before)
    return "".join(parts), after


def label_text(spec: TaskSpec, label: str) -> str:
    """A label as it is written after the answer prefix (a word after a word takes a space)."""
    if spec.answer_prefix and not spec.answer_prefix[-1].isspace():
        return f" {label}"
    return label


@dataclass(frozen=True)
class TrieNode:
    """A label-token path that must be evaluated: its logits score the next token of longer labels."""

    path: tuple[int, ...]
    labels: tuple[int, ...]  # indices of labels whose tokens extend ``path`` (their branch sequences)


@dataclass(frozen=True)
class PreparedTask:
    """A task turned into tokens: everything a backend needs to score items against its labels."""

    spec: TaskSpec
    prefix_tokens: tuple[int, ...]
    suffix_tokens: tuple[int, ...]
    label_tokens: tuple[tuple[int, ...], ...]
    nodes: tuple[TrieNode, ...]
    ellipsis_tokens: tuple[int, ...]
    branch_labels: tuple[int, ...] = field(default=())  # labels with more than one token, one branch each

    @property
    def labels(self) -> tuple[str, ...]:
        return self.spec.labels

    @property
    def n_branches(self) -> int:
        """Sequences an item needs: one per multi-token label, at least one for the prompt itself."""
        return max(1, len(self.branch_labels))

    @property
    def max_label_tokens(self) -> int:
        return max(len(t) for t in self.label_tokens)


def label_nodes(label_tokens: Sequence[Sequence[int]]) -> tuple[TrieNode, ...]:
    """Internal nodes of the label trie (proper, non-empty prefixes of some label), shortest first."""
    seen: dict[tuple[int, ...], list[int]] = {}
    for index, tokens in enumerate(label_tokens):
        for depth in range(1, len(tokens)):
            seen.setdefault(tuple(tokens[:depth]), []).append(index)
    ordered = sorted(seen.items(), key=lambda kv: (len(kv[0]), kv[0]))
    return tuple(TrieNode(path=path, labels=tuple(labels)) for path, labels in ordered)


def prepare(spec: TaskSpec, tokenize: Tokenize) -> PreparedTask:
    """Tokenize a task's layout and labels once, with the backend's tokenizer."""
    prefix, suffix = layout(spec)
    label_tokens = tuple(tuple(tokenize(label_text(spec, label), False)) for label in spec.labels)
    if any(not tokens for tokens in label_tokens):
        raise ValueError("a label tokenizes to nothing")
    if len(set(label_tokens)) != len(label_tokens):
        raise ValueError("two labels tokenize identically")
    return PreparedTask(
        spec=spec,
        prefix_tokens=tuple(tokenize(prefix, True)),
        suffix_tokens=tuple(tokenize(suffix, True)),
        label_tokens=label_tokens,
        nodes=label_nodes(label_tokens),
        ellipsis_tokens=tuple(tokenize(ELLIPSIS, False)),
        branch_labels=tuple(i for i, tokens in enumerate(label_tokens) if len(tokens) > 1),
    )


def head_tail(tokens: Sequence[int], budget: int, sep: Sequence[int] = (), head_share: float = 2 / 3) -> list[int]:
    """``tokens`` cut to ``budget``: its head and its tail joined by ``sep`` (most of the budget to the head)."""
    if budget <= 0:
        raise ValueError("budget must be positive")
    if len(tokens) <= budget:
        return list(tokens)
    room = budget - len(sep)
    if room < 2:
        return list(tokens[:budget])
    head = max(1, min(room - 1, math.ceil(room * head_share)))
    tail = room - head
    return [*tokens[:head], *sep, *tokens[len(tokens) - tail :]]


def label_logprobs(task: PreparedTask, at: Callable[[tuple[int, ...], int], float]) -> list[float]:
    """log P(label | prompt) for every label: the sum of its tokens' log-probabilities along the trie.

    ``at(path, token)`` is log P(token | prompt + path); ``path`` is ``()`` at the end of the prompt.
    """
    out = []
    for tokens in task.label_tokens:
        total = 0.0
        for depth in range(len(tokens)):
            total += at(tuple(tokens[:depth]), tokens[depth])
        out.append(total)
    return out


def normalize(logprobs: Sequence[float], labels: Sequence[str]) -> dict[str, float]:
    """Label log-probabilities turned into a distribution over the labels (softmax, stable)."""
    top = max(logprobs)
    weights = [math.exp(lp - top) for lp in logprobs]
    total = sum(weights)
    return {label: w / total for label, w in zip(labels, weights, strict=True)}

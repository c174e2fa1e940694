"""Label scoring on llama.cpp's batch API: one shared prefix in the KV cache, many items per decode."""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np

from .prompting import DEFAULT_SYSTEM, PreparedTask, TaskSpec, head_tail, label_logprobs, normalize, prepare

log = logging.getLogger(__name__)

_backend_ready: list[bool] = [False]
_backend_lock = threading.Lock()

PREFIX_SEQ = 0


# ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the previous line)
_GGML_LEVELS = {3: logging.WARNING, 4: logging.ERROR}
_last_level = [0]


@llama_cpp.llama_log_callback
def _log_callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    # llama.cpp describes every tensor it loads at INFO level; pass on warnings and errors only.
    if level != 5:
        _last_level[0] = level
    py_level = _GGML_LEVELS.get(_last_level[0])
    if py_level is not None and text.strip():
        log.log(py_level, "%s", text.decode("utf-8", "replace").rstrip())


def _init_backend() -> None:
    with _backend_lock:
        if not _backend_ready[0]:
            llama_cpp.llama_backend_init()
            # backend init resets the log sink; the callback object lives as long as this module
            llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
            _backend_ready[0] = True


def cpu_threads() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _fill(batch: Any, i: int, token: int, pos: int, seqs: Sequence[int], logits: bool) -> None:
    """Slot ``i`` of a llama_batch: a token at ``pos``, visible to ``seqs``, with logits or not."""
    batch.token[i] = token
    batch.pos[i] = pos
    batch.n_seq_id[i] = len(seqs)
    for j, s in enumerate(seqs):
        batch.seq_id[i][j] = s
    batch.logits[i] = 1 if logits else 0


@dataclass
class ScorerStats:
    """Work done by a scorer since it was created (or reset)."""

    items: int = 0
    prompt_tokens: int = 0  # every token decoded: shared prefixes once, items, label continuations
    prefix_tokens: int = 0
    decode_calls: int = 0
    truncated_items: int = 0
    seconds: float = 0.0  # wall time inside classify(), tokenization included
    decode_seconds: float = 0.0

    def reset(self) -> None:
        for name, value in ScorerStats().__dict__.items():
            setattr(self, name, value)

    @property
    def tokens_per_s(self) -> float:
        return self.prompt_tokens / self.seconds if self.seconds else 0.0


@dataclass
class _Item:
    index: int
    tokens: list[int]  # item tokens + suffix: the whole per-item prompt after the shared prefix
    seqs: list[int] = field(default_factory=list)
    # batch index of the output row for each trie path (``()`` = the end of the prompt)
    rows: dict[tuple[int, ...], int] = field(default_factory=dict)


class LlamaScorer:
    """Scores every label of a task for many texts with one prefill per batch of items.

    The task's prefix (system prompt, instruction, label list, few-shot turns) is decoded once into
    sequence 0. Each item gets one sequence per multi-token label (at least one), seeded from the
    prefix with ``seq_cp`` (in a unified KV cache that tags cells, it copies nothing). An item's
    prompt tokens carry all its sequence ids; the label-trie tokens after it carry only the ids of the
    labels that pass through them, so one decode evaluates prompts and label continuations of many
    items together, with logits requested only where a label token is scored.
    """

    backend = "llama.cpp"

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_threads: int | None = None,
        n_ctx: int = 4096,
        n_batch: int = 1024,
        n_ubatch: int = 512,
        n_seq_max: int = 128,
        max_item_tokens: int = 512,
        flash_attn: bool = True,
        system: str = DEFAULT_SYSTEM,
    ) -> None:
        _init_backend()
        self.model_path = Path(model_path)
        self.n_threads = n_threads or cpu_threads()
        self.max_item_tokens = max_item_tokens
        self.system = system
        self.stats = ScorerStats()
        self._lock = threading.RLock()
        self._tasks: dict[TaskSpec, PreparedTask] = {}
        self._loaded: PreparedTask | None = None  # whose prefix sits in sequence 0

        mparams = llama_cpp.llama_model_default_params()
        self._model = llama_cpp.llama_model_load_from_file(str(self.model_path).encode(), mparams)
        if not self._model:
            raise RuntimeError(f"llama.cpp could not load {self.model_path}")
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)

        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = n_batch
        cparams.n_ubatch = min(n_ubatch, n_batch)
        cparams.n_seq_max = min(n_seq_max, llama_cpp.llama_max_parallel_sequences())
        cparams.n_threads = self.n_threads
        cparams.n_threads_batch = self.n_threads
        cparams.kv_unified = True  # sequences share cells: seq_cp tags, several ids per token allowed
        cparams.flash_attn_type = (
            llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        )
        cparams.no_perf = True
        self._ctx = llama_cpp.llama_init_from_model(self._model, cparams)
        if not self._ctx:
            llama_cpp.llama_model_free(self._model)
            raise RuntimeError("llama.cpp could not create a context")
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self.n_ctx = llama_cpp.llama_n_ctx(self._ctx)
        self.n_batch = llama_cpp.llama_n_batch(self._ctx)
        self.n_seq_max = llama_cpp.llama_n_seq_max(self._ctx)
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, self.n_seq_max)
        self._pp: tuple[llama_cpp.llama_context_p, llama_cpp.llama_batch, int] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            pp = getattr(self, "_pp", None)
            if pp is not None:
                llama_cpp.llama_batch_free(pp[1])
                llama_cpp.llama_free(pp[0])
                self._pp = None
            if getattr(self, "_ctx", None):
                llama_cpp.llama_batch_free(self._batch)
                llama_cpp.llama_free(self._ctx)
                llama_cpp.llama_model_free(self._model)
                self._ctx = None

    def __enter__(self) -> LlamaScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # No module globals here: at interpreter shutdown they may already be None.
        try:  # noqa: SIM105 - contextlib may be gone at shutdown
            self.close()
        except Exception:  # noqa: S110 - nothing left to report to
            pass

    # -- tokens ----------------------------------------------------------------------------------

    def tokenize(self, text: str, special: bool = False) -> list[int]:
        """Token ids of ``text`` (no BOS); ``special`` parses chat markers such as ``<|im_start|>``."""
        data = text.encode("utf-8")
        capacity = len(data) + 8
        buf = (llama_cpp.llama_token * capacity)()
        n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, capacity, False, special)
        if n < 0:
            capacity = -n
            buf = (llama_cpp.llama_token * capacity)()
            n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, capacity, False, special)
        return list(buf[:n])

    def detokenize(self, tokens: Sequence[int]) -> str:
        out = bytearray()
        buf = ctypes.create_string_buffer(64)
        for token in tokens:
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, True)
            out += buf.raw[:n]
        return out.decode("utf-8", errors="replace")

    # -- tasks -----------------------------------------------------------------------------------

    def prepare(
        self,
        instruction: str,
        labels: Sequence[str],
        examples: Sequence[tuple[str, str]] = (),
        *,
        answer_prefix: str = "",
        quote_item: bool = False,
        item_label: str = "Text",
    ) -> PreparedTask:
        """Tokenize a task once; cached per (instruction, labels, examples, layout options)."""
        spec = TaskSpec(
            instruction,
            tuple(labels),
            tuple((t, lab) for t, lab in examples),
            self.system,
            answer_prefix,
            quote_item,
            item_label,
        )
        with self._lock:
            task = self._tasks.get(spec)
            if task is None:
                task = prepare(spec, self.tokenize)
                room = self.n_ctx - len(task.prefix_tokens)
                if room < self.n_batch:
                    raise ValueError(
                        f"the task's prefix ({len(task.prefix_tokens)} tokens) leaves {room} tokens of context: "
                        f"raise n_ctx above prefix + n_batch ({self.n_batch})"
                    )
                self._tasks[spec] = task
            return task

    def _item_budget(self, task: PreparedTask, max_item_tokens: int | None) -> int:
        per_item_extra = len(task.suffix_tokens) + len(task.nodes)
        return max(8, min(max_item_tokens or self.max_item_tokens, int(self.n_batch) - per_item_extra))

    # -- decoding --------------------------------------------------------------------------------

    def _decode(self, n: int) -> None:
        self._batch.n_tokens = n
        t0 = time.perf_counter()
        rc = llama_cpp.llama_decode(self._ctx, self._batch)
        self.stats.decode_seconds += time.perf_counter() - t0
        self.stats.decode_calls += 1
        if rc != 0:
            self._reset_memory()
            raise RuntimeError(f"llama_decode failed with {rc}")

    def _put(self, i: int, token: int, pos: int, seqs: Sequence[int], logits: bool) -> None:
        _fill(self._batch, i, token, pos, seqs, logits)

    def _reset_memory(self) -> None:
        llama_cpp.llama_memory_clear(self._mem, True)
        self._loaded = None

    def reset_cache(self) -> None:
        """Forget the cached prefix: the next classify() decodes (and counts) its prefix again."""
        with self._lock:
            self._reset_memory()

    def _load_prefix(self, task: PreparedTask) -> None:
        if self._loaded is task:
            return
        self._reset_memory()
        tokens = task.prefix_tokens
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start : start + self.n_batch]
            for i, token in enumerate(chunk):
                self._put(i, token, start + i, (PREFIX_SEQ,), False)
            self._decode(len(chunk))
        self.stats.prompt_tokens += len(tokens)
        self.stats.prefix_tokens += len(tokens)
        self._loaded = task

    def _logprob_fn(self, item: _Item) -> Callable[[tuple[int, ...], int], float]:
        cache: dict[int, tuple[np.ndarray, float]] = {}

        def at(path: tuple[int, ...], token: int) -> float:
            row = item.rows[path]
            if row not in cache:
                ptr = llama_cpp.llama_get_logits_ith(self._ctx, row)
                logits = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,))
                top = float(logits.max())
                cache[row] = (logits, top + float(np.log(np.exp(logits - top, dtype=np.float64).sum())))
            logits, lse = cache[row]
            return float(logits[token]) - lse

        return at

    def _run_batch(self, task: PreparedTask, items: list[_Item]) -> list[list[float]]:
        base = len(task.prefix_tokens)
        n = 0
        next_seq = PREFIX_SEQ + 1
        for item in items:
            item.seqs = list(range(next_seq, next_seq + task.n_branches))
            next_seq += task.n_branches
            for s in item.seqs:
                llama_cpp.llama_memory_seq_cp(self._mem, PREFIX_SEQ, s, -1, -1)
            last = len(item.tokens) - 1
            for k, token in enumerate(item.tokens):
                self._put(n, token, base + k, item.seqs, k == last)
                n += 1
            item.rows = {(): n - 1}
            for node in task.nodes:
                # a branch node: visible to the sequences of the labels that continue through it
                seqs = [item.seqs[task.branch_labels.index(lab)] for lab in node.labels]
                self._put(n, node.path[-1], base + len(item.tokens) + len(node.path) - 1, seqs, True)
                item.rows[node.path] = n
                n += 1
        try:
            self._decode(n)
            self.stats.prompt_tokens += n
            return [label_logprobs(task, self._logprob_fn(item)) for item in items]
        finally:
            for item in items:
                for s in item.seqs:
                    llama_cpp.llama_memory_seq_rm(self._mem, s, -1, -1)

    def _plan(self, task: PreparedTask, items: list[_Item]) -> list[list[_Item]]:
        """Greedy packing in order: each decode holds at most n_batch tokens and n_seq_max - 1 sequences."""
        batches: list[list[_Item]] = []
        current: list[_Item] = []
        tokens = seqs = 0
        per_item_nodes = len(task.nodes)
        for item in items:
            cost = len(item.tokens) + per_item_nodes
            if current and (tokens + cost > self.n_batch or seqs + task.n_branches > self.n_seq_max - 1):
                batches.append(current)
                current, tokens, seqs = [], 0, 0
            current.append(item)
            tokens += cost
            seqs += task.n_branches
        if current:
            batches.append(current)
        return batches

    def label_logprobs(
        self, task: PreparedTask, texts: Sequence[str], *, max_item_tokens: int | None = None
    ) -> list[list[float]]:
        """log P(label | prompt) for each text and label, in the task's label order (not normalized)."""
        t0 = time.perf_counter()
        with self._lock:
            budget = self._item_budget(task, max_item_tokens)
            items = []
            for index, text in enumerate(texts):
                tokens = self.tokenize(text)
                if len(tokens) > budget:
                    tokens = head_tail(tokens, budget, task.ellipsis_tokens)
                    self.stats.truncated_items += 1
                items.append(_Item(index, [*tokens, *task.suffix_tokens]))
            self._load_prefix(task)
            out: list[list[float]] = [[] for _ in texts]
            for batch in self._plan(task, items):
                for item, scores in zip(batch, self._run_batch(task, batch), strict=True):
                    out[item.index] = scores
            self.stats.items += len(items)
        self.stats.seconds += time.perf_counter() - t0
        return out

    def classify(
        self, task: PreparedTask, texts: Sequence[str], *, max_item_tokens: int | None = None
    ) -> list[dict[str, float]]:
        """A distribution over the task's labels for each text."""
        return [normalize(lp, task.labels) for lp in self.label_logprobs(task, texts, max_item_tokens=max_item_tokens)]

    # -- measurements ----------------------------------------------------------------------------

    def prompt_speed_seconds(self, n_tokens: int = 512, seed: int = 0) -> float:
        """Seconds llama.cpp takes for one plain ``n_tokens`` prompt on this model, like ``llama-bench -p``.

        Runs in a side context with llama.cpp's default layout (one sequence, ubatch 512), so it is
        the kernel speed the scorer's own decodes are compared with.
        """
        with self._lock:
            if self._pp is None or self._pp[2] < n_tokens:
                if self._pp is not None:
                    llama_cpp.llama_batch_free(self._pp[1])
                    llama_cpp.llama_free(self._pp[0])
                cparams = llama_cpp.llama_context_default_params()
                cparams.n_ctx = max(512, n_tokens)
                cparams.n_batch = n_tokens
                cparams.n_ubatch = min(512, n_tokens)
                cparams.n_threads = cparams.n_threads_batch = self.n_threads
                cparams.no_perf = True
                ctx = llama_cpp.llama_init_from_model(self._model, cparams)
                if not ctx:
                    raise RuntimeError("llama.cpp could not create a context")
                self._pp = (ctx, llama_cpp.llama_batch_init(n_tokens, 0, 1), n_tokens)
            ctx, batch, _ = self._pp
            rng = np.random.default_rng(seed)
            tokens = rng.integers(100, self.n_vocab - 100, n_tokens)
            for i, token in enumerate(tokens.tolist()):
                _fill(batch, i, token, i, (0,), i == n_tokens - 1)
            batch.n_tokens = n_tokens
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
            t0 = time.perf_counter()
            rc = llama_cpp.llama_decode(ctx, batch)
            seconds = time.perf_counter() - t0
            if rc != 0:
                raise RuntimeError(f"llama_decode failed with {rc}")
            return seconds

    # -- reference -------------------------------------------------------------------------------

    def sequence_logprob(self, tokens: Sequence[int], continuation: Sequence[int]) -> float:
        """log P(continuation | tokens), decoded naively from an empty cache (a reference for tests)."""
        with self._lock:
            self._reset_memory()
            seq = [*tokens, *continuation]
            if len(seq) > self.n_batch:
                raise ValueError("reference sequence longer than n_batch")
            for i, token in enumerate(seq):
                self._put(i, token, i, (PREFIX_SEQ,), i >= len(tokens) - 1)
            self._decode(len(seq))
            total = 0.0
            for k, token in enumerate(continuation):
                ptr = llama_cpp.llama_get_logits_ith(self._ctx, len(tokens) - 1 + k)
                logits = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)
                top = logits.max()
                total += logits[token] - top - np.log(np.exp(logits - top).sum())
            self._reset_memory()
            return float(total)

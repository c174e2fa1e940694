"""Label scoring with torch + transformers (GGUF weights, bf16 where supported, SDPA): the GPU backend."""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache
from transformers.utils import logging as hf_logging

from .llama import ScorerStats
from .prompting import DEFAULT_SYSTEM, PreparedTask, TaskSpec, head_tail, label_logprobs, normalize, prepare


def pick_dtype(device: torch.device) -> torch.dtype:
    """bf16 on GPUs that have it (fp16 otherwise), bf16 on CPUs with native bf16 math, else fp32."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    try:
        native_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native_bf16 = False
    return torch.bfloat16 if native_bf16 else torch.float32


class TorchScorer:
    """The LlamaScorer interface on transformers: the prefix's KV cache is computed once per task and
    expanded over each batch; items are left-padded so every row ends at the same column, and only
    the last ``max label length`` positions get logits. Multi-token labels add one row per such label
    (the item followed by the label's tokens but its last)."""

    backend = "torch"

    def __init__(
        self,
        model_path: str | Path,
        *,
        device: str | None = None,
        dtype: torch.dtype | None = None,
        n_threads: int | None = None,
        max_item_tokens: int = 512,
        batch_size: int | None = None,
        system: str = DEFAULT_SYSTEM,
    ) -> None:
        self.model_path = Path(model_path)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if n_threads and self.device.type == "cpu":
            torch.set_num_threads(n_threads)
        self.dtype = dtype or pick_dtype(self.device)
        self.max_item_tokens = max_item_tokens
        # rows per forward pass: a GPU wants wide batches, a CPU gains little past a few rows
        self.batch_size = batch_size or (256 if self.device.type == "cuda" else 16)
        self.system = system
        self.stats = ScorerStats()
        self._lock = threading.RLock()
        self._tasks: dict[TaskSpec, PreparedTask] = {}
        self._prefix: tuple[PreparedTask, DynamicCache] | None = None
        folder, name = str(self.model_path.parent), self.model_path.name
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never ask a hub
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(  # type: ignore[no-untyped-call]
                folder, gguf_file=name, local_files_only=True
            )
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, local_files_only=True, dtype=self.dtype, attn_implementation="sdpa"
            )
        finally:
            hf_logging.set_verbosity(verbosity)
        self.model = model.to(self.device).eval()  # type: ignore[arg-type]

    # -- tokens ----------------------------------------------------------------------------------

    def tokenize(self, text: str, special: bool = False) -> list[int]:
        """Token ids of ``text`` (no BOS); ``special`` parses chat markers such as ``<|im_start|>``."""
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False, split_special_tokens=not special)
        return ids

    def detokenize(self, tokens: Sequence[int]) -> str:
        text: str = self.tokenizer.decode(list(tokens))
        return text

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
                task = self._tasks[spec] = prepare(spec, self.tokenize)
            return task

    @torch.inference_mode()
    def _prefix_cache(self, task: PreparedTask) -> DynamicCache:
        if self._prefix is not None and self._prefix[0] is task:
            return self._prefix[1]
        ids = torch.tensor([task.prefix_tokens], device=self.device)
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        self.stats.prompt_tokens += len(task.prefix_tokens)
        self.stats.prefix_tokens += len(task.prefix_tokens)
        cache: DynamicCache = out.past_key_values
        self._prefix = (task, cache)
        return cache

    # -- scoring ---------------------------------------------------------------------------------

    def _rows(self, task: PreparedTask, tokens: list[int]) -> list[tuple[list[int], int]]:
        """(row tokens, label index or -1) for one item: a row per multi-token label, or one plain row."""
        if not task.branch_labels:
            return [(tokens, -1)]
        return [([*tokens, *task.label_tokens[lab][:-1]], lab) for lab in task.branch_labels]

    @torch.inference_mode()
    def _score_batch(self, task: PreparedTask, cache: DynamicCache, items: list[list[int]]) -> list[list[float]]:
        rows: list[tuple[list[int], int, int]] = []  # (tokens, label, item)
        for i, tokens in enumerate(items):
            rows += [(r, lab, i) for r, lab in self._rows(task, tokens)]
        width = max(len(r) for r, _, _ in rows)
        n_prefix = len(task.prefix_tokens)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), n_prefix + width), dtype=torch.long)
        mask[:, :n_prefix] = 1
        for r, (tokens, _, _) in enumerate(rows):
            ids[r, width - len(tokens) :] = torch.tensor(tokens)
            mask[r, n_prefix + width - len(tokens) :] = 1
        positions = (mask[:, n_prefix:].cumsum(dim=1) - 1).clamp(min=0) + n_prefix
        batch_cache = copy.deepcopy(cache)
        batch_cache.batch_repeat_interleave(len(rows))
        keep = task.max_label_tokens
        out = self.model(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            past_key_values=batch_cache,
            cache_position=torch.arange(n_prefix, n_prefix + width, device=self.device),
            use_cache=True,
            logits_to_keep=keep,
        )
        logp = torch.log_softmax(out.logits.float(), dim=-1).cpu()
        self.stats.prompt_tokens += sum(len(r) for r, _, _ in rows)

        results = []
        for i in range(len(items)):
            mine = [(r, lab) for r, (_, lab, item) in enumerate(rows) if item == i]

            def at(path: tuple[int, ...], token: int, mine: list[tuple[int, int]] = mine) -> float:
                for r, lab in mine:
                    appended = task.label_tokens[lab][:-1] if lab >= 0 else ()
                    if tuple(appended[: len(path)]) == path:
                        # the prompt's last token sits len(appended) columns before the row's end
                        col = keep - 1 - len(appended) + len(path)
                        return float(logp[r, col, token])
                raise KeyError(path)

            results.append(label_logprobs(task, at))
        return results

    def label_logprobs(
        self, task: PreparedTask, texts: Sequence[str], *, max_item_tokens: int | None = None
    ) -> list[list[float]]:
        """log P(label | prompt) for each text and label, in the task's label order (not normalized)."""
        t0 = time.perf_counter()
        budget = max(8, max_item_tokens or self.max_item_tokens)
        with self._lock:
            items = []
            for text in texts:
                tokens = self.tokenize(text)
                if len(tokens) > budget:
                    tokens = head_tail(tokens, budget, task.ellipsis_tokens)
                    self.stats.truncated_items += 1
                items.append([*tokens, *task.suffix_tokens])
            cache = self._prefix_cache(task)
            order = sorted(range(len(items)), key=lambda i: len(items[i]))  # less padding per batch
            per_batch = max(1, self.batch_size // task.n_branches)
            out: list[list[float]] = [[] for _ in items]
            for start in range(0, len(order), per_batch):
                chunk = order[start : start + per_batch]
                for i, scores in zip(chunk, self._score_batch(task, cache, [items[i] for i in chunk]), strict=True):
                    out[i] = scores
                self.stats.decode_calls += 1
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            self.stats.items += len(items)
        self.stats.seconds += time.perf_counter() - t0
        return out

    def classify(
        self, task: PreparedTask, texts: Sequence[str], *, max_item_tokens: int | None = None
    ) -> list[dict[str, float]]:
        """A distribution over the task's labels for each text."""
        return [normalize(lp, task.labels) for lp in self.label_logprobs(task, texts, max_item_tokens=max_item_tokens)]

    def reset_cache(self) -> None:
        """Forget the cached prefix: the next classify() computes (and counts) its prefix again."""
        with self._lock:
            self._prefix = None

    def close(self) -> None:
        self._prefix = None

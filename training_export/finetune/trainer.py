"""Fine-tune the GGUF base as a causal LM on prompt → label (loss on the label tokens only), on CPU or GPU.

The task's shared prefix (system prompt, instruction, label list) is run once per batch, with
gradients, and its KV cache is expanded over the batch's rows, so each row only costs its own
tokens; logits are computed only where label tokens are predicted (the tied 49k x 576 output matrix
is the largest matmul otherwise). LoRA (peft) on every attention and MLP projection by default;
``method="full"`` trains all weights but the embeddings. Checkpoints every few steps make a crashed
or cancelled run resumable: the batch order is a function of the seed, so resuming skips done steps.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inference.runtime.prompting import PreparedTask, TaskSpec, prepare

from .data import Record, Row, encode, epoch_batches, records_sha256

log = logging.getLogger(__name__)

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CHECKPOINT = "checkpoint.pt"

ProgressFn = Callable[[int, int, float, float], None]
"""``on_progress(step, total_steps, loss, eta_seconds)`` after every optimizer step."""


class FineTuneCancelled(Exception):
    """``should_cancel()`` said stop; the last checkpoint is saved, so the run can resume."""


@dataclass(frozen=True)
class FineTuneConfig:
    """Hyper-parameters; the defaults fit 1,000 short items in minutes on a 2-core CPU."""

    method: str = "lora"  # "lora" or "full"
    epochs: int = 1
    max_steps: int | None = None  # stop early (tests, smoke runs)
    batch_size: int = 16
    learning_rate: float | None = None  # None: 2e-3 for LoRA, 5e-5 for full
    warmup_steps: int = 10
    weight_decay: float = 0.0
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: tuple[str, ...] = LORA_TARGETS
    # Only the top N decoder layers learn (None: all). Backward stops below them, so on a CPU a step
    # costs about forward + 2 × N/30 of it instead of 3×; measured on the sentiment bench (see bench).
    train_layers: int | None = 10
    max_item_tokens: int = 128
    # "label": cross-entropy over the labels' first tokens only (what the scorer's normalized scores
    # see); "lm": over the whole vocabulary. Measured on the bench (1 epoch, 1,000 items): "lm" spent
    # its first steps lifting both label tokens from ~22 nats and ended near chance (0.554).
    loss: str = "label"
    max_grad_norm: float = 1.0
    seed: int = 0
    threads: int | None = None
    checkpoint_every: int = 25

    def __post_init__(self) -> None:
        if self.method not in ("lora", "full"):
            raise ValueError("method is 'lora' or 'full'")
        if self.loss not in ("label", "lm"):
            raise ValueError("loss is 'label' or 'lm'")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")

    @property
    def lr(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 2e-3 if self.method == "lora" else 5e-5

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["lora_targets"] = list(self.lora_targets)
        out["learning_rate"] = self.lr
        return out


@dataclass
class TrainStats:
    steps: int = 0
    total_steps: int = 0
    resumed_from: int = 0
    examples_seen: int = 0
    tokens: int = 0  # tokens run through the model (shared prefix once per batch)
    seconds: float = 0.0  # training loop wall time in this process (resumed steps excluded)
    losses: list[float] = field(default_factory=list)  # mean loss of each step
    load_seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        first = self.losses[: max(1, len(self.losses) // 10)]
        last = self.losses[-max(1, len(self.losses) // 10) :]
        return {
            "steps": self.steps,
            "total_steps": self.total_steps,
            "resumed_from": self.resumed_from,
            "examples_seen": self.examples_seen,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 2),
            "load_seconds": round(self.load_seconds, 2),
            "train_tok_per_s": round(self.tokens_per_s, 1),
            "loss_first": round(sum(first) / len(first), 4) if self.losses else None,
            "loss_last": round(sum(last) / len(last), 4) if self.losses else None,
        }


_TOKENIZERS: dict[tuple[str, int], Any] = {}


def load_model(path: Path, *, dtype: Any = None, device: str = "cpu") -> tuple[Any, Any]:
    """(tokenizer, model) from a GGUF via transformers (dequantized; fp32 on CPU by default)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local weights only; never ask a hub
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    key = (str(path), path.stat().st_mtime_ns)
    try:
        tokenizer = _TOKENIZERS.get(key)
        if tokenizer is None:
            # building the tokenizer from a GGUF parses its 49k-token vocabulary: once per process
            tokenizer = _TOKENIZERS[key] = AutoTokenizer.from_pretrained(  # type: ignore[no-untyped-call]
                str(path.parent), gguf_file=path.name, local_files_only=True
            )
        model = AutoModelForCausalLM.from_pretrained(
            str(path.parent),
            gguf_file=path.name,
            local_files_only=True,
            dtype=dtype or torch.float32,
            attn_implementation="sdpa",
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    loaded: Any = model
    return tokenizer, loaded.to(device)


def make_tokenize(tokenizer: Any) -> Callable[[str, bool], list[int]]:
    def tokenize(text: str, special: bool = False) -> list[int]:
        ids: list[int] = tokenizer.encode(text, add_special_tokens=False, split_special_tokens=not special)
        return ids

    return tokenize


class Trainer:
    """One fine-tuning run: ``run()`` trains (resuming from ``workdir``) and returns the merged model."""

    def __init__(
        self,
        *,
        model_path: Path,
        spec: TaskSpec,
        records: Sequence[Record],
        config: FineTuneConfig,
        workdir: Path,
        on_progress: ProgressFn | None = None,
        should_cancel: Callable[[], bool] | None = None,
        device: str = "cpu",
    ) -> None:
        self.model_path = model_path
        self.spec = spec
        self.records = list(records)
        self.config = config
        self.workdir = workdir
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.device = device
        self.stats = TrainStats()
        self.fingerprint = json.dumps(
            {
                "data": records_sha256(self.records),
                "config": config.as_dict(),
                "spec": asdict(spec),
                "model": f"{model_path.name}:{model_path.stat().st_size}",
            },
            sort_keys=True,
        )

    # -- setup -----------------------------------------------------------------------------------

    def _setup(self) -> None:
        import torch

        if self.config.threads and self.device == "cpu":
            torch.set_num_threads(self.config.threads)
        torch.manual_seed(self.config.seed)
        t0 = time.perf_counter()
        self.tokenizer, model = load_model(self.model_path, device=self.device)
        self.stats.load_seconds = time.perf_counter() - t0
        tokenize = make_tokenize(self.tokenizer)
        self.task: PreparedTask = prepare(self.spec, tokenize)
        self.rows: list[Row] = encode(
            self.records, self.task, lambda t: tokenize(t, False), self.config.max_item_tokens
        )
        model.config.use_cache = True
        n_layers = int(model.config.num_hidden_layers)
        k = n_layers if self.config.train_layers is None else max(1, min(n_layers, self.config.train_layers))
        trained = list(range(n_layers - k, n_layers))
        if self.config.method == "lora":
            from peft import LoraConfig, get_peft_model

            lora = LoraConfig(
                r=self.config.lora_r,
                lora_alpha=self.config.lora_alpha,
                lora_dropout=self.config.lora_dropout,
                target_modules=list(self.config.lora_targets),
                bias="none",
                task_type="CAUSAL_LM",
                layers_to_transform=trained,
                layers_pattern="layers",
            )
            self.model: Any = get_peft_model(model, lora)
            self.core: Any = self.model.get_base_model()
        else:
            prefixes = tuple(f"model.layers.{i}." for i in trained)
            for name, p in model.named_parameters():
                # the tied embedding / output matrix (28M of 135M weights) and the lower layers stay
                p.requires_grad_(name.startswith(prefixes) or (k == n_layers and name == "model.norm.weight"))
            self.model = self.core = model
        self.model.train()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        decay = [p for p in self.params if p.ndim >= 2]
        no_decay = [p for p in self.params if p.ndim < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=self.config.lr,
        )
        per_epoch = math.ceil(len(self.rows) / self.config.batch_size)
        total = per_epoch * self.config.epochs
        if self.config.max_steps is not None:
            total = min(total, self.config.max_steps)
        self.stats.total_steps = total
        warmup = min(self.config.warmup_steps, max(1, total // 10))

        def schedule(step: int) -> float:  # linear warm-up, then linear decay to 10%
            if step < warmup:
                return (step + 1) / warmup
            return max(0.1, 1.0 - 0.9 * (step - warmup) / max(1, total - warmup))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self.schedule: list[list[int]] = []
        epoch = 0
        while len(self.schedule) < total:
            self.schedule += epoch_batches(self.rows, self.config.batch_size, self.config.seed, epoch)
            epoch += 1
        self.schedule = self.schedule[:total]
        self.first_tokens = sorted({tokens[0] for tokens in self.task.label_tokens})
        self.prefix = torch.tensor([self.task.prefix_tokens], device=self.device)
        self.pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0

    # -- checkpoints -----------------------------------------------------------------------------

    def _trainable_state(self) -> dict[str, Any]:
        return {n: p.detach().clone() for n, p in self.model.named_parameters() if p.requires_grad}

    def save_checkpoint(self, step: int) -> None:
        import torch

        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / CHECKPOINT
        tmp = path.with_name(path.name + ".part")
        torch.save(
            {
                "fingerprint": self.fingerprint,
                "step": step,
                "weights": self._trainable_state(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "losses": self.stats.losses,
                "examples_seen": self.stats.examples_seen,
                "torch_rng": torch.get_rng_state(),
            },
            tmp,
        )
        tmp.replace(path)  # a crash mid-save leaves the previous checkpoint intact

    def _resume(self) -> int:
        import torch

        path = self.workdir / CHECKPOINT
        if not path.is_file():
            return 0
        ckpt = torch.load(path, map_location=self.device, weights_only=False)
        if ckpt.get("fingerprint") != self.fingerprint:
            log.warning("checkpoint %s is for another run (data, config or model differ); starting over", path)
            return 0
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, value in ckpt["weights"].items():
                params[name].copy_(value)
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.stats.losses = list(ckpt["losses"])
        self.stats.examples_seen = int(ckpt["examples_seen"])
        torch.set_rng_state(ckpt["torch_rng"])
        step = int(ckpt["step"])
        self.stats.resumed_from = step
        log.info("resuming fine-tuning at step %d of %d", step, self.stats.total_steps)
        return step

    # -- the step --------------------------------------------------------------------------------

    def batch_loss(self, batch: Sequence[Row]) -> tuple[Any, int]:
        """(mean cross-entropy over the batch's label tokens, tokens processed)."""
        import torch
        import torch.nn.functional as F  # noqa: N812

        inner = self.core.model  # LlamaModel: hidden states, no logits
        n_prefix = self.prefix.shape[1]
        out = inner(input_ids=self.prefix, use_cache=True)
        cache = out.past_key_values
        cache.batch_repeat_interleave(len(batch))
        width = max(len(r.tokens) for r in batch)
        ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(batch), n_prefix + width), dtype=torch.long)
        mask[:, :n_prefix] = 1
        rows_at, cols_at, targets, firsts = [], [], [], []
        for i, row in enumerate(batch):
            ids[i, : len(row.tokens)] = torch.tensor(row.tokens)
            mask[i, n_prefix : n_prefix + len(row.tokens)] = 1
            for k, target in enumerate(row.targets):
                # the logits after token (first_target - 1 + k) predict label token k
                rows_at.append(i)
                cols_at.append(row.first_target - 1 + k)
                targets.append(target)
                firsts.append(k == 0)
        positions = torch.arange(n_prefix, n_prefix + width).unsqueeze(0).expand(len(batch), -1)
        hidden = inner(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            past_key_values=cache,
            cache_position=torch.arange(n_prefix, n_prefix + width, device=self.device),
            use_cache=True,
        ).last_hidden_state
        n_tokens = n_prefix + sum(len(r.tokens) for r in batch)
        picked = hidden[torch.tensor(rows_at, device=self.device), torch.tensor(cols_at, device=self.device)]
        logits = self.core.lm_head(picked).float()
        wanted = torch.tensor(targets, device=self.device)
        if self.config.loss == "lm":
            return F.cross_entropy(logits, wanted), n_tokens
        # "label": the first label token competes only with the other labels' first tokens (the
        # scorer normalizes over labels, so this is its objective for single-token labels); later
        # tokens of multi-token labels keep the full-vocabulary loss
        first = torch.tensor(firsts, device=self.device)
        heads = torch.tensor(self.first_tokens, device=self.device)
        head_target = (wanted[first].unsqueeze(1) == heads.unsqueeze(0)).float().argmax(dim=1)
        loss = F.cross_entropy(logits[first][:, heads], head_target)
        if bool((~first).any()):
            loss = loss + F.cross_entropy(logits[~first], wanted[~first])
        return loss, n_tokens

    def run(self) -> Any:
        """Train to the end (or raise FineTuneCancelled) and return the model, LoRA merged, in eval mode."""
        import torch

        self._setup()
        start = self._resume()
        total = self.stats.total_steps
        t0 = time.perf_counter()
        for step in range(start, total):
            if self.should_cancel is not None and self.should_cancel():
                self.save_checkpoint(step)
                raise FineTuneCancelled(f"cancelled at step {step} of {total}")
            batch = [self.rows[i] for i in self.schedule[step]]
            loss, n_tokens = self.batch_loss(batch)
            loss.backward()
            if self.config.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(self.params, self.config.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.stats.tokens += n_tokens
            self.stats.examples_seen += len(batch)
            self.stats.losses.append(float(loss.detach()))
            self.stats.steps = step + 1
            self.stats.seconds = time.perf_counter() - t0
            done_here = step + 1 - start
            eta = self.stats.seconds / done_here * (total - step - 1)
            if self.on_progress is not None:
                self.on_progress(step + 1, total, self.stats.losses[-1], eta)
            if self.config.checkpoint_every and (step + 1) % self.config.checkpoint_every == 0 and step + 1 < total:
                self.save_checkpoint(step + 1)
        self.stats.steps = total
        model = self.model.merge_and_unload() if self.config.method == "lora" else self.model
        model.eval()
        return model

    def merged_state(self, model: Any) -> dict[str, Any]:
        """The merged model's weights under transformers names (what the GGUF writer takes)."""
        state: dict[str, Any] = dict(model.state_dict())
        return state

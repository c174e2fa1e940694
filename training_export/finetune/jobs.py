"""Fine-tuning jobs: run one ``FineTuneJob`` row (snapshot + parent → staged version), with progress,
cancel and resume. Called by the Celery task on the ``training`` queue; takes an id, idempotent.

Progress goes to the job row (step, loss, ETA, heartbeat) and, after each write, to the Channels
group ``finetune.<id>``. A job whose ``cancel_requested`` is set stops at the next step with its
checkpoint saved. A worker that dies mid-run leaves the row ``running`` and the checkpoint in the
job's work folder. While a run is alive a thread touches ``heartbeat_at`` every
``QUORUM["JOB_HEARTBEAT_SECONDS"]`` (model loading, writing and evaluating included); a row whose
heartbeat is older than ``JOB_STALE_SECONDS`` lost its worker: ``training_export/recovery.py``
re-queues it and the next run resumes from the checkpoint. A run only starts by claiming the row
(queued, or running with a stale heartbeat), so a redelivered message never runs a job twice at once.
"""

from __future__ import annotations

import gzip
import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from inference.store import model_dir

from .data import Record, snapshot_splits
from .trainer import FineTuneCancelled, FineTuneConfig

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
DONE = (SUCCEEDED, FAILED, CANCELLED)
CONFIG_KEYS = set(FineTuneConfig.__dataclass_fields__)


def job_group(job_id: int) -> str:
    return f"finetune.{job_id}"


def _job_model() -> Any:
    # the model lives in training_export.models; looked up by name so this engine-side module has no cycle
    return apps.get_model("training_export", "FineTuneJob")


def publish(job_id: int, event: dict[str, Any]) -> None:
    """Send a job event to its Channels group after commit; a lost event never fails the job."""
    from channels.layers import get_channel_layer

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(job_group(job_id), {"type": "finetune.event", "event": event})
        except Exception:
            log.warning("could not publish %s for fine-tune job %s", event.get("type"), job_id, exc_info=True)

    transaction.on_commit(send)


def workdir_for(job_id: int) -> Path:
    return model_dir() / "finetune-work" / f"job-{job_id}"


def read_snapshot(snapshot: Any, labels: list[str]) -> tuple[list[Record], list[Record]]:
    """(train, test) records of a ready JSON-lines snapshot; validation stands in for a missing test split."""
    path = Path(settings.QUORUM["SNAPSHOT_DIR"]) / snapshot.file_name
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        splits = snapshot_splits(fh, labels, source=f"snapshot {snapshot.pk}")
    train = splits.get("train", [])
    test = splits.get("test") or splits.get("validation", [])
    if not train:
        raise ValueError(f"snapshot {snapshot.pk} has no labeled training rows for {labels}")
    return train, test


def stale_after() -> timedelta:
    return timedelta(seconds=float(settings.QUORUM["JOB_STALE_SECONDS"]))


def claim(job_id: int) -> bool:
    """Take the job to run: queued, or running with a heartbeat gone stale (its worker died). One
    conditional UPDATE, so of two deliveries of one job only one runs it."""
    Job = _job_model()  # noqa: N806
    now = timezone.now()
    dead = Q(status=RUNNING) & (Q(heartbeat_at__lt=now - stale_after()) | Q(heartbeat_at__isnull=True))
    taken = Job.objects.filter(Q(pk=job_id) & (Q(status=QUEUED) | dead)).update(
        status=RUNNING, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if taken:
        Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return bool(taken)


class Heartbeat:
    """Touches the running job's ``heartbeat_at`` from a thread (own connection) until stopped."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.interval = float(settings.QUORUM["JOB_HEARTBEAT_SECONDS"])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"finetune-heartbeat-{job_id}", daemon=True)

    def _run(self) -> None:
        Job = _job_model()  # noqa: N806
        try:
            while not self._stop.wait(self.interval):
                try:
                    Job.objects.filter(pk=self.job_id, status=RUNNING).update(heartbeat_at=timezone.now())
                except Exception:  # a database blip: the next beat tries again
                    log.warning("heartbeat of fine-tune job %s failed", self.job_id, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def run_job(job_id: int) -> str:
    """Run (or resume) a fine-tuning job to its end; returns the final status. Safe to call twice:
    a job that is done, or running in a live worker, is left alone."""
    Job = _job_model()  # noqa: N806 - a model class
    if not claim(job_id):
        return str(Job.objects.values_list("status", flat=True).get(pk=job_id))
    with Heartbeat(job_id):
        return _run_claimed(job_id)


def _run_claimed(job_id: int) -> str:
    from inference.models import ModelVersion

    from .service import finetune_version

    Job = _job_model()  # noqa: N806 - a model class
    job = Job.objects.get(pk=job_id)

    done = ModelVersion.objects.filter(name=job.name, produced_by_job=f"finetune:{job_id}").first()
    if done is not None:  # the worker died after registering: finish the bookkeeping only
        _finish(job_id, SUCCEEDED, result=done)
        return SUCCEEDED
    publish(job_id, {"type": "finetune.started", "job": job_id})

    history: list[list[float]] = list(job.loss_history or [])  # resumed jobs keep their curve

    def on_progress(step: int, total: int, loss: float, eta: float) -> None:
        while history and history[-1][0] >= step:  # steps a dead run did after its last checkpoint
            history.pop()
        history.append([step, round(loss, 5)])
        Job.objects.filter(pk=job_id).update(
            step=step, total_steps=total, loss=loss, eta_seconds=round(eta, 1), heartbeat_at=timezone.now(),
            loss_history=history,
        )
        publish(
            job_id,
            {
                "type": "finetune.progress",
                "job": job_id,
                "step": step,
                "total": total,
                "loss": round(loss, 5),
                "eta_s": round(eta, 1),
            },
        )

    def should_cancel() -> bool:
        return bool(Job.objects.filter(pk=job_id, cancel_requested=True).exists())

    try:
        labels = list(job.labels)
        train, test = read_snapshot(job.snapshot, labels)
        config = FineTuneConfig(**{k: v for k, v in (job.config or {}).items() if k in CONFIG_KEYS})
        version = finetune_version(
            name=job.name,
            instruction=job.instruction,
            labels=labels,
            train=train,
            test=test,
            parent=job.parent,
            config=config,
            lineage={"snapshot_id": job.snapshot_id, "job_id": job_id},
            produced_by_job=f"finetune:{job_id}",
            on_progress=on_progress,
            should_cancel=should_cancel,
            workdir=workdir_for(job_id),
            auto_promote_margin=job.auto_promote_margin,
            project=job.project,
        )
    except FineTuneCancelled:
        _finish(job_id, CANCELLED)
        return CANCELLED
    except Exception as e:
        log.exception("fine-tune job %s failed", job_id)
        _finish(job_id, FAILED, error=f"{type(e).__name__}: {e}"[:2000])
        return FAILED
    _finish(job_id, SUCCEEDED, result=version)
    return SUCCEEDED


def _finish(job_id: int, status: str, *, error: str = "", result: Any = None) -> None:
    Job = _job_model()  # noqa: N806
    with transaction.atomic():
        Job.objects.filter(pk=job_id).update(status=status, error=error, result=result, finished_at=timezone.now())
        publish(
            job_id,
            {
                "type": f"finetune.{status}",
                "job": job_id,
                "error": error,
                "model_version": getattr(result, "name", None),
            },
        )


def request_cancel(*, job_id: int) -> None:
    """Ask a queued or running job to stop (it stops before its next step, checkpoint saved)."""
    Job = _job_model()  # noqa: N806
    with transaction.atomic():
        updated = Job.objects.filter(pk=job_id, status=QUEUED).update(status=CANCELLED, finished_at=timezone.now())
        Job.objects.filter(pk=job_id, status=RUNNING).update(cancel_requested=True)
        publish(job_id, {"type": "finetune.cancelled" if updated else "finetune.cancelling", "job": job_id})

"""The Celery app. Queues: default, inference, training (see settings.CELERY_TASK_ROUTES)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("quorum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "inference", "training")]
app.autodiscover_tasks()

"""The Celery app. Queues: default, inference, training (see settings.CELERY_TASK_ROUTES)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("quorum")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue has its own exchange and routing key, so a task routed to "inference" can only be
# consumed by a worker listening on "inference".
app.conf.task_queues = [Queue(name, Exchange(name, type="direct"), routing_key=name)
                        for name in ("default", "inference", "training")]
app.autodiscover_tasks()

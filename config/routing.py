"""Websocket routes of every app, gathered in one place."""

from __future__ import annotations

from typing import Any

from django.urls import path

from annotation.consumers import ProjectEventsConsumer
from quality.consumers import DashboardEventsConsumer
from review.consumers import ReviewEventsConsumer
from training_export.consumers import FineTuneEventsConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/projects/<int:project_id>/", ProjectEventsConsumer.as_asgi()),
    path("ws/review/", ReviewEventsConsumer.as_asgi()),
    path("ws/quality/", DashboardEventsConsumer.as_asgi()),
    path("ws/finetune/<int:job_id>/", FineTuneEventsConsumer.as_asgi()),
]

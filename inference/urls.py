"""API routes for moderation triage (under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("projects/<int:project_id>/triage", api.TriageConfigApi.as_view(), name="triage-config"),
    path("projects/<int:project_id>/triage/dry-run", api.TriageDryRunApi.as_view(), name="triage-dry-run"),
    path("projects/<int:project_id>/model", api.ProjectModelApi.as_view(), name="project-model"),
    path("projects/<int:project_id>/model/calibrate", api.ProjectCalibrateApi.as_view(), name="project-calibrate"),
]

"""API routes for quality (under /api/v1/quality/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("dashboard", api.DashboardApi.as_view(), name="quality-dashboard"),
    path("annotators", api.AnnotatorsApi.as_view(), name="quality-annotators"),
    path("projects/<int:project_id>/agreement", api.AgreementApi.as_view(), name="quality-agreement"),
    path(
        "projects/<int:project_id>/annotators/<int:annotator_id>/resume", api.ResumeApi.as_view(), name="quality-resume"
    ),
    path("projects/<int:project_id>/settings", api.QualitySettingsApi.as_view(), name="quality-settings"),
    path("notices", api.NoticesApi.as_view(), name="quality-notices"),
    path("annotations/<int:annotation_id>/reject", api.RejectApi.as_view(), name="quality-reject"),
    path("adjudications", api.AdjudicationListApi.as_view(), name="quality-adjudications"),
    path(
        "adjudications/<int:adjudication_id>/resolve",
        api.AdjudicationResolveApi.as_view(),
        name="quality-adjudication-resolve",
    ),
    path("statements", api.StatementListApi.as_view(), name="quality-statements"),
    path("statements/<int:statement_id>", api.StatementDetailApi.as_view(), name="quality-statement"),
    path("statements/<int:statement_id>/approve", api.StatementApproveApi.as_view(), name="quality-statement-approve"),
    path(
        "statements/<int:statement_id>.csv",
        api.StatementExportApi.as_view(),
        {"fmt": "csv"},
        name="quality-statement-csv",
    ),
    path(
        "statements/<int:statement_id>.pdf",
        api.StatementExportApi.as_view(),
        {"fmt": "pdf"},
        name="quality-statement-pdf",
    ),
]

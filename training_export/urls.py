"""API routes for exports (under /api/v1/export/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("export/snapshots", api.SnapshotListApi.as_view(), name="export-snapshot-list"),
    path("export/snapshots/<int:pk>", api.SnapshotDetailApi.as_view(), name="export-snapshot-detail"),
    path("export/snapshots/<int:pk>/download", api.SnapshotDownloadApi.as_view(), name="export-snapshot-download"),
    path("export/records", api.RecordListApi.as_view(), name="export-record-list"),
    path("export/items/<int:item_id>/lineage", api.ItemLineageApi.as_view(), name="export-item-lineage"),
    path("export/items/<int:item_id>/erase", api.ItemEraseApi.as_view(), name="export-item-erase"),
    path("export/finetune-jobs", api.FineTuneJobListApi.as_view(), name="finetune-job-list"),
    path("export/finetune-jobs/<int:pk>", api.FineTuneJobDetailApi.as_view(), name="finetune-job-detail"),
    path("export/finetune-jobs/<int:pk>/cancel", api.FineTuneJobCancelApi.as_view(), name="finetune-job-cancel"),
]

"""API routes for annotation."""

from django.urls import path

from . import api

urlpatterns = [
    path("projects", api.ProjectListApi.as_view(), name="project-list"),
    path("projects/<int:pk>", api.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<int:project_id>/imports", api.ImportCreateApi.as_view(), name="import-create"),
    path("projects/<int:project_id>/claim", api.ProjectClaimApi.as_view(), name="project-claim"),
    path("projects/<int:project_id>/queue", api.ProjectQueueApi.as_view(), name="project-queue"),
    path("projects/<int:project_id>/pause", api.ProjectPauseApi.as_view(), name="project-pause"),
    path("projects/<int:project_id>/resume", api.ProjectResumeApi.as_view(), name="project-resume"),
    path("leases/<int:lease_id>/heartbeat", api.LeaseHeartbeatApi.as_view(), name="lease-heartbeat"),
    path("leases/<int:lease_id>/submit", api.LeaseSubmitApi.as_view(), name="lease-submit"),
    path("leases/<int:lease_id>/skip", api.LeaseSkipApi.as_view(), name="lease-skip"),
    path("annotations/<int:annotation_id>/undo", api.AnnotationUndoApi.as_view(), name="annotation-undo"),
    path("items", api.ItemListApi.as_view(), name="item-list"),
    path("items/<int:pk>", api.ItemDetailApi.as_view(), name="item-detail"),
    path("items/<int:pk>/reveal", api.ItemRevealApi.as_view(), name="item-reveal"),
    path("items/<int:pk>/text", api.ItemTextEditApi.as_view(), name="item-text-edit"),
    path("items/<int:pk>/media", api.ItemMediaApi.as_view(), name="item-media"),
    path("items/<int:pk>/media/regions", api.ItemMediaRegionsApi.as_view(), name="item-media-regions"),
    path("projects/<int:project_id>/canaries", api.CanaryPlantApi.as_view(), name="project-canaries"),
    path("annotations", api.AnnotationListApi.as_view(), name="annotation-list"),
    path("imports", api.ImportListApi.as_view(), name="import-list"),
    path("imports/<int:pk>", api.ImportDetailApi.as_view(), name="import-detail"),
]

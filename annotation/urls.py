"""API routes for annotation."""

from django.urls import path

from . import api

urlpatterns = [
    path("projects", api.ProjectListApi.as_view(), name="project-list"),
    path("projects/<int:pk>", api.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<int:project_id>/imports", api.ImportCreateApi.as_view(), name="import-create"),
    path("items", api.ItemListApi.as_view(), name="item-list"),
    path("items/<int:pk>", api.ItemDetailApi.as_view(), name="item-detail"),
    path("annotations", api.AnnotationListApi.as_view(), name="annotation-list"),
    path("imports", api.ImportListApi.as_view(), name="import-list"),
    path("imports/<int:pk>", api.ImportDetailApi.as_view(), name="import-detail"),
]

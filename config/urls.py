"""Root URL configuration: pages, admin, health, and the versioned REST API with its schema."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from .health import healthz

api_v1: list[URLPattern | URLResolver] = [
    path("", include("workforce.urls")),
    path("", include("annotation.urls")),
    path("", include("review.urls")),
    path("", include("privacy.urls")),
    path("", include("inference.urls")),
    path("", include("training_export.urls")),
    path("quality/", include("quality.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script as a file of its own, Redoc without web fonts: both pages run
    # under a script policy of 'self' only (config/security.py).
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema", template_name="frontend/redoc.html"),
         name="api-redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("frontend.urls")),
]

handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"

"""Page routes."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import console_views, dashboard_views, ml_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("work/<int:project_id>/", views.workspace, name="workspace"),
    path("console/", console_views.console, name="console"),
    path("console/cases/<int:case_id>/", console_views.console_case, name="console-case"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("ml/", ml_views.ml_page, name="ml"),
]

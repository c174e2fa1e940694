"""API routes for workforce."""

from django.urls import path

from . import api

urlpatterns = [
    path("me", api.MeApi.as_view(), name="me"),
    path("vendors", api.VendorListApi.as_view(), name="vendor-list"),
    path("users", api.UserListApi.as_view(), name="user-list"),
    path("tokens", api.TokenListApi.as_view(), name="token-list"),
    path("tokens/<int:pk>", api.TokenDetailApi.as_view(), name="token-detail"),
]

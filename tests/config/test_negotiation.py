"""The API's content negotiation answers exactly as DRF's own, only sooner for the common request."""

from __future__ import annotations

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory

from config.api import ContentNegotiation

CASES = [
    ("", ""), ("*/*", ""), ("application/json", ""), ("text/html", ""),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", ""),
    ("application/json; indent=4", ""), ("application/json, text/plain, */*", ""),
    ("*/*", "format=api"), ("", "format=json"), ("", "page_size=5"),
]


@pytest.mark.parametrize(("accept", "query"), CASES)
def test_the_same_renderer_and_media_type_as_drf(accept, query):
    renderers = [cls() for cls in api_settings.DEFAULT_RENDERER_CLASSES]
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    request = Request(APIRequestFactory().get(f"/api/v1/me?{query}", **headers))
    ours = ContentNegotiation().select_renderer(request, renderers)
    drfs = DefaultContentNegotiation().select_renderer(request, renderers)
    assert (type(ours[0]), ours[1]) == (type(drfs[0]), drfs[1])


def test_a_format_suffix_goes_the_general_way():
    renderers = [cls() for cls in api_settings.DEFAULT_RENDERER_CLASSES]
    request = Request(APIRequestFactory().get("/api/v1/me.api"))
    ours = ContentNegotiation().select_renderer(request, renderers, format_suffix="api")
    assert ours[0].format == "api"

"""Messages still travel from one page to the next; requests that never use them build no store."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import empty

from config.messages import LazyMessageMiddleware


def _stack(view):
    return SessionMiddleware(LazyMessageMiddleware(view))


def test_a_request_that_never_uses_messages_builds_no_store_and_sets_no_cookie():
    seen: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse("ok")

    response = _stack(view)(RequestFactory().get("/api/v1/me"))
    assert seen[0]._messages._wrapped is empty
    assert "messages" not in response.cookies


def test_a_message_added_on_one_request_is_shown_on_the_next_and_then_gone():
    def add(request: HttpRequest) -> HttpResponse:
        messages.success(request, "Project saved.")
        return HttpResponse("saved")

    shown: list[list[str]] = []

    def show(request: HttpRequest) -> HttpResponse:
        shown.append([str(m) for m in messages.get_messages(request)])
        return HttpResponse("page")

    first = _stack(add)(RequestFactory().post("/admin/x"))
    cookie = first.cookies["messages"].value
    assert cookie
    follow = RequestFactory().get("/admin/")
    follow.COOKIES["messages"] = cookie
    second = _stack(show)(follow)
    assert shown == [["Project saved."]]
    assert second.cookies["messages"].value == ""  # shown once, then cleared

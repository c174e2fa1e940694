"""Django's message middleware, with the message store built only when something reads or adds one.

The stock middleware builds the store (cookie and session back ends, a cookie signer) for every
request and consults it for every response. API calls never use messages: in the queue bench that
was 2.5% of a web worker. Here ``request._messages`` is a lazy object; a response whose request never
touched it is left alone, which is what the stock store does when nothing was read or added
(queued messages stay where they are until a page shows them).
"""

from __future__ import annotations

from typing import Any

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        store: Any = getattr(request, "_messages", None)
        if isinstance(store, SimpleLazyObject) and store._wrapped is empty:  # type: ignore[attr-defined]
            return response
        return super().process_response(request, response)

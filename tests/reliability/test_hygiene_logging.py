"""Secrets never reach a log line: passwords, API tokens, session ids, webhook secrets and raw item text,
with every logger at DEBUG (SQL included) while the flows that handle them run."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from annotation.models import Item
from config.security import SecretRedactingFilter, redact_secrets
from tests.conftest import PASSWORD, World, content, make_project

RAW = "Call Ingrid Soerensen on +44 7700 900461 or ingrid.soerensen@example.org"
RAW_PARTS = ("Ingrid Soerensen", "7700 900461", "ingrid.soerensen@example.org")


class _Capture(logging.Handler):
    """Records as the configured console handler would write them: its own filters run first."""

    def __init__(self, filters: list[Any]) -> None:
        super().__init__(level=logging.DEBUG)
        self.filters = list(filters)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


def _console_filters() -> list[Any]:
    for handler in logging.getLogger().handlers:
        redacting = any(isinstance(f, SecretRedactingFilter) for f in handler.filters)
        if type(handler) is logging.StreamHandler and redacting:
            return list(handler.filters)
    pytest.fail("the console handler of settings.LOGGING carries no SecretRedactingFilter")


@pytest.fixture
def captured() -> Iterator[_Capture]:
    capture = _Capture(_console_filters())
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    levels = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    root.addHandler(capture)
    debug_cursor = connection.force_debug_cursor
    connection.force_debug_cursor = True  # SQL with its parameters is logged too
    try:
        yield capture
    finally:
        connection.force_debug_cursor = debug_cursor
        root.removeHandler(capture)
        for lg, level, disabled in levels:
            lg.setLevel(level)
            lg.disabled = disabled


def test_no_secret_reaches_a_log_line(world: World, captured: _Capture) -> None:
    project = make_project(world, vendors=[world.offshore])
    item = Item.objects.create(project=project, external_id="s-1", content_hash="s" * 64,
                               **content(project, "s-1", RAW))
    secrets: list[str] = [PASSWORD, "wrong-Passw0rd-guess"]

    client = Client()
    page = client.get("/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert csrf
    assert client.post("/login/", {"username": "admin", "password": "wrong-Passw0rd-guess",
                                   "csrfmiddlewaretoken": csrf.group(1)}).status_code == 200
    assert client.post("/login/", {"username": "admin", "password": PASSWORD,
                                   "csrfmiddlewaretoken": csrf.group(1)}).status_code == 302
    secrets.append(client.cookies[settings.SESSION_COOKIE_NAME].value)

    created = client.post("/api/v1/tokens", {"name": "ops", "scopes": ["read", "write", "admin"]},
                          content_type="application/json")
    assert created.status_code == 201
    token = created.json()["token"]
    secrets.append(token)
    bearer = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert bearer.get("/api/v1/me", **auth).status_code == 200
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    secrets.append(forged)
    assert bearer.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401

    reveal = bearer.post(f"/api/v1/items/{item.pk}/reveal",
                         {"justification": "checking a data subject request, ticket 4711"},
                         content_type="application/json", **auth)
    assert reveal.status_code == 200 and RAW_PARTS[1] in reveal.content.decode()
    secrets.extend(RAW_PARTS)

    hook = bearer.post("/api/v1/webhooks/endpoints", {"url": "https://hooks.example.com/quorum"},
                       content_type="application/json", **auth)
    assert hook.status_code == 201, hook.content
    secrets.append(hook.json()["secret"])

    assert captured.lines, "nothing was logged: the capture is not wired"
    assert any("SELECT" in line for line in captured.lines), "SQL was not captured at DEBUG"
    blob = "\n".join(captured.lines)
    leaked = [s for s in secrets if s in blob]
    assert not leaked, f"secrets in the log: {leaked}"


def test_redaction_filter_blanks_credentials_in_any_record() -> None:
    token = "qrm_AbCdEf12_s3cretPart-xyz"
    cases = {
        f"headers={{'Authorization': 'Bearer {token}'}}": (token, "s3cretPart"),
        f"HTTP_AUTHORIZATION=Bearer {token}": (token,),
        "POST body: username=ann&password=hunter2-Secret": ("hunter2-Secret",),
        "Cookie: sessionid=abcd1234efgh; csrftoken=zzz999": ("abcd1234efgh", "zzz999"),
        '{"secret": "whsec_1234567890"}': ("whsec_1234567890",),
        f"token {token} used": (token,),
    }
    for text, hidden in cases.items():
        cleaned = redact_secrets(text)
        for value in hidden:
            assert value not in cleaned, (text, cleaned)
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "auth failed for %s", (f"Bearer {token}",), None)
    assert SecretRedactingFilter().filter(record)
    assert token not in record.getMessage()
    assert redact_secrets("nothing to hide here, 42 items") == "nothing to hide here, 42 items"

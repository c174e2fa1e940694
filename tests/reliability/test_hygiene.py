"""Transport and session hygiene: security headers (CSP without inline code), CSRF on session-authenticated
API writes, session cookies, rate limits on sign-in and token creation, the operators-only Django admin,
the websocket origin check and the production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, override_settings

from tests.conftest import PASSWORD, ROOT, World
from workforce.models import User

FRONTEND = ROOT / "frontend"
HEADERS = ("Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options", "Referrer-Policy",
           "X-Frame-Options", "Cross-Origin-Opener-Policy")


def _csp(response: Any) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";")) if part
    }


@pytest.mark.parametrize("path", ["/login/", "/api/v1/me", "/healthz", "/static/frontend/quorum.css", "/no-such-page/",
                                  "/admin/login/", "/api/v1/schema"])
def test_security_headers_on_every_response(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code in (200, 401, 404), path
    for name in HEADERS:
        assert response.has_header(name), f"{path} lacks {name}"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    csp = _csp(response)
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    for directive in ("script-src", "style-src"):
        assert csp[directive] == "'self'", f"{path}: {directive} {csp[directive]}"


def test_signed_in_pages_carry_the_strict_policy(world: World) -> None:
    client = Client()
    client.force_login(world.users["admin"])
    for path in ("/", "/console/", "/dashboard/", "/ml/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        body = response.content.decode()
        # Only external scripts, or JSON data blocks (json_script), which CSP does not run.
        for tag in re.findall(r"<script\b[^>]*>", body):
            assert "src=" in tag or 'type="application/json"' in tag, f"{path}: inline script {tag}"
        assert "<style" not in body and not re.search(r"\sstyle=\"", body), f"{path}: inline style"
        assert not re.search(r"\son[a-z]+=\"", body), f"{path}: inline event handler"


def test_templates_and_scripts_need_no_inline_code() -> None:
    """The CSP forbids inline scripts, styles and handlers; templates and scripts must not rely on them."""
    offenders = []
    for path in (FRONTEND / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path.name}: {tag}")
        if "<style" in text or re.search(r"\sstyle=\"", text) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.name}: inline style or event handler")
    for path in (FRONTEND / "static").rglob("*.js"):
        text = path.read_text()
        if re.search(r"style=[\"']|\son[a-z]+=[\"']|[\"'`]javascript:|\beval\(|new Function\(", text):
            offenders.append(f"{path.name}: inline style/handler, javascript: URL or eval")
    assert not offenders, "\n".join(offenders)


def test_api_docs_pages_load_nothing_from_elsewhere_and_only_their_styles_are_relaxed(db: Any) -> None:
    """Swagger UI and Redoc come from our static files (drf-spectacular-sidecar); Swagger's start-up
    script is a file of its own. Scripts: 'self' only, as on every page; inline styles (the widgets
    inject them) are allowed on these two pages only. The browser side: tests/e2e/test_api_docs.py."""
    for path in ("/api/v1/docs", "/api/v1/redoc"):
        response = Client().get(path)
        policy = _csp(response)
        assert policy["script-src"] == "'self'", policy
        assert "http" not in response["Content-Security-Policy"]
        assert b"//cdn" not in response.content and b"fonts.googleapis" not in response.content
    assert "unsafe-inline" in _csp(Client().get("/api/v1/docs"))["style-src"]
    assert "unsafe-inline" not in Client().get("/login/")["Content-Security-Policy"]
    script = Client().get("/api/v1/docs?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


# --- CSRF and sessions ----------------------------------------------------------------------

def _login(client: Client, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    return client.post("/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)})


def test_session_api_writes_need_the_csrf_token_and_bearer_tokens_do_not(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "off_annotator").status_code == 302
    body = {"name": "ci", "scopes": ["read", "write"]}
    refused = client.post("/api/v1/tokens", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.content.decode()
    csrf = client.cookies["csrftoken"].value
    created = client.post("/api/v1/tokens", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201, created.content
    # A bearer token is not ambient authority: no CSRF token needed (none of the session's cookies sent).
    bearer = Client(enforce_csrf_checks=True)
    again = bearer.post("/api/v1/tokens", body, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {created.json()['token']}")
    assert again.status_code == 201, again.content


def test_login_form_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "off_annotator", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_session_cookie_is_httponly_samesite_expiring_and_rotated_at_login(world: World) -> None:
    client = Client()
    before = client.session  # an anonymous session an attacker could have planted (fixation)
    before["planted"] = True
    before.save()
    assert before.session_key is not None
    client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key
    response = _login(client, "off_annotator")
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert cookie.value != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()
    # Signing out ends the session server-side.
    client.post("/logout/")
    assert not Session.objects.filter(session_key=cookie.value).exists()


# --- rate limits --------------------------------------------------------------------------

def _rates(**rates: str) -> Any:
    return override_settings(REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    })


def _retry_after(response: Any) -> int:
    assert response.status_code == 429, response.status_code
    value = int(response["Retry-After"])
    assert 1 <= value <= 60
    return value


def test_login_page_is_rate_limited_per_address(world: World) -> None:
    cache.clear()
    with _rates(login="3/min"):
        client = Client()
        for n in range(3):  # other usernames each time: only the address is counted against
            assert _login(client, f"guess{n}", "wrong-password").status_code == 200
        _retry_after(_login(client, "guess3", "wrong-password"))
        # The right password is refused too while the limit holds: no oracle for a guesser.
        _retry_after(_login(client, "off_annotator"))
        assert "_auth_user_id" not in client.session


def test_login_page_is_rate_limited_per_username_across_addresses(world: World) -> None:
    cache.clear()
    with _rates(login="3/min"):
        codes = [
            Client(REMOTE_ADDR=f"10.0.0.{n}").post("/login/", {"username": "Admin", "password": "guess"}).status_code
            for n in range(1, 6)
        ]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        assert Client(REMOTE_ADDR="10.0.1.1").post("/login/", {"username": "ml", "password": "x"}).status_code == 200


def test_admin_login_is_rate_limited(world: World) -> None:
    cache.clear()
    with _rates(login="2/min"):
        client = Client()
        for _ in range(2):
            assert client.post("/admin/login/", {"username": "admin", "password": "x"}).status_code == 200
        _retry_after(client.post("/admin/login/", {"username": "admin", "password": "x"}))


def test_token_creation_is_rate_limited(world: World) -> None:
    cache.clear()
    with _rates(token="2/min"):
        client = world.client("off_annotator")
        for n in range(2):
            created = client.post("/api/v1/tokens", {"name": f"t{n}", "scopes": ["read"]}, format="json")
            assert created.status_code == 201
        limited = client.post("/api/v1/tokens", {"name": "t3", "scopes": ["read"]}, format="json")
        _retry_after(limited)
        assert client.get("/api/v1/tokens").status_code == 200  # listing is not counted
        other = world.client("on_annotator")  # per user
        assert other.post("/api/v1/tokens", {"name": "t", "scopes": ["read"]}, format="json").status_code == 201


# --- the Django admin, the websocket origin, production settings ----------------------------------

def test_django_admin_is_for_platform_operators_only(world: World) -> None:
    operator = User.objects.create_superuser(username="operator", password=PASSWORD, email="")
    assert operator.organization_id is None
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/workforce/user/").status_code == 200
    for name in ("admin", "off_manager"):
        org_user = Client()
        org_user.force_login(world.users[name])
        response = org_user.get("/admin/workforce/user/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"], name
    stranger = Client()
    stranger.force_login(world.stranger)  # an admin of another organization: none of this one's rows
    assert stranger.get(f"/admin/workforce/user/{world.users['admin'].pk}/change/").status_code == 302


def test_websocket_from_another_origin_is_refused() -> None:
    from asgiref.sync import async_to_sync

    from config.asgi import application
    from tests.wscomm import WebsocketCommunicator

    async def connect(origin: bytes) -> tuple[bool, Any]:
        socket = WebsocketCommunicator(application, "/ws/review/", headers=[(b"origin", origin),
                                                                          (b"host", b"127.0.0.1")])
        result: tuple[bool, Any] = await socket.connect(timeout=5)
        return result

    accepted, _ = async_to_sync(connect)(b"https://evil.example")
    assert not accepted


@pytest.mark.slow
def test_production_settings_are_hardened(tmp_path: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production",
               QUORUM_SECRET_KEY="k" * 20 + "-production-check-" + "Zq9" * 10, QUORUM_VAR_DIR=str(tmp_path))
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'redirect': s.SECURE_SSL_REDIRECT, 'session': s.SESSION_COOKIE_SECURE,"
        "'csrf': s.CSRF_COOKIE_SECURE, 'httponly': s.SESSION_COOKIE_HTTPONLY, 'samesite': s.SESSION_COOKIE_SAMESITE,"
        "'csp': s.QUORUM_CSP, 'debug': s.DEBUG}))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["hsts"] >= 31536000 and got["redirect"] and got["session"] and got["csrf"] and got["httponly"]
    assert got["samesite"] == "Lax" and not got["debug"] and "upgrade-insecure-requests" in got["csp"]
    check = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                           check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


# --- the dependency audit's verdicts (scripts/audit_deps.sh on pip-audit reports made here) ----------

def _audit(tmp_path: Path, report: dict[str, Any] | None, allowlist: str = "") -> subprocess.CompletedProcess[str]:
    import json

    env = dict(os.environ, QUORUM_AUDIT_ALLOWLIST=str(tmp_path / "allow.txt"),
               QUORUM_AUDIT_REPORT=str(tmp_path / "report.json"))
    (tmp_path / "allow.txt").write_text(allowlist)
    if report is not None:
        (tmp_path / "report.json").write_text(json.dumps(report))
    return subprocess.run(["bash", "scripts/audit_deps.sh"], check=False, cwd=ROOT, env=env, capture_output=True,
                          text=True,
                          timeout=60)


def test_dependency_audit_fails_on_a_vulnerability_not_allowlisted_with_a_reason(tmp_path: Path) -> None:
    vuln = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["9.9"], "description": ""}
    report = {"dependencies": [{"name": "django", "version": "5.2", "vulns": [vuln]},
                               {"name": "celery", "version": "5.5", "vulns": []},
                               {"name": "torch", "skip_reason": "Dependency not found on the index"}]}
    failed = _audit(tmp_path, report)
    assert failed.returncode == 1 and "VULNERABLE django 5.2: PYSEC-2099-1" in failed.stdout, failed.stdout
    allowed = _audit(tmp_path, report, "CVE-2099-0001 django only the admin's password reset uses it, disabled here\n")
    assert allowed.returncode == 0 and "no known vulnerabilities" in allowed.stdout, allowed.stdout + allowed.stderr
    unexplained = _audit(tmp_path, report, "PYSEC-2099-1 django\n")
    assert unexplained.returncode == 1 and "needs a reason" in unexplained.stderr
    clean = _audit(tmp_path, {"dependencies": [{"name": "celery", "version": "5.5", "vulns": []}]})
    assert clean.returncode == 0 and "no known vulnerabilities" in clean.stdout


def test_dependency_audit_warns_but_passes_when_the_database_is_unreachable(tmp_path: Path) -> None:
    offline = _audit(tmp_path, None)
    assert offline.returncode == 0 and "NOTHING WAS AUDITED" in offline.stdout
    nothing = _audit(tmp_path, {"dependencies": [{"name": "django", "skip_reason": "not found"}]})
    assert nothing.returncode == 0 and "NOTHING WAS AUDITED" in nothing.stdout

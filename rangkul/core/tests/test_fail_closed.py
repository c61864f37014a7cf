"""Production fails closed: published secrets stop start-up, a hung database cannot hang /readyz,
and every page carries a Content-Security-Policy that no template needs to bend."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rangkul.core.tests.test_views_and_settings import PRODUCTION_ENV, ROOT

PUBLISHED = {
    "RANGKUL_SECRET_KEY": "rangkul-development-secret-key-not-for-production",
    "RANGKUL_NIK_SEAL_KEYS": "dev1:ZGV2LW5pay1zZWFsLWtleS0zMi1ieXRlcy1sb25nISE=",
    "RANGKUL_NIK_HASH_KEY": "ZGV2LW5pay1sb29rdXAtaGFzaC1rZXktbm90LXNlYyE=",
    "RANGKUL_SANDBOX_CALLBACK_TOKEN": "sandbox-dev-token",
}


def _python(code: str, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RANGKUL_") and k != "DATABASE_URL"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout
    )


# What gunicorn does: import the WSGI module, which loads the settings; no system check runs.
LOAD_WSGI = "import config.wsgi; print('loaded')"


def test_production_settings_load_under_wsgi():
    result = _python(LOAD_WSGI, PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_a_published_development_value_stops_the_wsgi_application(name):
    env = {**PRODUCTION_ENV, "RANGKUL_PAYMENTS_SANDBOX_ENABLED": "true", "RANGKUL_SANDBOX_CALLBACK_TOKEN": "s3cret-x9"}
    env[name] = PUBLISHED[name]
    result = _python(LOAD_WSGI, env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr
    assert PUBLISHED[name] not in result.stderr  # the message names the setting, never the value


def test_a_published_seal_key_among_others_is_refused_too():
    env = {
        **PRODUCTION_ENV,
        "RANGKUL_NIK_SEAL_KEYS": PRODUCTION_ENV["RANGKUL_NIK_SEAL_KEYS"] + "," + PUBLISHED["RANGKUL_NIK_SEAL_KEYS"],
    }
    assert _python(LOAD_WSGI, env).returncode != 0


def _silent_server() -> tuple[socket.socket, int]:
    """A TCP port that accepts connections and never says a word: a hung database."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def test_a_hung_postgresql_is_given_up_on_by_the_connect_timeout():
    server, port = _silent_server()
    try:
        started = time.monotonic()
        result = _python(
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()\n"
            "from django.db import connection\n"
            "try:\n    connection.ensure_connection()\n"
            "except Exception as exc:\n    print('gave up', type(exc).__name__)",
            {"RANGKUL_ENV": "test", "DATABASE_URL": f"postgres://nobody@127.0.0.1:{port}/hung"},
            timeout=30,
        )
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert "gave up OperationalError" in result.stdout, result.stderr
    assert elapsed < 15


def test_readyz_answers_503_within_about_a_second_when_the_database_hangs(client, db, monkeypatch):
    release = threading.Event()

    def hangs() -> bool:
        release.wait(20)
        return True

    client.get("/healthz")  # the first request loads the URL configuration: not what is timed here
    monkeypatch.setattr("rangkul.core.views._database_answers", hangs)
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 1.8
        assert response.status_code == 503 and response.json()["database"] == "unreachable"
        started = time.monotonic()
        assert client.get("/readyz").status_code == 503  # the stuck probe is not joined by another
        assert time.monotonic() - started < 1.8
    finally:
        release.set()
    from rangkul.core import views

    assert views._probe is not None
    views._probe.result(timeout=5)
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200


def test_pages_carry_a_csp_without_inline_scripts_and_a_permissions_policy(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    api = client.get("/api/v1/regions")
    assert "Content-Security-Policy" in api and "Permissions-Policy" in api


TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "rangkul").glob("*/templates"))]


def test_no_template_has_an_inline_script_or_event_handler():
    """The policy forbids them, so a template that has one would break silently in the browser."""
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in Path(folder).rglob("*.html"):
            text = path.read_text()
            for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
                if "src=" not in tag and "application/json" not in tag:
                    offenders.append(f"{path}: {tag}")
            offenders += [f"{path}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text, flags=re.I)]
            offenders += [f"{path}: javascript: URL" for _ in re.findall(r"javascript:", text, flags=re.I)]
    assert offenders == []

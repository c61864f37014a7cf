from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError

ROOT = Path(__file__).resolve().parents[3]


def test_landing_page_is_indonesian_by_default(client, db):  # the prices come from the rule tables
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Perlindungan kerja" in html
    assert 'data-testid="landing-price"' in html  # the amount itself: portal/tests/test_help.py
    assert "cdn" not in html.lower(), "nothing is loaded from a CDN"


def test_language_switch_to_english(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Work protection for everyone" in html


def test_request_id_is_echoed_or_generated(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc12345-req").headers["X-Request-ID"] == "abc12345-req"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces").headers["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated


def test_healthz_and_readyz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_readyz_reports_an_unreachable_database(client, db, monkeypatch):
    class _Down:
        def cursor(self):
            raise DatabaseError("down")

        def close(self):
            pass

    monkeypatch.setattr("rangkul.core.views.connection", _Down())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_unknown_page_is_a_friendly_404(client, db):
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RANGKUL_") and k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "RANGKUL_ENV": "production",
    "RANGKUL_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    "RANGKUL_ALLOWED_HOSTS": "rangkul.example.org",
    "RANGKUL_NIK_SEAL_KEYS": "p1:cHJvZC1uaWstc2VhbC1rZXktMzItYnl0ZXMtbG9uZyE=",
    "RANGKUL_NIK_HASH_KEY": "cHJvZC1uaWstaGFzaC1rZXktMzItYnl0ZXMtbG9uZyE=",
}


@pytest.mark.parametrize(
    "missing", ["RANGKUL_SECRET_KEY", "RANGKUL_ALLOWED_HOSTS", "RANGKUL_NIK_SEAL_KEYS", "RANGKUL_NIK_HASH_KEY"]
)
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run(["check"], env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_check_deploy_is_clean():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "size"),
    [
        ({"DATABASE_URL": "sqlite:///unused.sqlite3"}, "5000"),
        ({"DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused"}, "1000"),
        ({"DATABASE_URL": "sqlite:///unused.sqlite3", "RANGKUL_PARTNER_IMPORT_BATCH_SIZE": "250"}, "250"),
    ],
    ids=["sqlite", "postgresql", "set"],
)
def test_import_batch_size_suits_the_database_unless_set(env, size):
    # Larger batches on SQLite, whose commits write each changed index page once per batch.
    result = _run(["shell", "-c", "from django.conf import settings; print(settings.PARTNER_IMPORT_BATCH_SIZE)"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == size

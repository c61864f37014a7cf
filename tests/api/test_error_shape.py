"""Every answer under /api/ has the documented error shape, whatever went wrong and wherever."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _shape(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["message"]
    return body


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/workers/1/nope/deeper", "/api/nope", "/api/"])
def test_unknown_api_paths_are_404_in_the_error_shape(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_wrong_method_is_405_in_the_error_shape(client):
    response = client.delete("/api/v1/regions")
    assert response.status_code == 405
    assert _shape(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_oversized_body_is_413_in_the_error_shape(client, regions, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"full_name": "x" * 5000})
    response = client.post(
        "/api/v1/workers", data=body, content_type="application/json", headers={"Authorization": "Bearer rk_nope"}
    )
    assert response.status_code == 413
    assert _shape(response)["code"] == "too_large"


def test_a_failed_api_key_is_401_never_a_csrf_403(regions, administrator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)  # a browser session is present too, without a CSRF token
    response = client.post(
        "/api/v1/workers", data="{}", content_type="application/json", headers={"Authorization": "Bearer rk_wrong"}
    )
    assert response.status_code == 401
    assert _shape(response)["code"] == "unauthenticated"
    anonymous = Client(enforce_csrf_checks=True).post("/api/v1/workers", data="{}", content_type="application/json")
    assert anonymous.status_code == 401 and _shape(anonymous)["code"] == "unauthenticated"

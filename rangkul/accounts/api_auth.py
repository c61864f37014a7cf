"""API authentication: partner keys (``Authorization: Bearer rk_…``) or a staff session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from rangkul.accounts.services import api_key_authenticate


class ApiKeyAuth(HttpBearer):
    openapi_description = "Partner or integration API key, created with `manage.py create_api_key`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        key = api_key_authenticate(token)
        if key is None:
            return None
        request.api_key = key  # type: ignore[attr-defined]
        return key


api_key_auth = ApiKeyAuth()
session_auth = SessionAuth()
KEY_OR_SESSION = [api_key_auth, session_auth]

"""API authentication: partner keys (``Authorization: Bearer rk_…``) or a staff session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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


class StaffSessionAuth(SessionAuth):
    """A staff member's browser session (with its CSRF check), for requests that present no key.

    A request with an ``Authorization`` header is judged by that key alone: a wrong key is a
    401, never a CSRF 403 from a session cookie that happens to ride along. A request without a
    session cookie has no session to check either.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)


api_key_auth = ApiKeyAuth()
session_auth = StaffSessionAuth()
KEY_OR_SESSION = [api_key_auth, session_auth]

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from rangkul.accounts import services


class LockoutModelBackend(ModelBackend):
    """Password login that refuses locked accounts and counts failures."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None or password is None:
            return None
        user = services.user_for_login(username)
        if user is None:
            # Run the hasher anyway so that timing does not reveal unknown usernames.
            super().authenticate(request, username=username, password=password, **kwargs)
            return None
        if user.is_locked():
            return None
        authenticated = super().authenticate(request, username=username, password=password, **kwargs)
        if authenticated is None:
            services.user_login_failed(user=user)
            return None
        services.user_login_succeeded(user=user)
        return authenticated

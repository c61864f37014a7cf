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
            # The hasher runs here too: a locked account answers no faster than any other.
            super().authenticate(request, username=username, password=password, **kwargs)
            return None
        authenticated = super().authenticate(request, username=username, password=password, **kwargs)
        if authenticated is None:
            services.user_login_failed(user=user)
            return None
        if not user.has_totp:
            # With a second factor the failures are cleared only once its code is right too
            # (totp_verify): a known password must not reset the count of wrong codes.
            services.user_login_succeeded(user=user)
        return authenticated

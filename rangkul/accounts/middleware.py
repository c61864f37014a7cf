from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from rangkul.accounts.totp import totp_required_for

# Paths a staff member without a second factor may still reach: setting it up, logging out,
# switching language, static files.
_ALLOWED_PREFIXES = ("/akun/", "/i18n/", "/static/", "/healthz", "/readyz")


class TotpRequiredMiddleware:
    """Back-office staff must set up an authenticator app before anything else (where required)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not user.has_totp
            and totp_required_for(user)
        ):
            return redirect("accounts:totp_setup")
        return self.get_response(request)

"""One URL, page or fragment (NetBox style)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_page_or_fragment(
    request: HttpRequest,
    *,
    page: str,
    fragment: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Full page for a normal request; only ``fragment`` for an htmx request.

    The page template includes the fragment template, so both always agree.
    Boosted requests want the whole page.
    """
    htmx = getattr(request, "htmx", None)
    template = fragment if htmx and not htmx.boosted else page
    response = render(request, template, dict(context or {}), status=status)
    response["Vary"] = "HX-Request"
    return response


# --- searches whose terms are personal data ------------------------------------------------------

_SEARCHES_KEPT = 20


def search_remember(request: HttpRequest, *, scope: str, data: Mapping[str, str]) -> str:
    """Keeps a search's terms in the session and returns an opaque token that stands for them.

    A search by NIK or phone number is POSTed; the page it leads to (and its pagination, the
    browser history, access logs and Referer headers) carries only the token, never the number.
    """
    searches: dict[str, Any] = request.session.get(f"searches:{scope}", {})
    token = secrets.token_urlsafe(12)
    searches[token] = {name: str(value)[:200] for name, value in data.items()}
    # Oldest first in a dict: keep the latest few.
    request.session[f"searches:{scope}"] = dict(list(searches.items())[-_SEARCHES_KEPT:])
    return token


def search_recall(request: HttpRequest, *, scope: str, token: str) -> dict[str, str] | None:
    """The terms a token stands for, in this session only; ``None`` for an unknown or expired one."""
    found = request.session.get(f"searches:{scope}", {}).get(token)
    return dict(found) if isinstance(found, dict) else None

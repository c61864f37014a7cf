"""One URL, page or fragment (NetBox style)."""

from __future__ import annotations

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

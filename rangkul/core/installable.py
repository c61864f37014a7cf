"""An area of Rangkul as an installable web app: its manifest and its service worker, served alike."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static

THEME_COLOUR = "#0b6e4f"


def service_worker_response(script: Path, *, allowed_scope: str = "") -> HttpResponse:
    """The script never cached by the browser (a new version takes over at the next visit);
    ``allowed_scope`` lets a worker served under one path control a wider one."""
    response = HttpResponse(script.read_text(encoding="utf-8"), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    if allowed_scope:
        response["Service-Worker-Allowed"] = allowed_scope
    return response


def manifest_response(*, name: str, short_name: str, start_url: str, scope: str) -> JsonResponse:
    return JsonResponse(
        {
            "name": name,
            "short_name": short_name,
            "lang": "id",
            "start_url": start_url,
            "scope": scope,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": THEME_COLOUR,
            "icons": [{"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
    )

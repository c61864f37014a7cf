"""The worker portal as an installable app: its manifest and the service worker that keeps the card."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "portal" / "sw.js"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served under /peserta/ but allowed the whole site: the card lives under /iuran/ and logging
    out under /peserta/, and the worker must see both."""
    response = HttpResponse(SERVICE_WORKER.read_text(encoding="utf-8"), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "Rangkul Peserta",
            "short_name": "Rangkul",
            "lang": "id",
            "start_url": reverse("contributions:my_card"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b6e4f",
            "icons": [{"src": static("portal/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
    )

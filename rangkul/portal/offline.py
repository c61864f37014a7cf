"""The worker portal as an installable app: its manifest and the service worker that keeps the card."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from rangkul.core.installable import manifest_response, service_worker_response

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "portal" / "sw.js"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served under /peserta/ but allowed the whole site: the card lives under /iuran/ and logging
    out under /peserta/, and the worker must see both."""
    return service_worker_response(SERVICE_WORKER, allowed_scope="/")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    return manifest_response(
        name="Rangkul Peserta", short_name="Rangkul", start_url=reverse("contributions:my_card"), scope="/"
    )

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db import DatabaseError, close_old_connections, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "core/landing.html", {"sandbox_enabled": settings.PAYMENTS_SANDBOX_ENABLED})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers, within ``READYZ_TIMEOUT_SECONDS``.

    The probe runs on one background thread so that a database which accepts connections but
    never answers cannot hang the probe: after the timeout the answer is 503, and while that
    probe is still stuck every later one answers 503 at once instead of piling up threads.
    """
    global _probe
    with _probe_lock:
        if _probe is None or _probe.done():
            _probe = _probe_pool.submit(_database_answers)
        probe = _probe
    try:
        ok = probe.result(timeout=settings.READYZ_TIMEOUT_SECONDS)
    except FutureTimeout:
        ok = False
    if not ok:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


_probe_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
_probe_lock = threading.Lock()
_probe: Future[bool] | None = None


def _database_answers() -> bool:
    """One fresh connection per probe, closed after: a probe holds no connection between probes."""
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    finally:
        connection.close()
    return True


@login_required
@permission_required("accounts.access_office", raise_exception=True)
@require_GET
def office_home(request: HttpRequest) -> HttpResponse:
    return render(request, "office/home.html")


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)

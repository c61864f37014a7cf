"""Worker sessions: no Django User per worker, only the worker id in the session.

A worker proves who they are with a one-time code sent to their mobile number;
the session key is rotated at log-in (session fixation) and flushed at log-out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from rangkul.audit.actors import Actor
from rangkul.registry.models import Worker, WorkerStatus

SESSION_KEY = "portal_worker_id"


def portal_login(request: HttpRequest, worker: Worker) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = worker.pk


def portal_logout(request: HttpRequest) -> None:
    request.session.flush()


def portal_worker(request: HttpRequest) -> Worker | None:
    worker_id = request.session.get(SESSION_KEY)
    if not worker_id:
        return None
    return (
        Worker.objects.select_related("village__district__regency__province", "occupation", "second_occupation")
        .filter(pk=worker_id, status=WorkerStatus.ACTIVE)
        .first()
    )


def worker_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view with ``request.worker`` set, or send the visitor to the log-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        worker = portal_worker(request)
        if worker is None:
            request.session.pop(SESSION_KEY, None)
            return redirect("portal:login")
        request.worker = worker  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def worker_actor(worker: Worker) -> Actor:
    """A worker acting for themselves, named as the audit log shows them."""
    return Actor.system(f"peserta {worker.membership_number}")

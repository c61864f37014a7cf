"""The JHT statement pages: the signed-in member's own (portal) and a member's for staff (office)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rangkul.audit.actors import Actor
from rangkul.claims.statement import (
    JhtStatement,
    jht_statement_for,
    jht_statement_read,
    jht_statement_response,
    statement_notes,
)
from rangkul.core.errors import NotFound
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_user
from rangkul.registry.sessions import worker_required


def _context(statement: JhtStatement, *, office: bool) -> dict[str, object]:
    return {"statement": statement, "worker": statement.worker, "notes": statement_notes(statement), "office": office}


@worker_required
@require_GET
def my_statement(request: HttpRequest) -> HttpResponse:
    """Saldo JHT saya: per year the contributions, the return rate (declared or estimate) and the balance."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    statement = jht_statement_for(worker=worker, today=timezone.localdate())
    return render(request, "claims/jht_statement.html", _context(statement, office=False))


@worker_required
@require_GET
def my_statement_pdf(request: HttpRequest) -> HttpResponse:
    worker: Worker = request.worker  # type: ignore[attr-defined]
    return jht_statement_response(jht_statement_for(worker=worker, today=timezone.localdate()))


def _office_worker(request: HttpRequest, membership_number: str) -> Worker:
    try:
        return worker_get_for_user(user=request.user, membership_number=membership_number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
@permission_required("accounts.access_office", raise_exception=True)
@require_GET
def office_statement(request: HttpRequest, membership_number: str) -> HttpResponse:
    worker = _office_worker(request, membership_number)
    statement = jht_statement_read(
        actor=Actor.for_user(request.user), worker=worker, today=timezone.localdate(), form="page"
    )
    return render(request, "claims/office_jht_statement.html", _context(statement, office=True))


@login_required
@permission_required("accounts.access_office", raise_exception=True)
@require_GET
def office_statement_pdf(request: HttpRequest, membership_number: str) -> HttpResponse:
    worker = _office_worker(request, membership_number)
    return jht_statement_response(
        jht_statement_read(actor=Actor.for_user(request.user), worker=worker, today=timezone.localdate(), form="pdf")
    )

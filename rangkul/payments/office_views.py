"""Back office: the payment exceptions queue (maker–checker) and settlement-file reconciliation."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rangkul.audit.actors import Actor
from rangkul.core.bulk import collector_relaxed
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.payments.exceptions import exception_approve, exception_propose, exception_reject
from rangkul.payments.forms import ProposeForm, SettlementUploadForm
from rangkul.payments.models import ExceptionStatus
from rangkul.payments.selectors import (
    exception_evidence,
    exception_get,
    exception_list,
    may_handle_payments,
    payments_unsettled,
    settlement_file_get,
    settlement_file_list,
)
from rangkul.payments.settlement import settlement_reconcile, settlement_report_csv
from rangkul.registry.selectors import worker_scope_for_user


def _deny_unless(allowed: bool) -> bool:
    if not allowed:
        raise PermissionDenied
    return True


def _office(view: Any) -> Any:
    """Payments staff only: logged in, a payments officer or approver (others get 403)."""
    return login_required(user_passes_test(lambda user: _deny_unless(may_handle_payments(user)))(view))


@_office
@require_GET
def exception_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ExceptionStatus.values:
        status = ""
    page = Paginator(exception_list(status=status or None, user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/office/exceptions.html",
        {"page": page, "status": status, "statuses": ExceptionStatus.choices},
    )


def _not_found(exc: NotFound) -> Http404:
    return Http404(str(exc.message))


@_office
@require_http_methods(["GET", "POST"])
def exception_detail(request: HttpRequest, exception_id: int) -> HttpResponse:
    try:
        exc = exception_get(exception_id=exception_id, user=request.user)
    except NotFound as error:
        raise _not_found(error) from error
    form = ProposeForm()
    if request.method == "POST":
        decision = request.POST.get("decision")
        needed = "accounts.approve_payments" if decision in ("approve", "reject") else "accounts.handle_payments"
        _deny_unless(request.user.has_perm(needed))
        try:
            if decision == "approve":
                exception_approve(actor=Actor.for_user(request.user), exception_id=exc.pk)
                messages.success(request, _("Approved: the money has been moved."))
                return redirect("payments_office:exception", exception_id=exc.pk)
            if decision == "reject":
                exception_reject(
                    actor=Actor.for_user(request.user), exception_id=exc.pk, note=request.POST.get("note", "")
                )
                messages.success(request, _("Proposal sent back."))
                return redirect("payments_office:exception", exception_id=exc.pk)
            form = ProposeForm(request.POST)
            if form.is_valid():
                number = form.cleaned_data["membership_number"].strip()
                # Only a member of the officer's own region can be named.
                worker = worker_scope_for_user(request.user).filter(membership_number=number).first()
                if number and worker is None:
                    raise NotFound(
                        _("No member with this membership number in your region."),
                        fields={"membership_number": [_("No member with this membership number in your region.")]},
                    )
                exception_propose(
                    actor=Actor.for_user(request.user),
                    exception_id=exc.pk,
                    action=form.cleaned_data["action"],
                    worker=worker,
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("Proposal saved. Another person must approve it."))
                return redirect("payments_office:exception", exception_id=exc.pk)
        except ApplicationError as error:
            if form.is_bound:
                error.add_to_form(form)
            else:
                messages.error(request, str(error.message))
    return render(
        request,
        "payments/office/exception.html",
        {
            "exc": exc,
            "events": exception_evidence(exception=exc),
            "form": form,
            "can_approve": request.user.has_perm("accounts.approve_payments") and exc.proposed_by_id != request.user.pk,
        },
    )


@_office
@require_http_methods(["GET", "POST"])
def settlement_upload(request: HttpRequest) -> HttpResponse:
    form = SettlementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _deny_unless(request.user.has_perm("accounts.handle_payments"))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        target_dir = Path(settings.MEDIA_ROOT) / "settlements"
        target_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target_dir, suffix=".csv", delete=False) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            path = Path(handle.name)
        try:
            with collector_relaxed():  # a long bulk run (ADR 0020)
                file, summary = settlement_reconcile(
                    actor=Actor.for_user(request.user),
                    channel=form.cleaned_data["channel"],
                    path=path,
                    filename=upload.name,
                )
        except (UnicodeDecodeError, KeyError, ValueError, csv.Error):
            path.unlink(missing_ok=True)
            form.add_error("file", _("This file could not be read in the channel's settlement layout."))
        else:
            messages.success(
                request,
                _("%(lines)s lines: %(matched)s matched, %(unmatched)s without callback, %(mismatched)s mismatched.")
                % summary,
            )
            return redirect("payments_office:settlement", file_id=file.pk)
    files = Paginator(settlement_file_list(), 50).get_page(request.GET.get("page"))
    unsettled = payments_unsettled().order_by("paid_at")[:100]
    return render(request, "payments/office/settlements.html", {"form": form, "files": files, "unsettled": unsettled})


@_office
@require_GET
def settlement_detail(request: HttpRequest, file_id: int) -> HttpResponse:
    try:
        file = settlement_file_get(file_id=file_id)
    except NotFound as error:
        raise _not_found(error) from error
    lines = Paginator(file.lines.select_related("payment").order_by("line_number"), 100).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/office/settlement.html", {"file": file, "lines": lines})


@_office
@require_GET
def settlement_report(request: HttpRequest, file_id: int) -> HttpResponse:
    try:
        file = settlement_file_get(file_id=file_id)
    except NotFound as error:
        raise _not_found(error) from error
    response = HttpResponse(settlement_report_csv(file), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="settlement-{file.pk}-report.csv"'
    return response

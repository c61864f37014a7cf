"""Back office: a member's contributions (status, months, bills, ledger) and manual adjustments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.contributions.forms import AdjustmentDecisionForm, AdjustmentForm
from rangkul.contributions.models import AdjustmentStatus, MemberStatusValue
from rangkul.contributions.selectors import (
    adjustments_for_user,
    adjustments_for_worker,
    bills_for_worker,
    contribution_months_for_worker,
    member_credit_idr,
    member_ledger_lines,
    worker_status,
)
from rangkul.contributions.services import adjustment_approve, adjustment_propose, adjustment_reject
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_user


def _worker(request: HttpRequest, membership_number: str) -> Worker:
    try:
        return worker_get_for_user(user=request.user, membership_number=membership_number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _member_context(worker: Worker, form: AdjustmentForm) -> dict[str, object]:
    status = worker_status(worker=worker)
    labels = dict(MemberStatusValue.choices)
    return {
        "worker": worker,
        "status": status,
        "status_label": labels.get(status.status, status.status),
        "history": [(change.since, labels.get(change.status, change.status)) for change in status.history],
        "credit_idr": member_credit_idr(worker_id=worker.pk),
        "months": contribution_months_for_worker(worker_id=worker.pk),
        "bills": bills_for_worker(worker_id=worker.pk)[:12],
        "lines": member_ledger_lines(worker_id=worker.pk),
        "adjustments": adjustments_for_worker(worker_id=worker.pk)[:20],
        "form": form,
    }


@login_required
@permission_required("accounts.access_office", raise_exception=True)
@require_http_methods(["GET", "POST"])
def member(request: HttpRequest, membership_number: str) -> HttpResponse:
    worker = _worker(request, membership_number)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment_propose(actor=Actor.for_user(request.user), worker=worker, **form.cleaned_data)
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The adjustment waits for approval by another person."))
            return redirect("contributions_office:member", membership_number=worker.membership_number)
    return render(request, "contributions/office_member.html", _member_context(worker, form))


@login_required
@permission_required("accounts.approve_adjustments", raise_exception=True)
@require_GET
def adjustments(request: HttpRequest) -> HttpResponse:
    pending = adjustments_for_user(user=request.user, status=AdjustmentStatus.PENDING)
    return render(request, "contributions/office_adjustments.html", {"pending": pending[:100]})


@login_required
@permission_required("accounts.approve_adjustments", raise_exception=True)
@require_POST
def adjustment_decide(request: HttpRequest, adjustment_id: int) -> HttpResponse:
    adjustment = adjustments_for_user(user=request.user).filter(pk=adjustment_id).first()
    if adjustment is None:
        raise Http404(_("Adjustment not found."))
    form = AdjustmentDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("contributions_office:adjustments")
    try:
        if form.cleaned_data["decision"] == "approve":
            adjustment_approve(
                actor=Actor.for_user(request.user), adjustment=adjustment, note=form.cleaned_data["note"]
            )
            messages.success(request, _("The adjustment is approved and posted."))
        else:
            adjustment_reject(actor=Actor.for_user(request.user), adjustment=adjustment, note=form.cleaned_data["note"])
            messages.success(request, _("The adjustment is rejected."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("contributions_office:adjustments")

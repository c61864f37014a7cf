"""Supervisors' page of fraud signals, and the ways a member reports a missing receipt."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from rangkul.agents.forms import ReceiptReportForm, StaffReceiptReportForm
from rangkul.agents.models import ReportChannel
from rangkul.agents.signals import (
    BURST,
    CASH_HELD_LONG,
    CASH_OVER_LIMIT,
    LATE_SYNC,
    RECEIPT_REPORTS,
    agents_supervised_by,
    fraud_rule_on,
    fraud_signals,
    receipt_report_record,
    receipt_reports_for,
)
from rangkul.audit.actors import Actor
from rangkul.core.errors import ApplicationError
from rangkul.registry.models import Worker
from rangkul.registry.selectors import worker_get_for_user
from rangkul.registry.sessions import worker_actor, worker_required

SIGNAL_TITLES = {
    BURST: gettext_lazy("Many registrations from one phone or place in minutes"),
    LATE_SYNC: gettext_lazy("Collections sent long after the cash was taken"),
    CASH_OVER_LIMIT: gettext_lazy("Cash held above the limit"),
    CASH_HELD_LONG: gettext_lazy("Cash held too long"),
    RECEIPT_REPORTS: gettext_lazy("Members reporting no receipt"),
}
RECENT_REPORTS = 20


@login_required
@permission_required("agents.view_fraud_signals", raise_exception=True)
@require_http_methods(["GET", "POST"])
def signals(request: HttpRequest) -> HttpResponse:
    agents = agents_supervised_by(request.user)
    form = StaffReceiptReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = worker_get_for_user(user=request.user, membership_number=data["membership_number"].strip())
            receipt_report_record(
                actor=Actor.for_user(request.user),
                worker=worker,
                channel=ReportChannel.BRANCH,
                agent_code=data["agent_code"],
                receipt_number=data["receipt_number"],
                paid_on=data["paid_on"],
                amount_idr=data["amount_idr"],
                note=data["note"],
                recorded_by=request.user,
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The report is recorded and counted in the agent's signals."))
            return redirect("agents:signals")
    found = fraud_signals(agents=agents)
    groups = [(kind, title, [s for s in found if s.kind == kind]) for kind, title in SIGNAL_TITLES.items()]
    return render(
        request,
        "agents/signals.html",
        {
            "groups": groups,
            "total": len(found),
            "rule": fraud_rule_on(timezone.localdate()),
            "form": form,
            "reports": receipt_reports_for(agents)[:RECENT_REPORTS],
        },
    )


@worker_required
@require_http_methods(["GET", "POST"])
def receipt_missing(request: HttpRequest) -> HttpResponse:
    """The member's own button: "I paid an agent in cash and got no receipt"."""
    worker: Worker = request.worker  # type: ignore[attr-defined]
    form = ReceiptReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receipt_report_record(
                actor=worker_actor(worker),
                worker=worker,
                channel=ReportChannel.PORTAL,
                agent_code=data["agent_code"],
                paid_on=data["paid_on"],
                amount_idr=data["amount_idr"],
                note=data["note"],
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Thank you. The branch office will look into it and may call you."))
            return redirect("contributions:my_card")
    return render(request, "agents/receipt_missing.html", {"form": form, "worker": worker})

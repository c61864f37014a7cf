"""Back office for claims (``/office/klaim/``): the queue, a claim, its decisions and payout."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rangkul.audit.actors import Actor
from rangkul.claims.forms import (
    ClaimFileForm,
    DecideForm,
    DocumentForm,
    ProposeForm,
    RecalculateForm,
    RetryForm,
    ScholarshipCheckForm,
)
from rangkul.claims.fraud_signals import claim_signals
from rangkul.claims.jht_rates import claim_jht_recalculate, has_estimate
from rangkul.claims.models import Claim, ClaimDocument, ClaimStatus, DocumentKind, Payout, PayoutStatus
from rangkul.claims.receipts import payout_receipt_response
from rangkul.claims.scholarship import (
    ChildFinding,
    line_child,
    scheduled_lines,
    scholarship_check_record,
    scholarship_schedule,
    scholarship_years_due,
)
from rangkul.claims.selectors import (
    claim_get_for_user,
    claim_queue_for_user,
    document_get_for_user,
    payout_exceptions_for_user,
    scholarship_claims_for_user,
)
from rangkul.claims.services import (
    ClaimantIn,
    claim_approve,
    claim_file,
    claim_propose,
    claim_reject,
    document_add,
    document_open,
    payout_retry,
    payout_send,
)
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.registry.selectors import worker_get_for_user


def _claim(request: HttpRequest, number: str) -> Claim:
    try:
        return claim_get_for_user(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ClaimStatus.values:
        status = ""
    late_before = timezone.now() - dt.timedelta(days=settings.CLAIMS_PROMISED_DAYS)
    claims = list(claim_queue_for_user(user=request.user, status=status)[:200])
    return render(
        request,
        "claims/office_queue.html",
        {
            "claims": [
                (c, c.filed_at < late_before and c.status not in (ClaimStatus.PAID, ClaimStatus.REJECTED))
                for c in claims
            ],
            "statuses": ClaimStatus.choices,
            "status": status,
            "promised_days": settings.CLAIMS_PROMISED_DAYS,
            "exceptions": payout_exceptions_for_user(user=request.user).count(),
            "scholarship_due": scholarship_years_due(scholarship_claims_for_user(user=request.user)[:200]),
        },
    )


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_http_methods(["GET", "POST"])
def file_claim(request: HttpRequest, membership_number: str) -> HttpResponse:
    try:
        worker = worker_get_for_user(user=request.user, membership_number=membership_number)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    form = ClaimFileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_file(
                actor=Actor.for_user(request.user),
                worker=worker,
                program=data["program"],
                event=data["event"],
                event_date=data["event_date"],
                event_place=data["event_place"],
                event_description=data["event_description"],
                months_unable=data["months_unable"],
                channel="office",
                claimant=ClaimantIn(
                    full_name=data["claimant_name"],
                    relationship=data["claimant_relationship"],
                    phone=data["claimant_phone"],
                    npwp=data["claimant_npwp"],
                    bank_code=data["bank_code"],
                    bank_account_number=data["bank_account_number"],
                ),
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Claim %(number)s is filed.") % {"number": claim.number})
            return redirect("claims:detail", number=claim.number)
    return render(request, "claims/office_file.html", {"worker": worker, "form": form})


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    schedule = scholarship_schedule(claim)
    to_check = next((row for row in schedule if row.checkable), None)
    return render(
        request,
        "claims/office_detail.html",
        {
            "claim": claim,
            "schedule": schedule,
            "check_form": _check_form(claim, to_check.instalment) if to_check else None,
            "estimate": has_estimate(claim.lines),
            "recalculate_form": RecalculateForm(),
            "signals": claim_signals(claim=claim),
            "propose_form": ProposeForm(),
            "decide_form": DecideForm(),
            "document_form": DocumentForm(),
            "retry_form": RetryForm(initial={"bank_code": claim.bank_code}),
            "can_decide": request.user.has_perm("accounts.approve_claims")
            and request.user.pk not in (claim.proposed_by_id, claim.approved_by_id),
        },
    )


def _back(request: HttpRequest, number: str, message: str) -> HttpResponse:
    """Back to the claim's page with why the action was refused."""
    messages.error(request, message)
    return redirect("claims:detail", number=number)


def _done(request: HttpRequest, claim: Claim, action: str) -> HttpResponse:
    messages.success(request, action)
    return redirect("claims:detail", number=claim.number)


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_POST
def propose(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return _back(request, number, _("Choose a decision and give the reason."))
    try:
        claim_propose(actor=Actor.for_user(request.user), claim=claim, **form.cleaned_data)
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _done(request, claim, _("The proposal waits for a claims approver."))


@login_required
@permission_required("accounts.approve_claims", raise_exception=True)
@require_POST
def decide(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _back(request, number, _("Choose a decision and give the reason."))
    try:
        if form.cleaned_data["decision"] == "approve":
            claim = claim_approve(actor=Actor.for_user(request.user), claim=claim, note=form.cleaned_data["note"])
        else:
            claim = claim_reject(actor=Actor.for_user(request.user), claim=claim, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _done(request, claim, _("The decision is recorded: %(status)s.") % {"status": claim.get_status_display()})


def _transfer_outcome(request: HttpRequest, claim: Claim, payout: Payout) -> HttpResponse:
    """After a transfer was sent or re-sent: done, or back to the claim with the bank's reason."""
    if payout.status == "sent":
        return _done(request, claim, _("The transfer is sent."))
    messages.error(request, _("The transfer failed: %(reason)s.") % {"reason": payout.failure_message})
    return redirect("claims:detail", number=claim.number)


@login_required
@permission_required("accounts.approve_claims", raise_exception=True)
@require_POST
def pay(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    try:
        instalment = max(int(request.POST.get("instalment") or 1), 1)
    except ValueError:
        instalment = 1
    try:
        payout = payout_send(actor=Actor.for_user(request.user), claim=claim, instalment=instalment)
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _transfer_outcome(request, claim, payout)


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_POST
def retry(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    form = RetryForm(request.POST)
    if not form.is_valid():
        return _back(request, number, _("Give the bank, the account number and the reason."))
    try:
        payout = payout_retry(actor=Actor.for_user(request.user), claim=claim, **form.cleaned_data)
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _transfer_outcome(request, claim, payout)


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_GET
def exceptions(request: HttpRequest) -> HttpResponse:
    return render(
        request, "claims/office_exceptions.html", {"payouts": payout_exceptions_for_user(user=request.user)[:200]}
    )


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_POST
def document_upload(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _back(request, number, _("Choose the kind of document and a photo or PDF."))
    try:
        document_add(
            actor=Actor.for_user(request.user),
            claim=claim,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _done(request, claim, _("The document is stored."))


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_GET
def document(request: HttpRequest, number: str, document_id: int) -> FileResponse:
    try:
        doc = document_get_for_user(user=request.user, number=number, document_id=document_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    response = FileResponse(
        document_open(actor=Actor.for_user(request.user), document=doc), content_type=doc.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_GET
def receipt(request: HttpRequest, number: str, instalment: int) -> HttpResponse:
    claim = _claim(request, number)
    payout = next(
        (p for p in claim.payouts.all() if p.instalment == instalment and p.status == PayoutStatus.SENT), None
    )
    if payout is None:
        raise Http404(_("No receipt here."))
    return payout_receipt_response(actor=Actor.for_user(request.user), payout=payout)


def _check_form(claim: Claim, instalment: int, data: Any = None) -> ScholarshipCheckForm:
    children = sorted({line_child(line)[0] for line in scheduled_lines(claim, instalment)})
    documents = ClaimDocument.objects.filter(claim=claim, kind=DocumentKind.SCHOOL_ENROLMENT)
    return ScholarshipCheckForm(data, initial={"instalment": instalment}, children=children, documents=documents)


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_POST
def scholarship_check(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    try:
        instalment = int(request.POST.get("instalment", ""))
    except ValueError:
        instalment = 0
    form = _check_form(claim, instalment, request.POST)
    if not form.is_valid():
        return _back(request, number, _("Say how the check was made, each child's situation and what was checked."))
    data = form.cleaned_data
    document = ClaimDocument.objects.filter(claim=claim, pk=data["document"]).first() if data["document"] else None
    try:
        scholarship_check_record(
            actor=Actor.for_user(request.user),
            claim=claim,
            instalment=instalment,
            evidence=data["evidence"],
            document=document,
            note=data["note"],
            findings={
                child: ChildFinding(data[f"child_{child}_status"], data[f"child_{child}_level"])
                for child in form.children
            },
        )
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _done(request, claim, _("The yearly check is recorded."))


@login_required
@permission_required("accounts.process_claims", raise_exception=True)
@require_POST
def recalculate(request: HttpRequest, number: str) -> HttpResponse:
    claim = _claim(request, number)
    form = RecalculateForm(request.POST)
    if not form.is_valid():
        return _back(request, number, _("Give the reason."))
    try:
        claim_jht_recalculate(actor=Actor.for_user(request.user), claim=claim, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        return _back(request, number, str(exc.message))
    return _done(request, claim, _("The JHT balance is recalculated with the declared rates."))

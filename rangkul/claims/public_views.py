"""Claim pages for heirs and members (``/klaim/``): file with document photos, then follow the claim.

No account is needed: filing asks for the member's number and date of birth; following a claim
asks for its number and the claimant's phone, after which the browser session remembers it.
Every page is a plain form that works on a phone without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rangkul.claims.documents import document_check
from rangkul.claims.errors import ClaimInputInvalid
from rangkul.claims.forms import DocumentForm, HeirClaimForm, TrackForm
from rangkul.claims.models import Claim, ClaimChannel, ClaimStatus, DocumentKind, PayoutStatus
from rangkul.claims.rules import claim_tables_for
from rangkul.claims.services import ClaimantIn, claim_file, document_add
from rangkul.core.errors import ApplicationError, NotFound
from rangkul.registry.identity import PhoneInvalid, phone_normalize
from rangkul.registry.selectors import worker_get

SESSION_KEY = "claims_followed"
ACTOR = "portal:claimant"
HEIR_DOCUMENTS = ("death_certificate", "ktp_heir", "family_card", "bank_book")


def _follow(request: HttpRequest, number: str) -> None:
    followed = list(request.session.get(SESSION_KEY, []))
    if number not in followed:
        request.session[SESSION_KEY] = [*followed[-9:], number]


def _same_phone(a: str, b: str) -> bool:
    try:
        return bool(a) and phone_normalize(a) == phone_normalize(b)
    except PhoneInvalid:
        return False


@require_http_methods(["GET", "POST"])
def file_claim(request: HttpRequest) -> HttpResponse:
    form = HeirClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = worker_get(membership_number=data["membership_number"])
            if worker.birth_date != data["member_birth_date"]:
                raise NotFound("")
        except NotFound:
            form.add_error(None, _("The membership number and the member's date of birth do not match."))
        else:
            try:
                uploads = [(kind, data[kind]) for kind in HEIR_DOCUMENTS if data.get(kind)]
                for kind, upload in uploads:  # refuse a bad file before anything is stored
                    try:
                        document_check(upload)
                    except ApplicationError as exc:
                        raise ClaimInputInvalid(exc.message, fields={kind: exc.fields.get("file", [])}) from exc
                with transaction.atomic():
                    claim = claim_file(
                        actor=ACTOR,
                        worker=worker,
                        program=data["program"],
                        event=data["event"],
                        event_date=data["event_date"],
                        event_place=data["event_place"],
                        channel=ClaimChannel.PORTAL,
                        claimant=ClaimantIn(
                            full_name=data["claimant_name"],
                            relationship=data["claimant_relationship"],
                            phone=data["claimant_phone"],
                            npwp=data["claimant_npwp"],
                            bank_code=data["bank_code"],
                            bank_account_number=data["bank_account_number"],
                        ),
                        filed_by_label=_("claimant in the portal"),
                    )
                    for kind, upload in uploads:
                        document_add(actor=ACTOR, claim=claim, kind=kind, upload=upload, label="claimant")
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                _follow(request, claim.number)
                return redirect("claims_public:status", number=claim.number)
    return render(request, "claims/public_file.html", {"form": form})


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        claim = Claim.objects.filter(number=form.cleaned_data["claim_number"].strip().upper()).first()
        if claim is not None and _same_phone(form.cleaned_data["phone"], claim.claimant_phone):
            _follow(request, claim.number)
            return redirect("claims_public:status", number=claim.number)
        form.add_error(None, _("No claim matches this number and phone."))
    return render(request, "claims/public_track.html", {"form": form})


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, number: str) -> HttpResponse:
    if number not in request.session.get(SESSION_KEY, []):
        return redirect("claims_public:track")
    claim = Claim.objects.prefetch_related("history", "documents", "payouts").filter(number=number).first()
    if claim is None:
        return redirect("claims_public:track")
    form = DocumentForm(request.POST or None, request.FILES or None)
    open_for_documents = claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.PROPOSED)
    if request.method == "POST" and open_for_documents and form.is_valid():
        try:
            document_add(
                actor=ACTOR,
                claim=claim,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                label="claimant",
            )
        except ApplicationError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The document is stored."))
            return redirect("claims_public:status", number=number)
    have = {d.kind for d in claim.documents.all()}
    required = claim_tables_for(claim.event_date).documents_required(
        event=claim.event, relationship=claim.claimant_relationship
    )
    labels = dict(DocumentKind.choices)
    return render(
        request,
        "claims/public_status.html",
        {
            "claim": claim,
            "missing": [labels.get(kind, kind) for kind in required if kind not in have],
            "paid": [p for p in claim.payouts.all() if p.status == PayoutStatus.SENT],
            "form": form,
            "open_for_documents": open_for_documents,
        },
    )

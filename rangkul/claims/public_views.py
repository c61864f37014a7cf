"""Claim pages for heirs and members (``/klaim/``): file with document photos, then follow the claim.

No account is needed: filing asks for the member's number and date of birth; following a claim
asks for its number and the claimant's phone, after which the browser session remembers it.
A member signed in to the portal follows their own claims without either. Both forms are
rate-limited (rangkul/claims/throttle.py). Every page is a plain form that works on a phone
without JavaScript.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rangkul.audit.actors import Actor
from rangkul.claims.documents import document_check
from rangkul.claims.errors import ClaimInputInvalid
from rangkul.claims.forms import DocumentForm, HeirClaimForm, TrackForm
from rangkul.claims.models import Claim, ClaimChannel, ClaimStatus, DocumentKind, PayoutStatus
from rangkul.claims.receipts import payout_receipt_response
from rangkul.claims.rules import claim_tables_for
from rangkul.claims.services import ClaimantIn, claim_file, document_add
from rangkul.claims.throttle import FILE, TRACK, Key, form_attempt_record, form_limit_check
from rangkul.core.errors import ApplicationError, NotFound, RateLimited
from rangkul.core.middleware import client_ip
from rangkul.registry.identity import PhoneInvalid, phone_normalize
from rangkul.registry.selectors import worker_get
from rangkul.registry.sessions import portal_worker

SESSION_KEY = "claims_followed"
ACTOR = Actor.system("portal:claimant")
HEIR_DOCUMENTS = ("death_certificate", "ktp_heir", "family_card", "bank_book")


def _follow(request: HttpRequest, number: str) -> None:
    followed = list(request.session.get(SESSION_KEY, []))
    if number not in followed:
        request.session[SESSION_KEY] = [*followed[-9:], number]


def _may_follow(request: HttpRequest, claim: Claim) -> bool:
    """The claimant who gave the tracking details in this browser, or the member signed in to the portal."""
    if claim.number in request.session.get(SESSION_KEY, []):
        return True
    member = portal_worker(request)
    return member is not None and member.pk == claim.worker_id


def _phone_key(raw: str) -> str:
    try:
        return phone_normalize(raw)
    except PhoneInvalid:
        return raw.strip()


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
        used = [
            Key("ip", client_ip(request) or "", settings.CLAIMS_FILE_MAX_PER_IP),
            Key("phone", _phone_key(data["claimant_phone"]), settings.CLAIMS_FILE_MAX_PER_PHONE),
        ]
        member_key = Key("member", data["membership_number"], settings.CLAIMS_FILE_MAX_PER_MEMBER)
        try:
            form_limit_check(form=FILE, keys=[*used, member_key])
        except RateLimited as exc:
            form.add_error(None, str(exc.message))
            return render(request, "claims/public_file.html", {"form": form}, status=exc.status)
        form_attempt_record(form=FILE, keys=used)
        try:
            worker = worker_get(membership_number=data["membership_number"])
            if worker.birth_date != data["member_birth_date"]:
                raise NotFound("")
        except NotFound:
            form_attempt_record(form=FILE, keys=[member_key])
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
        number = form.cleaned_data["claim_number"].strip().upper()
        ip = Key("ip", client_ip(request) or "", settings.CLAIMS_TRACK_MAX_PER_IP)
        guessed = [
            Key("claim", number, settings.CLAIMS_TRACK_MAX_PER_CLAIM),
            Key("phone", _phone_key(form.cleaned_data["phone"]), settings.CLAIMS_TRACK_MAX_PER_PHONE),
        ]
        try:
            # Before any lookup: the answer cannot depend on whether the claim exists.
            form_limit_check(form=TRACK, keys=[ip, *guessed])
        except RateLimited as exc:
            form.add_error(None, str(exc.message))
            return render(request, "claims/public_track.html", {"form": form}, status=exc.status)
        form_attempt_record(form=TRACK, keys=[ip])
        claim = Claim.objects.filter(number=number).first()
        if claim is not None and _same_phone(form.cleaned_data["phone"], claim.claimant_phone):
            _follow(request, claim.number)
            return redirect("claims_public:status", number=claim.number)
        form_attempt_record(form=TRACK, keys=guessed)
        form.add_error(None, _("No claim matches this number and phone."))
    return render(request, "claims/public_track.html", {"form": form})


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, number: str) -> HttpResponse:
    claim = Claim.objects.prefetch_related("history", "documents", "payouts").filter(number=number).first()
    if claim is None or not _may_follow(request, claim):
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


@require_http_methods(["GET"])
def receipt(request: HttpRequest, number: str, instalment: int) -> HttpResponse:
    """The PDF receipt of one paid instalment, for whoever may follow the claim; 404 for anyone else."""
    claim = Claim.objects.select_related("worker").filter(number=number).first()
    if claim is None or not _may_follow(request, claim):
        raise Http404(_("No receipt here."))
    payout = claim.payouts.filter(instalment=instalment, status=PayoutStatus.SENT).first()
    if payout is None:
        raise Http404(_("No receipt here."))
    return payout_receipt_response(actor=ACTOR, payout=payout)

"""Claims' writes: filing with its assessment, four-eyes decisions, payouts.

Every step appends a status-history row and an audit row with its reason, and tells the
claimant by SMS after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.claims.bank_accounts import account_columns, account_normalize
from rangkul.claims.benefits import Child, Event, Program, benefit_lines
from rangkul.claims.disbursement import disbursement_adapter, names_match
from rangkul.claims.documents import document_check, document_name
from rangkul.claims.eligibility import CLAIMANT_RELATIONSHIPS, FUNERAL_ARRANGER, HeirOnFile, assess
from rangkul.claims.errors import (
    ClaimInputInvalid,
    ClaimWrongStatus,
    FourEyesRequired,
    NotAllowed,
    PayoutRefused,
)
from rangkul.claims.jht_rates import has_estimate, jht_rates
from rangkul.claims.models import (
    SPECIFIC_KINDS,
    Claim,
    ClaimChannel,
    ClaimDocument,
    ClaimStatus,
    ClaimStatusChange,
    DocumentKind,
    Payout,
    PayoutStatus,
)
from rangkul.claims.rules import claim_rules_for
from rangkul.claims.scholarship import payable_lines
from rangkul.contributions.ledger import Line, journal_post
from rangkul.contributions.refunds import death_refund
from rangkul.contributions.selectors import program_months
from rangkul.core.money import format_rupiah
from rangkul.core.periods import Period
from rangkul.messaging.services import sms_queue
from rangkul.registry.identity import PhoneInvalid, phone_normalize
from rangkul.registry.models import Worker
from rangkul.registry.selectors import heir_list

PAYOUT_KIND = "claim_payout"
# Claims that count as "already claimed" for the same event.
DECIDED = (ClaimStatus.AWAITING_SECOND, ClaimStatus.APPROVED, ClaimStatus.PAID, ClaimStatus.PAYMENT_FAILED)


@dataclass(frozen=True)
class ClaimantIn:
    full_name: str
    relationship: str
    phone: str = ""
    npwp: str = ""
    bank_code: str = ""
    bank_account_number: str = ""


def _new_number() -> str:
    for _attempt in range(10):
        number = f"KL{timezone.localdate():%y%m}{secrets.randbelow(10**6):06d}"
        if not Claim.objects.filter(number=number).exists():
            return number
    raise ClaimWrongStatus(_("No free claim number; try again."))  # pragma: no cover


def _status(claim: Claim, status: str, *, actor: Actor, note: str = "", sms: str = "") -> None:
    claim.status = status
    ClaimStatusChange.objects.create(
        claim=claim, status=status, at=timezone.now(), actor=actor.user, actor_label=actor.username, note=note
    )
    if claim.claimant_phone:
        body = sms or _("Rangkul: your claim %(number)s is now: %(status)s.") % {
            "number": claim.number,
            "status": claim.get_status_display(),
        }
        sms_queue(to=claim.claimant_phone, body=body, purpose="claim_status")


def _paid_sms(claim: Claim, payout: Payout) -> str:
    """Where the receipt is: the tracking page, opened with the claim number and this phone."""
    return _(
        "Rangkul: %(amount)s for claim %(number)s was sent to account %(account)s. "
        "Receipt (PDF): %(url)s with the claim number and this phone number."
    ) % {
        "amount": format_rupiah(payout.amount_idr),
        "number": claim.number,
        "account": claim.bank_account_masked,
        "url": settings.OUTREACH_LINK_URL.rstrip("/") + reverse("claims_public:track"),
    }


def _earlier_claim(worker: Worker, program: Program, event: Event, event_date: dt.date) -> str | None:
    earlier = Claim.objects.filter(worker=worker, program=program, event=event, status__in=DECIDED)
    if event is not Event.DEATH and event is not Event.SCHOLARSHIP:
        earlier = earlier.filter(event_date=event_date)
    return earlier.values_list("number", flat=True).first()


@transaction.atomic
def claim_file(
    *,
    actor: Actor,
    worker: Worker,
    program: str,
    event: str,
    event_date: dt.date,
    claimant: ClaimantIn,
    channel: str,
    event_place: str = "",
    event_description: str = "",
    months_unable: int = 1,
    disability: str = "total",
    children: Sequence[Child] = (),
    filed_by_label: str = "",
) -> Claim:
    """File a claim and assess it from the record; an ineligible claim is stored too, with its reasons."""
    try:
        program_ = Program(program)
        event_ = Event(event)
    except ValueError as exc:
        raise ClaimInputInvalid(
            _("Unknown program or event."), fields={"program": [_("Choose JKK, JKM or JHT.")]}
        ) from exc
    if event_date > timezone.localdate():
        raise ClaimInputInvalid(
            _("The event date cannot be in the future."), fields={"event_date": [_("A date on or before today.")]}
        )
    if claimant.relationship not in CLAIMANT_RELATIONSHIPS:
        raise ClaimInputInvalid(
            _("Unknown relationship of the claimant."),
            fields={
                "claimant.relationship": [
                    _("Choose one of: %(values)s.") % {"values": ", ".join(CLAIMANT_RELATIONSHIPS)}
                ]
            },
        )
    if not claimant.full_name.strip():
        raise ClaimInputInvalid(_("The claimant's name is missing."), fields={"claimant.full_name": [_("Required.")]})
    if channel not in ClaimChannel.values:
        raise ClaimInputInvalid(_("Unknown filing channel."))
    phone = ""
    if claimant.phone.strip():
        try:
            phone = phone_normalize(claimant.phone)
        except PhoneInvalid as exc:
            raise ClaimInputInvalid(str(exc), fields={"claimant.phone": [str(exc)]}) from exc

    account = account_normalize(claimant.bank_account_number, field="claimant.bank_account_number")
    rules = claim_rules_for(event_date)
    # Coverage for a scholarship comes from the program of the death it follows.
    months = program_months(worker_id=worker.pk, program=program_.value)
    months_until = [m for m in months if m.period <= Period.of(event_date)]
    lines = benefit_lines(
        rules,
        program=program_,
        event=event_,
        declared_income_idr=worker.declared_income_idr,
        event_date=event_date,
        months_unable=months_unable,
        disability=disability,
        funeral_only=claimant.relationship == FUNERAL_ARRANGER,
        children=children,
        jht_contributions={m.period: m.amount_idr for m in months_until},
        # A year without the agency's declared return is computed as an estimate, shown as
        # such, and blocks approval until the rate is loaded and the claim recalculated.
        jht_rates=jht_rates(rules.tables) if program_ is Program.JHT else None,
        allow_estimate=True,
    )
    scholarship = rules.headline("JKM", "scholarship")
    assessment = assess(
        program=program_,
        event=event_,
        event_date=event_date,
        months=months,
        holds_program=program_ is not Program.JHT or worker.jht,
        relationship=claimant.relationship,
        claimant_name=claimant.full_name,
        heirs=[HeirOnFile(h.full_name, h.relationship) for h in heir_list(worker=worker)],
        earlier_claim_number=_earlier_claim(worker, program_, event_, event_date),
        scholarship_min_months=int(scholarship.values["min_contribution_years"]) * 12,
    )
    kept = [line.as_dict() for line in lines] if assessment.eligible else []
    claim = Claim.objects.create(
        number=_new_number(),
        worker=worker,
        program=program_.value,
        event=event_.value,
        event_date=event_date,
        event_place=event_place,
        event_description=event_description,
        months_unable=months_unable,
        disability=disability if event_ is Event.DISABILITY else "",
        children=[
            {"name": c.name, "birth_date": c.birth_date.isoformat(), "level": c.level, "year_in_level": c.year_in_level}
            for c in children
        ],
        claimant_name=claimant.full_name.strip(),
        claimant_relationship=claimant.relationship,
        claimant_phone=phone,
        claimant_npwp=claimant.npwp,
        bank_code=claimant.bank_code.strip(),
        **account_columns(account),
        channel=channel,
        filed_by=actor.user,
        filed_by_label=filed_by_label or actor.username,
        filed_at=timezone.now(),
        declared_income_idr=worker.declared_income_idr,
        months_paid=assessment.months_paid,
        eligible=assessment.eligible,
        reasons=[f.as_dict() for f in assessment.findings],
        lines=kept,
        benefit_idr=sum(int(line["amount_idr"]) for line in kept),
        rules_version=rules.version,
    )
    _status(claim, ClaimStatus.SUBMITTED, actor=actor, note=claim.filed_by_label)
    claim.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="claim.file",
        subject=claim,
        subject_label=claim.number,
        after={
            "program": claim.program,
            "event": claim.event,
            "event_date": event_date.isoformat(),
            "eligible": claim.eligible,
            "reasons": [r["code"] for r in claim.reasons],
            "benefit_idr": claim.benefit_idr,
            "channel": channel,
        },
    )
    return claim


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().get(pk=claim.pk)


def _require(actor: Actor, permission: str) -> None:
    if not actor.has_perm(permission):
        raise NotAllowed(_("You may not do this with claims."))


def _require_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise ClaimInputInvalid(_("Give the reason for this step."), fields={"note": [_("Required.")]})
    return note


@transaction.atomic
def claim_propose(*, actor: Actor, claim: Claim, decision: str, note: str) -> Claim:
    """The claims officer has verified the documents and proposes to approve or reject."""
    _require(actor, "accounts.process_claims")
    note = _require_note(note)
    claim = _locked(claim)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ClaimWrongStatus(_("Only a submitted claim can be verified."))
    if decision not in ("approve", "reject"):
        raise ClaimInputInvalid(_("Propose approve or reject."), fields={"decision": [_("Approve or reject.")]})
    if decision == "approve" and not claim.eligible:
        raise ClaimWrongStatus(_("An ineligible claim can only be proposed for rejection."))
    if decision == "approve" and has_estimate(claim.lines):
        raise ClaimWrongStatus(
            _(
                "The JHT return is an estimate for a year the agency has not declared: "
                "load the declared rates, recalculate, then propose."
            )
        )
    claim.proposed_by = actor.user
    claim.proposed_decision = decision
    _status(claim, ClaimStatus.PROPOSED, actor=actor, note=note)
    claim.save(update_fields=["proposed_by", "proposed_decision", "status"])
    audit_record(
        actor=actor,
        action="claim.propose",
        subject=claim,
        subject_label=claim.number,
        after={"decision": decision},
        reason=note,
    )
    return claim


@transaction.atomic
def claim_approve(*, actor: Actor, claim: Claim, note: str) -> Claim:
    """A claims approver (not who proposed) approves; above the threshold a second one must too."""
    _require(actor, "accounts.approve_claims")
    note = _require_note(note)
    claim = _locked(claim)
    if actor.user.pk in (claim.proposed_by_id, claim.approved_by_id):
        raise FourEyesRequired(_("Someone other than who verified or approved this claim must decide it."))
    if claim.status == ClaimStatus.PROPOSED:
        if claim.proposed_decision != "approve":
            raise ClaimWrongStatus(_("The officer proposed to reject this claim: reject it or send it back."))
        claim.approved_by = actor.user
        above = claim.benefit_idr > settings.CLAIMS_SECOND_APPROVAL_ABOVE_IDR
        _status(claim, ClaimStatus.AWAITING_SECOND if above else ClaimStatus.APPROVED, actor=actor, note=note)
    elif claim.status == ClaimStatus.AWAITING_SECOND:
        claim.second_approved_by = actor.user
        _status(claim, ClaimStatus.APPROVED, actor=actor, note=note)
    else:
        raise ClaimWrongStatus(_("This claim is not waiting for approval."))
    if claim.status == ClaimStatus.APPROVED:
        claim.decided_at = timezone.now()
        _refund_after_death(actor=actor, claim=claim)
    claim.save(update_fields=["approved_by", "second_approved_by", "status", "decided_at", "lines"])
    audit_record(
        actor=actor,
        action="claim.approve",
        subject=claim,
        subject_label=claim.number,
        after={"status": claim.status, "benefit_idr": claim.benefit_idr},
        reason=note,
    )
    return claim


REFUND_LINE = "contribution_refund"


def _refund_after_death(*, actor: Actor, claim: Claim) -> None:
    """Contributions paid for months after the death (and unused credit) are paid with the claim, once."""
    if claim.event != Event.DEATH or claim.program == Program.JHT:
        return
    amount, created = death_refund(actor=actor, worker=claim.worker, death_date=claim.event_date)
    if amount and created:  # a second claim for the same death finds the refund with the first
        claim.lines = [
            *claim.lines,
            {
                "benefit": REFUND_LINE,
                "amount_idr": amount,
                "citation": "Contributions paid for months after the month of death, returned with the claim",
                "instalment": 1,
                "detail": "",
            },
        ]


@transaction.atomic
def claim_reject(*, actor: Actor, claim: Claim, note: str) -> Claim:
    """A claims approver (not who proposed) rejects, with the reason the claimant will read."""
    _require(actor, "accounts.approve_claims")
    note = _require_note(note)
    claim = _locked(claim)
    if claim.status not in (ClaimStatus.PROPOSED, ClaimStatus.AWAITING_SECOND):
        raise ClaimWrongStatus(_("This claim is not waiting for a decision."))
    if actor.user.pk == claim.proposed_by_id:
        raise FourEyesRequired(_("Someone other than who verified this claim must decide it."))
    claim.decided_at = timezone.now()
    _status(claim, ClaimStatus.REJECTED, actor=actor, note=note)
    claim.save(update_fields=["status", "decided_at"])
    audit_record(actor=actor, action="claim.reject", subject=claim, subject_label=claim.number, reason=note)
    return claim


# --- payout ------------------------------------------------------------------------------------


def _account_for(program: str, benefit: str) -> str:
    if benefit == REFUND_LINE:
        return "refunds_payable"
    if benefit == "jht_contributions":
        return "contribution:JHT"  # the member's own savings, a liability, paid back
    return f"benefit:{program}"


def payout_lines(claim: Claim, instalment: int) -> list[Line]:
    """The balanced entry for one instalment: each benefit from its program's account, to the bank."""
    debits: dict[str, int] = {}
    for line in payable_lines(claim, instalment):
        account = _account_for(claim.program, str(line["benefit"]))
        debits[account] = debits.get(account, 0) + int(line["amount_idr"])
    entries = [
        Line(account=account, debit_idr=amount, worker_id=claim.worker_id, program=claim.program)
        for account, amount in sorted(debits.items())
        if amount
    ]
    total = sum(debits.values())
    return [*entries, Line(account="payout_bank", credit_idr=total, worker_id=claim.worker_id, program=claim.program)]


@transaction.atomic
def payout_send(*, actor: Actor, claim: Claim, instalment: int = 1, adapter_code: str | None = None) -> Payout:
    """Pay one instalment of an approved claim, once.

    The (claim, instalment) unique constraint makes a second call — or a concurrent one —
    return the first payout. The claimant's name is checked against the account holder's
    before anything is sent; a refused or failed transfer is kept as a failed payout (an
    exception for staff) and moves no money in the ledger.
    """
    claim = _locked(claim)
    existing = Payout.objects.filter(claim=claim, instalment=instalment).first()
    if existing is not None:
        return existing
    if claim.status not in (ClaimStatus.APPROVED, ClaimStatus.PAID):
        raise ClaimWrongStatus(_("Only an approved claim can be paid."))
    lines = payable_lines(claim, instalment)  # a later scholarship year: due and checked
    if has_estimate(lines):
        raise PayoutRefused(_("An estimated amount is never paid: recalculate with the declared rates."))
    amount = sum(int(line["amount_idr"]) for line in lines)
    if amount <= 0:
        raise PayoutRefused(_("This claim has nothing to pay for instalment %(n)s.") % {"n": instalment})
    threshold = claim_rules_for(claim.event_date).tables.npwp_required_above_idr
    if amount > threshold and not claim.claimant_npwp.strip():
        raise PayoutRefused(
            _("A payout above %(limit)s rupiah needs the claimant's tax number (NPWP).") % {"limit": threshold},
            fields={"claimant_npwp": [_("Required for this amount.")]},
        )
    adapter = disbursement_adapter(adapter_code)
    payout = Payout(
        claim=claim,
        instalment=instalment,
        amount_idr=amount,
        adapter=adapter.code,
        status=PayoutStatus.FAILED,
        created_at=timezone.now(),
        created_by=actor.user,
    )
    try:
        with transaction.atomic():
            payout.save(force_insert=True)
    except IntegrityError:
        return Payout.objects.get(claim=claim, instalment=instalment)
    _attempt(actor=actor, claim=claim, payout=payout)
    return payout


def _attempt(*, actor: Actor, claim: Claim, payout: Payout) -> None:
    """Check the account holder, transfer, and record the outcome (ledger entry only when sent)."""
    adapter = disbursement_adapter(payout.adapter)
    account_number = claim.bank_account_open()  # the plain number lives only for this call
    holder = adapter.account_holder(
        bank_code=claim.bank_code, account_number=account_number, expected_name=claim.claimant_name
    )
    payout.account_holder_name = holder or ""
    payout.failure_code = payout.failure_message = ""
    if holder is None:
        payout.failure_code, payout.failure_message = "no_account", "The bank account does not exist."
    elif not names_match(holder, claim.claimant_name):
        payout.failure_code, payout.failure_message = "name_mismatch", "The account holder is not the claimant."
    else:
        result = adapter.transfer(
            idempotency_key=f"{claim.number}-{payout.instalment}",
            bank_code=claim.bank_code,
            account_number=account_number,
            amount_idr=payout.amount_idr,
        )
        if result.ok:
            payout.status = PayoutStatus.SENT
            payout.external_reference = result.reference
            payout.resolved_at = timezone.now()
        else:
            payout.failure_code, payout.failure_message = result.failure_code, result.failure_message[:255]
    payout.save()
    if payout.status == PayoutStatus.SENT:
        journal_post(
            actor=actor,
            kind=PAYOUT_KIND,
            reference=f"{claim.number}:{payout.instalment}",
            lines=payout_lines(claim, payout.instalment),
            memo=f"claim {claim.number} instalment {payout.instalment}",
        )
        _status(claim, ClaimStatus.PAID, actor=actor, note=payout.external_reference, sms=_paid_sms(claim, payout))
    else:
        _status(claim, ClaimStatus.PAYMENT_FAILED, actor=actor, note=payout.failure_code)
    claim.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="claim.payout",
        subject=claim,
        subject_label=claim.number,
        after={
            "instalment": payout.instalment,
            "amount_idr": payout.amount_idr,
            "status": payout.status,
            "failure": payout.failure_code,
        },
    )


@transaction.atomic
def payout_retry(*, actor: Actor, claim: Claim, bank_code: str, bank_account_number: str, note: str) -> Payout:
    """After a failed transfer (an exception on the staff list): correct the account and send again."""
    _require(actor, "accounts.process_claims")
    note = _require_note(note)
    claim = _locked(claim)
    payout = Payout.objects.select_for_update().filter(claim=claim, status=PayoutStatus.FAILED).first()
    if payout is None or claim.status != ClaimStatus.PAYMENT_FAILED:
        raise ClaimWrongStatus(_("This claim has no failed payout to send again."))
    account = account_normalize(bank_account_number)
    if not account:
        raise ClaimInputInvalid(
            _("Give the corrected account number."), fields={"bank_account_number": [_("Required.")]}
        )
    before = claim.bank_account_masked
    claim.bank_code = bank_code.strip()
    for name, value in account_columns(account).items():
        setattr(claim, name, value)
    claim.save(update_fields=["bank_code", "bank_account_sealed", "bank_account_hash", "bank_account_last4"])
    audit_record(
        actor=actor,
        action="claim.bank_account_change",
        subject=claim,
        subject_label=claim.number,
        before={"account": before},
        after={"bank": claim.bank_code, "account": claim.bank_account_masked},
        reason=note,
    )
    _attempt(actor=actor, claim=claim, payout=payout)
    return payout


# --- documents ---------------------------------------------------------------------------------


@transaction.atomic
def document_add(*, actor: Actor, claim: Claim, kind: str, upload: Any, label: str = "") -> ClaimDocument:
    """Store one photographed or scanned document privately, after checking its content and size."""
    if kind not in DocumentKind.values:
        raise ClaimInputInvalid(_("Choose the kind of document."), fields={"kind": [_("Choose the kind of document.")]})
    content_type, extension, size, sha256 = document_check(upload)
    document = ClaimDocument(
        claim=claim,
        kind=kind,
        content_type=content_type,
        size_bytes=size,
        sha256=sha256,
        specific=kind in SPECIFIC_KINDS,
        uploaded_at=timezone.now(),
        uploaded_by=actor.user,
        uploaded_by_label=label or actor.username,
    )
    document.file.save(document_name(claim_number=claim.number, extension=extension), upload, save=False)
    document.save()
    audit_record(
        actor=actor,
        action="claim.document_add",
        subject=claim,
        subject_label=claim.number,
        after={"kind": kind, "content_type": content_type, "size_bytes": size},
    )
    return document


def document_open(*, actor: Actor, document: ClaimDocument) -> Any:
    """Open a document for a reader already authorised by the selector; every read is logged."""
    audit_record(
        actor=actor,
        action="claim.document_view",
        subject=document.claim,
        subject_label=document.claim.number,
        after={"document": document.pk, "kind": document.kind, "specific": document.specific},
    )
    return document.file.open("rb")
